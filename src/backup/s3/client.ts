// One S3 client per destination. Credentials come from an env file on this machine
// (credentialsFile) or from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), never
// from shipproof.yaml, and are registered with the redactor before anything can print them.
// Checksums: only when the operation requires them (WHEN_REQUIRED); SDK 3.729+ otherwise sends
// CRC32 headers several S3-compatible servers reject. We send Content-MD5 ourselves.
import { readFile } from 'node:fs/promises';
// The SDK is imported when a destination is opened: it costs about a second of startup, and
// most commands (and most stacks) never reach S3.
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Destination } from '../../config/sections/s3.js';
import { UsageError } from '../../errors.js';
import { parseEnvValues, redactor } from '../../redact/index.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type S3Sdk = typeof import('@aws-sdk/client-s3');

export interface S3Handle {
  client: S3Client;
  /** The SDK's command classes, loaded with the client. */
  sdk: S3Sdk;
  dest: S3Destination;
  /** `s3:<bucket>/<prefix>`: how copies are named in records and output. */
  label: string;
  key(name: string): string;
}

export function s3Label(d: S3Destination): string {
  return `s3:${d.bucket}/${d.prefix}`;
}

export async function loadS3Credentials(d: S3Destination, env: NodeJS.ProcessEnv = process.env): Promise<S3Credentials> {
  let values: Record<string, string | undefined> = env;
  let where = 'the environment';
  if (d.credentialsFile !== undefined) {
    let text: string;
    try {
      text = await readFile(d.credentialsFile, 'utf8');
    } catch (e) {
      throw new UsageError(`Cannot read the S3 credentials file ${d.credentialsFile} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
        hint: 'It is an env file on this machine with AWS_ACCESS_KEY_ID= and AWS_SECRET_ACCESS_KEY= lines.',
      });
    }
    values = Object.fromEntries(parseEnvValues(text).map((v) => [v.key, v.values[0]]));
    where = d.credentialsFile;
  }
  const accessKeyId = values['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = values['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) {
    throw new UsageError(`No S3 credentials for ${s3Label(d)} in ${where}.`, {
      hint: 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY there (or name an env file in credentialsFile:); never in shipproof.yaml.',
    });
  }
  redactor.addSecret(secretAccessKey, `S3 secret key (${where})`);
  redactor.addSecret(accessKeyId, `S3 access key (${where})`);
  const sessionToken = values['AWS_SESSION_TOKEN'];
  if (sessionToken) redactor.addSecret(sessionToken, `S3 session token (${where})`);
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

export async function openS3(d: S3Destination, o: { env?: NodeJS.ProcessEnv } = {}): Promise<S3Handle> {
  const credentials = await loadS3Credentials(d, o.env);
  const sdk: S3Sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    region: d.region,
    ...(d.endpoint ? { endpoint: d.endpoint } : {}),
    forcePathStyle: d.forcePathStyle,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
  return { client, sdk, dest: d, label: s3Label(d), key: (name) => `${d.prefix}${name}` };
}

/** A short reason from an SDK error (its name and message; never the request). */
export function s3Reason(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { Code?: string; name?: string }).Code ?? e.name;
    return redactor.redact(`${code && code !== 'Error' ? `${code}: ` : ''}${e.message}`).text.slice(0, 300);
  }
  return String(e).slice(0, 300);
}
