// verify for real: a Node HTTP server on 127.0.0.1, spot-checks run here and on the target (this
// machine through the local target, and over the real test sshd), HTTP probes requested with curl
// on the target. The CLI writes the report and a verify evidence record; a planted secret that the
// server returns in a body and that sits in the env file appears in no file written and no line printed.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { requireTestEnv } from '../helpers/test-env.js';
import { shipproof } from '../fixtures/verify/cli.js';

const env = requireTestEnv();
const root = mkdtempSync(join(tmpdir(), 'shipproof-verify-live-'));
const project = join(root, 'project');
const appDir = join(root, 'server', 'app');
const home = join(root, 'home');
const secret = `live-${randomBytes(16).toString('hex')}`;
let server: Server;
let port = 0;
const outputs: CliResult[] = [];

async function cli(args: string[]): Promise<CliResult> {
  const r = await shipproof(args, { cwd: project, env: { SHIPPROOF_HOME: home } });
  outputs.push(r);
  return r;
}

function mustHaves(probeBody: string): string {
  return `verify:
  phase: 02-live
  goal: The app answers on the server and its release folder is in place.
  truths:
    - id: healthz
      truth: GET /healthz answers 200 with status ok
      checks: [healthz-probe, healthz-local]
    - id: release
      truth: The current release folder holds the bundle marker
      checks: [release-marker]
    - id: phone
      truth: The site works from a phone
      checks: [phone-check]
  spotChecks:
    - id: healthz-local
      behavior: curl on this machine gets /healthz
      run: curl -fsS -o /dev/null http://127.0.0.1:${port}/healthz
    - id: release-marker
      behavior: the release folder holds the marker
      on: target
      run: [test, -f, .shipproof-marker]
  probes:
    - id: healthz-probe
      url: http://127.0.0.1:${port}/healthz
      body: '${probeBody}'
    - id: echo-probe
      url: http://127.0.0.1:${port}/echo
      body: ok
  human:
    - id: phone-check
      test: open the site on a phone over mobile data
      expected: the start page loads over HTTPS
      why: needs a device outside this network
`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"ok"}');
    } else if (req.url === '/echo') {
      res.end(`ok ${secret}`);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  mkdirSync(project, { recursive: true });
  mkdirSync(join(appDir, 'current'), { recursive: true });
  writeFileSync(join(appDir, 'current', '.shipproof-marker'), 'r1\n');
  writeFileSync(join(project, 'compose.yaml'), 'services:\n  web:\n    image: shipproof-offline/busybox:1.35\n    restart: unless-stopped\n');
  writeFileSync(
    join(project, 'shipproof.yaml'),
    `project: verifylive
evidence: evidence
defaultTarget: local
targets:
  local:
    host: local
    appDir: ${appDir}
  box:
    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}
    identity: ${env.sshKey}
    knownHosts: ${env.knownHosts}
    appDir: ${appDir}
`,
  );
  writeFileSync(join(project, '.env.prod'), `ECHO_SECRET=${secret}\n`, { mode: 0o600 });
  writeFileSync(join(project, 'shipproof.verify.yaml'), mustHaves('"status":"ok"'));
  writeFileSync(join(project, 'broken.verify.yaml'), mustHaves('"status":"degraded"').replace('02-live', '02-live-broken'));
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

interface VerifyJson {
  status: string;
  score: { verified: number; total: number };
  gaps: string[];
  open: string[];
  report: string;
  json: string;
  seq: number;
}

describe.each(['local', 'box'])('verify through the %s target', (target) => {
  it('runs the checks for real and gives human_needed: everything automated passed, a person is still needed', async () => {
    const r = await cli(['--target', target, '--json', 'verify', '--output', `reports/${target}.md`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as VerifyJson;
    expect(out.gaps).toEqual([]);
    expect(out.status).toBe('human_needed');
    expect(out.score).toEqual({ verified: 2, total: 3 });
    expect(out.open).toEqual(['Human item phone-check: needs a person (needs a device outside this network)']);

    const md = readFileSync(join(project, 'reports', `${target}.md`), 'utf8');
    expect(md).toContain('status: human_needed');
    expect(md).toMatch(/\| the release folder holds the marker \| `test -f .shipproof-marker` \(on (local|box)\) \| exit 0 in [0-9.]+ s \| ✓ PASS \|/);
    expect(md).toMatch(/\| healthz-probe \| `http:\/\/127\.0\.0\.1:\d+\/healthz` \(from (local|box)\) \| HTTP 200 in \d+ ms, body matched \| ✓ PASS \|/);

    const shown = await cli(['--json', 'evidence', 'show', String(out.seq)]);
    const record = JSON.parse(shown.stdout) as { entry: { kind: string; status: string; target: string }; statement: { predicate: { results: { id: string; status: string; commands: { argv: string[] }[] }[] } } };
    expect(record.entry).toMatchObject({ kind: 'verify', status: 'human_needed', target });
    const probe = record.statement.predicate.results.find((x) => x.id === 'probe:healthz-probe');
    expect(probe?.status).toBe('pass');
    expect(probe?.commands[0]?.argv[0]).toBe('curl');
  });
});

describe('a failing probe on the target', () => {
  it('gives gaps_found and exit 1, naming the probe', async () => {
    const r = await cli(['--target', 'box', 'verify', '--must-haves', 'broken.verify.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^gaps_found: 1\/3 must-haves verified, 1 gap, 1 open for a person/);
    expect(r.stdout).toContain('gap: Probe http://127.0.0.1:');
    expect(r.stdout).toContain('/healthz: FAIL — the body did not match');
    const md = readFileSync(join(project, 'docs', 'verification', '02-live-broken.md'), 'utf8');
    expect(md).toContain('status: gaps_found');
  });

  it('the evidence still verifies, and the planted secret is nowhere', async () => {
    const v = await cli(['evidence', 'verify']);
    expect(v.code).toBe(0);
    const files = [
      ...readdirSync(join(project, 'evidence')).map((f) => join(project, 'evidence', f)),
      ...readdirSync(join(project, 'reports')).map((f) => join(project, 'reports', f)),
      ...readdirSync(join(project, 'docs', 'verification')).map((f) => join(project, 'docs', 'verification', f)),
    ];
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(secret);
    for (const r of outputs) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  });
});
