// Local-only release scenarios on the site of test/helpers/releases-site.ts, after two real
// deploys (A, then a code change to B): a moved published tag makes a new release and a rollback
// after it runs the old image id; a rollback whose gate fails says DOWN in status and evidence;
// SIGINT at milestone boundaries and inside the health gate, and SIGKILL, converge with an honest
// record. Interruptions are timed by the CLI's own log lines, never by sleeps.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, config, containers, docker, interruptAt, makeSite, served, servedEventually, version, type StatusJson } from '../helpers/releases-site.js';

vi.setConfig({ testTimeout: 400_000 });

describe('releases recover from a moved tag, a failed rollback gate and interruptions (local target)', () => {
  const s = makeSite('local');

  beforeAll(async () => {
    for (const v of ['A', 'B']) {
      version(s, v);
      const r = await cli(s, ['--json', 'deploy', '--yes']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(await servedEventually(s, v)).toBe(v);
    }
  }, 400_000);

  it('a moved published tag makes a new release; a rollback after it runs the old image id again', async () => {
    const oldImage = containers(s).proxy!.image;
    const moved = join(s.dir, '..', 'moved');
    mkdirSync(moved, { recursive: true });
    writeFileSync(join(moved, 'Dockerfile'), `FROM shipproof-offline/busybox:1.35\nLABEL moved=${s.project}\n`);
    execFileSync('docker', ['build', '-q', '-t', s.proxyImage, moved], { stdio: 'pipe' });
    const newImage = docker('image', 'inspect', '--format', '{{.Id}}', s.proxyImage);
    expect(newImage).not.toBe(oldImage);
    const plan = await cli(s, ['deploy', '--dry-run']);
    expect(plan.stdout).toContain(`image of proxy: ${newImage}`);
    const r = await cli(s, ['--json', 'deploy', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'deployed' });
    expect(containers(s).proxy!.image).toBe(newImage);
    const back = await cli(s, ['--json', 'rollback', '--yes']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(containers(s).proxy!.image).toBe(oldImage);
    expect(await servedEventually(s, 'B')).toBe('B');
  });

  it('a rollback whose own gate fails: status and evidence say DOWN, exit non-zero, recovery commands printed', async () => {
    const target = `  here:\n    host: local\n    appDir: ${s.appDir}\n`;
    writeFileSync(join(s.dir, 'shipproof.yaml'), config(s, target, '/nothing-answers-here', '15s'));
    try {
      const r = await cli(s, ['--json', 'rollback', '--yes']);
      expect(r.code, r.stderr).toBe(1);
      const out = JSON.parse(r.stdout) as { down?: { running: string; recovery: string[] } };
      expect(out.down?.running).toMatch(/^r-/);
      expect(out.down!.recovery.join('\n')).toMatch(/docker-compose --project-name .* up --detach/);
      const st = await cli(s, ['--json', 'status']);
      expect(st.code).toBe(1);
      expect(JSON.parse(st.stdout) as StatusJson).toMatchObject({ health: 'down', down: { running: out.down!.running } });
      const human = await cli(s, ['status']);
      expect(human.stdout).toMatch(/Stack: DOWN/);
      expect(human.stdout).not.toMatch(/\(last good\)/);
      const list = await cli(s, ['evidence', 'list']);
      expect(list.stdout).toMatch(/rollback\s+here\s+failed/);
    } finally {
      writeFileSync(join(s.dir, 'shipproof.yaml'), config(s, target, '/healthz'));
    }
    const healed = await cli(s, ['--json', 'deploy', '--yes']);
    expect(healed.code, healed.stderr + healed.stdout).toBe(0);
    expect((JSON.parse((await cli(s, ['--json', 'status'])).stdout) as StatusJson).health).toBe('healthy');
  });

  it.each([
    ['before the stack changes (milestone 3)', /milestone 3:/],
    ['at the milestone 6 boundary', /milestone 6:/],
    ['inside the health gate', /milestone 7:/],
  ])('SIGINT %s: rolled back or untouched, recorded, lock free, old release serving', async (_what, when) => {
    const was = await served(s);
    version(s, `I${randomBytes(2).toString('hex')}`);
    const r = await interruptAt(s, ['deploy', '--yes'], when, 'SIGINT');
    expect(r.seen).toBe(true);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/interrupted by SIGINT/);
    expect(await servedEventually(s, was)).toBe(was);
    const st = JSON.parse((await cli(s, ['--json', 'status'])).stdout) as StatusJson;
    expect(st.health).toBe('healthy');
    expect(st.inProgress).toBeUndefined();
    expect(st.interrupted).toBeUndefined();
    expect((await cli(s, ['lock', 'status'])).stdout.trim()).toBe('free');
    expect((await cli(s, ['evidence', 'verify'])).code).toBe(0);
    const list = await cli(s, ['evidence', 'list']);
    expect(list.stdout.trim().split('\n').pop()).toMatch(/deploy\s+here\s+error/);
  });

  it('SIGKILL inside the health gate: status says interrupted and not gated (never "in progress"), the next deploy converges', async () => {
    version(s, 'K');
    const r = await interruptAt(s, ['deploy', '--yes'], /milestone 7:/, 'SIGKILL');
    expect(r.seen).toBe(true);
    const st = await cli(s, ['--json', 'status']);
    const status = JSON.parse(st.stdout) as StatusJson;
    expect(status.inProgress).toBeUndefined();
    expect(status.interrupted?.release).toMatch(/^r-/);
    expect(status.health).toBe('ungated');
    const again = await cli(s, ['--json', 'deploy', '--yes']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(await servedEventually(s, 'K')).toBe('K');
    expect((JSON.parse((await cli(s, ['--json', 'status'])).stdout) as StatusJson).health).toBe('healthy');
    expect((await cli(s, ['evidence', 'verify'])).code).toBe(0);
  });
});
