// A deploy killed with SIGKILL when the CLI announces milestones 2, 5 and 7 (an event, not a
// guessed delay) converges when run again: the new release serves, the ledger verifies, the lock
// is free. Local target only: the kill is of the operator's process, the same for every target.
import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { cliEntry } from '../helpers/cli.js';
import { cli, makeFixture, release, served } from '../helpers/deploy-fixture.js';

vi.setConfig({ testTimeout: 400_000 });

describe('a deploy killed with SIGKILL converges when run again', () => {
  const f = makeFixture('local');

  // Killed when the CLI announces a milestone (an event, not a guessed delay): during the upload,
  // the builds, and the health gate.
  it.each([2, 5, 7])('killed when milestone %i starts', async (n) => {
    const ms = `m${n}`;
    release(f, `K${ms}`, 'ok');
    const child = spawn(process.execPath, [...cliEntry(), 'deploy', '--yes'], { cwd: f.dir, env: { ...process.env, SHIPPROOF_HOME: f.home }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!killed && new RegExp(`milestone ${n}:`).test(err)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    await new Promise((r) => child.on('close', r));
    expect(killed, err).toBe(true);
    const again = await cli(f, ['--json', 'deploy', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(await served(f)).toBe(`K${ms}`);
    expect((await cli(f, ['evidence', 'verify'])).code).toBe(0);
    expect((await cli(f, ['lock', 'status'])).stdout.trim()).toBe('free');
    const status = JSON.parse((await cli(f, ['--json', 'status'])).stdout) as { milestones: { number: number; status: string }[] };
    expect(status.milestones.filter((m) => m.number <= 7).every((m) => m.status === 'passed')).toBe(true);
  }, 400_000);
});
