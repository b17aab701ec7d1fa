// Runs the real CLI as a separate process (from source, through tsx), as a user would.
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// Resolved here, not from the child's cwd (tests run the CLI in temporary project folders).
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], o: { cwd: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
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
