// Shared by the backup integration tests: runs the real CLI (from source, through tsx) with the
// backup and restore commands registered even before src/cli/program.ts lists them, and small
// helpers to look at the server side. When run as a script it is that CLI entry point.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliResult } from '../helpers/cli.js';

const SELF = fileURLToPath(import.meta.url);
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export function runShipproof(args: string[], o: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, SELF, ...args], {
      cwd: o.cwd,
      env: { ...process.env, NO_COLOR: '1', ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end('');
  });
}

/** Names in a folder with their permission bits. */
export function listModes(dir: string): Record<string, number> {
  return Object.fromEntries(readdirSync(dir).map((n) => [n, statSync(`${dir}/${n}`).mode & 0o777]));
}

/** Containers, volumes and networks labelled as rehearsal scratch, on this engine. */
export function rehearsalLeftovers(): string[] {
  const out: string[] = [];
  for (const args of [
    ['ps', '-a', '-q', '--filter', 'label=shipproof.rehearsal'],
    ['volume', 'ls', '-q', '--filter', 'label=shipproof.rehearsal'],
    ['network', 'ls', '-q', '--filter', 'label=shipproof.rehearsal'],
  ]) {
    out.push(...execFileSync('docker', args).toString().split('\n').filter(Boolean));
  }
  return out;
}

async function main(): Promise<void> {
  const { buildProgram } = await import('../../src/cli/program.js');
  const { registerBackup } = await import('../../src/cli/commands/backup.js');
  const { registerRestore } = await import('../../src/cli/commands/restore.js');
  const { handleError } = await import('../../src/cli/handle-error.js');
  const { CommanderError } = await import('commander');
  const program = buildProgram();
  if (!program.commands.some((c) => c.name() === 'backup')) registerBackup(program);
  if (!program.commands.some((c) => c.name() === 'restore')) registerRestore(program);
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const argv = process.argv;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
    else process.exitCode = handleError(e, { json: argv.includes('--json'), debug: argv.includes('--debug') });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(pathToFileURL(process.argv[1])) === SELF) await main();
