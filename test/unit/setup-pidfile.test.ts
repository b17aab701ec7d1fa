import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/setup/pidfile.sh decides whether setup may trust (or kill) the process a pid file names.
// A file left from before a reboot can name any live process, so only the program counts.
const lib = join(import.meta.dirname, '../../scripts/setup/pidfile.sh');
const dir = mkdtempSync(join(tmpdir(), 'sp-pidfile-'));
const sleeper = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
afterAll(() => sleeper.kill());

function pidOurs(content: string | null, program: string) {
  const file = join(dir, `${Math.random()}.pid`);
  if (content !== null) writeFileSync(file, content);
  return spawnSync('bash', ['-c', `. "$0"; pid_ours "$1" "$2"`, lib, file, program], { encoding: 'utf8' });
}

describe('pid_ours (setup scripts)', () => {
  it('accepts a pid file naming a live process of the program', () => {
    const r = pidOurs(`${sleeper.pid}\n`, '/usr/bin/sleep');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(String(sleeper.pid));
  });

  it('refuses a live process of another program (a stale file after pid reuse)', () => {
    expect(pidOurs(`${sleeper.pid}\n`, '/usr/sbin/sshd').status).toBe(1);
  });

  it('refuses a missing, empty, non-numeric or dead pid file', () => {
    expect(pidOurs(null, '/usr/bin/sleep').status).toBe(1);
    expect(pidOurs('', '/usr/bin/sleep').status).toBe(1);
    expect(pidOurs('12ab', '/usr/bin/sleep').status).toBe(1);
    expect(pidOurs('999999999', '/usr/bin/sleep').status).toBe(1);
  });

  it('trap_errors names the failing command and keeps its exit code', () => {
    const script = `. "$0"; set -euo pipefail; log() { echo "[t] $*" >&2; }; trap_errors log
      if ! false; then :; fi; grep -q x <<<"y" || true; f() { return 3; }; f; echo unreachable`;
    const r = spawnSync('bash', ['-c', script, lib], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^\[t\] failed \(exit 3\) at .*: return 3$/)]);
  });
  it('clear_stale_engine_pids removes engine pid files that name another program, and keeps going when one is missing', () => {
    const dockerd = join(dir, 'docker.pid');
    const containerd = join(dir, 'containerd.pid');
    writeFileSync(dockerd, `${sleeper.pid}\n`);
    const r = spawnSync('bash', ['-c', `. "$0"; set -e; clear_stale_engine_pids "$1" "$2"; echo done`, lib, dockerd, containerd], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('done');
    expect(existsSync(dockerd)).toBe(false);
    expect(existsSync(containerd)).toBe(false);
  });

  it('stop_engine_if_bridge_gone never signals a process that is not dockerd, even with the bridge missing', () => {
    const file = join(dir, 'engine.pid');
    writeFileSync(file, `${sleeper.pid}\n`);
    const r = spawnSync('bash', ['-c', `. "$0"; log() { echo "$*"; }; stop_engine_if_bridge_gone "$1" sp-no-such-bridge; echo rc=$?`, lib, file], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('rc=0');
    expect(sleeper.exitCode).toBeNull();
    expect(sleeper.signalCode).toBeNull();
  });
});
