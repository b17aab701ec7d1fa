// The test S3 server (radosgw, started by scripts/setup/ceph-s3.sh): its endpoint and keys from
// the 0600 file it writes. Tests that need S3 FAIL with the fix when it is missing, never skip.
import { readFileSync } from 'node:fs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export const S3_ENV_FILE = `${process.env.SHIPPROOF_TEST_HOME ?? '/var/lib/shipproof-test'}/s3.env`;
const FIX = 'Run `sudo bash scripts/setup/ceph-s3.sh` (or scripts/setup-test-env.sh): it installs Ceph radosgw and starts it on 127.0.0.1:7480.';

export interface S3Env {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The env file itself (usable as credentialsFile:). */
  file: string;
}

export function requireS3(): S3Env {
  let text: string;
  try {
    text = readFileSync(S3_ENV_FILE, 'utf8');
  } catch {
    throw new Error(`The test S3 server is missing (${S3_ENV_FILE} not found). ${FIX}`);
  }
  const v = Object.fromEntries(text.split('\n').flatMap((l) => (/^([A-Z0-9_]+)=(.*)$/.exec(l.trim()) ? [[RegExp.$1, RegExp.$2]] : [])));
  const need = (k: string): string => {
    if (!v[k]) throw new Error(`${S3_ENV_FILE} has no ${k}. ${FIX}`);
    return v[k] as string;
  };
  return { endpoint: need('SHIPPROOF_TEST_S3_ENDPOINT'), region: need('SHIPPROOF_TEST_S3_REGION'), accessKeyId: need('AWS_ACCESS_KEY_ID'), secretAccessKey: need('AWS_SECRET_ACCESS_KEY'), file: S3_ENV_FILE };
}

export function testS3Client(e: S3Env): S3Client {
  return new S3Client({
    endpoint: e.endpoint,
    region: e.region,
    forcePathStyle: true,
    credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a bucket (with Object Lock when asked); fails with the fix when the server does not answer. */
export async function createTestBucket(c: S3Client, name: string, objectLock = false): Promise<void> {
  try {
    await c.send(new CreateBucketCommand({ Bucket: name, ...(objectLock ? { ObjectLockEnabledForBucket: true } : {}) }));
  } catch (e) {
    throw new Error(`Could not create the test bucket ${name} (${e instanceof Error ? e.message : String(e)}). ${FIX}`);
  }
}
