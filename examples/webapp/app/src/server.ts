// HTTP routes of the web process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import type { AppConfig } from './config.js';
import { enqueueJob, findJob } from './jobs.js';
import { errorText, log } from './log.js';
import { checkDatabase } from './readiness.js';
import type { Asset } from './static-assets.js';

export interface WebDeps {
  config: AppConfig;
  pool: Pool;
  assets: Map<string, Asset>;
}

const MAX_BODY_BYTES = 16 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

async function route(deps: WebDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method === 'HEAD' ? 'GET' : req.method; // Node drops the body of HEAD answers
  const path = new URL(req.url ?? '/', 'http://app.invalid').pathname;

  if (path === '/healthz' && method === 'GET') {
    // Liveness only: never touches the database, so a database outage does not restart web.
    if (deps.config.failMode === 'healthz500') {
      sendJson(res, 500, { status: 'failing', reason: 'FAIL_MODE=healthz500' });
      return;
    }
    sendJson(res, 200, { status: 'ok' });
    return;
  }

  if (path === '/readyz' && method === 'GET') {
    const ready = await checkDatabase(deps.config);
    sendJson(res, ready.ok ? 200 : 503, ready.ok ? { status: 'ok', db: 'ok' } : { status: 'degraded', db: 'down' });
    return;
  }

  if (path === '/jobs' && method === 'POST') {
    const body = await readJsonBody(req);
    const payload = typeof body === 'object' && body !== null ? (body as { payload?: unknown }).payload : undefined;
    if (typeof payload !== 'string') throw new HttpError(400, 'the body must be {"payload": "<text>"}');
    const job = await enqueueJob(deps.pool, payload);
    log('info', 'job queued', { jobId: job.id });
    sendJson(res, 201, job);
    return;
  }

  const jobMatch = /^\/jobs\/([0-9]{1,15})$/.exec(path);
  if (jobMatch?.[1] !== undefined && method === 'GET') {
    const job = await findJob(deps.pool, Number(jobMatch[1]));
    if (!job) throw new HttpError(404, 'no such job');
    sendJson(res, 200, job);
    return;
  }

  const asset = deps.assets.get(path);
  if (asset && method === 'GET') {
    res.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': asset.body.length,
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
    });
    res.end(asset.body);
    return;
  }

  const known = asset !== undefined || jobMatch !== null || ['/healthz', '/readyz', '/jobs'].includes(path);
  throw known ? new HttpError(405, 'method not allowed') : new HttpError(404, 'not found');
}

export function createHandler(deps: WebDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message });
        return;
      }
      // Database errors and the like: the message is logged (scrubbed), not sent to the client.
      log('error', 'request failed', { method: req.method ?? '', path: new URL(req.url ?? '/', 'http://app.invalid').pathname, error: errorText(err) });
      if (!res.headersSent) sendJson(res, 503, { error: 'service unavailable' });
      else res.destroy();
    });
  };
}
