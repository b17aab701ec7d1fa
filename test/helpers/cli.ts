// Runs the real CLI as a separate process, as a user would: the built package (dist/) when
// SHIPPROOF_TEST_CLI=dist (`npm test` builds first: what users run, and each start costs about a
// second less CPU than compiling the source again), else the source through tsx.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
// Resolved here, not from the child's cwd (tests run the CLI in temporary project folders).
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Node's arguments that start the CLI (then its own arguments follow). */
export function cliEntry(): string[] {
  if (process.env['SHIPPROOF_TEST_CLI'] === 'dist') {
    if (!existsSync(DIST_MAIN)) throw new Error(`SHIPPROOF_TEST_CLI=dist but ${DIST_MAIN} is missing: run npm run build`);
    return [DIST_MAIN];
  }
  return ['--import', TSX, MAIN];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], o: { cwd: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliEntry(), ...args], {
      cwd: o.cwd,
      env: { ...process.env, NO_COLOR: '1', ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(o.stdin ?? '');
  });
}

/**
 * The CLI bound to one project folder, keeping every result so a test can check at the end that
 * no planted secret reached any output; `json` parses a --json answer and fails on an empty one.
 */
export function recordingCli(base: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): {
  cli: (args: string[], timeoutMs?: number) => Promise<CliResult>;
  outputs: CliResult[];
  json: <T>(r: CliResult) => T;
} {
  const outputs: CliResult[] = [];
  return {
    outputs,
    cli: async (args, timeoutMs) => {
      const r = await runCli(args, { ...base, timeoutMs: timeoutMs ?? base.timeoutMs ?? 180_000 });
      outputs.push(r);
      return r;
    },
    json: <T>(r: CliResult): T => {
      expect(r.stdout, r.stderr).not.toBe('');
      return JSON.parse(r.stdout) as T;
    },
  };
}
