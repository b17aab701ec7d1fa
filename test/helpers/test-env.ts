// Reads the test environment written by scripts/setup-test-env.sh. Integration tests call
// requireTestEnv(): when Docker or the test sshd is missing they FAIL with how to fix it, never skip.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface TestEnv {
  sshHost: string;
  sshPort: number;
  sshUser: string;
  sshKey: string;
  knownHosts: string;
  hostPubKey: string;
}

const ENV_FILE = `${process.env.SHIPPROOF_TEST_HOME ?? '/var/lib/shipproof-test'}/env.sh`;
const FIX = 'Run `sudo bash scripts/setup-test-env.sh` first: it installs Docker, Compose and sshd and starts them.';

function readEnvFile(): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(ENV_FILE, 'utf8');
  } catch {
    throw new Error(`The integration test environment is missing (${ENV_FILE} not found). ${FIX}`);
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

let cached: TestEnv | undefined;

export function requireTestEnv(): TestEnv {
  if (cached) return cached;
  const v = readEnvFile();
  const get = (k: string): string => {
    const x = v[k];
    if (x === undefined) throw new Error(`${ENV_FILE} has no ${k}. ${FIX}`);
    return x;
  };
  cached = {
    sshHost: get('SHIPPROOF_TEST_SSH_HOST'),
    sshPort: Number(get('SHIPPROOF_TEST_SSH_PORT')),
    sshUser: get('SHIPPROOF_TEST_SSH_USER'),
    sshKey: get('SHIPPROOF_TEST_SSH_KEY'),
    knownHosts: get('SHIPPROOF_TEST_SSH_KNOWN_HOSTS'),
    hostPubKey: get('SHIPPROOF_TEST_SSH_HOST_PUBKEY'),
  };
  return cached;
}

export function requireDocker(): void {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 15_000 });
  } catch {
    throw new Error(`The Docker engine is not running, and these tests need a real one. ${FIX}`);
  }
}

/** The keys of an SSH target pointing at the test sshd, as shipproof.yaml lines under a target name. */
export function sshTargetYaml(env: TestEnv, appDir: string, indent = '    '): string {
  return [
    `host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}`,
    `identity: ${env.sshKey}`,
    `knownHosts: ${env.knownHosts}`,
    `appDir: ${appDir}`,
  ]
    .map((l) => `${indent}${l}\n`)
    .join('');
}
