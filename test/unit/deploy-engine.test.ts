// The deploy engine's decisions against a recording fake target (no Docker, no SSH): which
// release a rollback goes to and what it runs (published images too), the --force guard, an
// honest DOWN after a failed rollback, lock recovery, and that every command a milestone ran is
// one its plan shows.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config/load.js';
import { planDeploy, rollback, runMilestone, status } from '../../src/deploy/deploy.js';
import { layout } from '../../src/deploy/layout.js';
import { chooseRollbackRelease } from '../../src/deploy/rollback.js';
import { observedChanges, parseConfigHashes, planServices } from '../../src/deploy/service-plan.js';
import { emptyState, type DeployState, type ReleaseRecord } from '../../src/deploy/state.js';
import { stackHealth } from '../../src/deploy/status.js';
import { releaseId } from '../../src/deploy/identity.js';
import { UsageError } from '../../src/errors.js';
import { parseContainerInspect } from '../../src/docker/parse.js';
import { containerJson, dockerHost, FakeTarget, matchesPlanned } from '../helpers/fake-target.js';

const APP = '/srv/app';
const L = layout(APP);
let root: string;
let config: ResolvedConfig;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'shipproof-engine-'));
  process.env.SHIPPROOF_HOME = join(root, 'home');
  const dir = join(root, 'project');
  mkdirSync(join(dir, 'app'), { recursive: true });
  mkdirSync(join(dir, 'conf'), { recursive: true });
  writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM busybox\n');
  writeFileSync(join(dir, 'conf', 'site.conf'), 'listen 80\n');
  writeFileSync(join(dir, 'server.env'), 'WEB_PORT=8080\n', { mode: 0o600 });
  writeFileSync(
    join(dir, 'compose.yaml'),
    'services:\n  web:\n    build: ./app\n    image: app:latest\n    volumes:\n      - ./conf/site.conf:/etc/site.conf:ro\n  db:\n    image: postgres:15\n',
  );
  writeFileSync(
    join(dir, 'shipproof.yaml'),
    `project: shop\ndefaultTarget: prod\ntargets:\n  prod:\n    host: local\n    appDir: ${APP}\nenvFiles:\n  - path: .env\n    source: server.env\n    required: [WEB_PORT]\nstateful:\n  db: false\ndeploy:\n  healthTimeout: 2s\n  healthInterval: 1s\n  stableChecks: 1\n`,
  );
  config = await loadConfig({ cwd: dir });
});

const rec = (id: string, o: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  id,
  bundleSha256: id,
  uploadedAt: '2026-01-01T00:00:00Z',
  status: 'healthy',
  healthyAt: '2026-01-01T00:01:00Z',
  images: {
    web: { ref: 'app:latest', releaseTag: `shipproof-release/shop-web:${id}`, id: `sha256:web-${id}`, built: true },
    db: { ref: 'postgres:15', releaseTag: `shipproof-release/shop-db:${id}`, id: `sha256:db-${id}`, built: false },
  },
  composeFiles: ['compose.yaml', '.shipproof/mounts.compose.yaml'],
  mounts: [],
  ...o,
});

function server(state: DeployState, containers: () => string): FakeTarget {
  const t = dockerHost(new FakeTarget());
  t.files.set(L.stateFile, JSON.stringify(state));
  return t
    .on('docker image inspect', { stdout: '[]', exitCode: 1 })
    .on('docker ps', { stdout: 'c1\nc2\n' })
    .on('docker container inspect', () => ({ stdout: containers() }));
}

const healthy = () => containerJson('shop', [{ id: 'c1', service: 'web' }, { id: 'c2', service: 'db' }]);
const exited = () => containerJson('shop', [{ id: 'c1', service: 'web', state: 'exited', exitCode: 3 }, { id: 'c2', service: 'db' }]);
const opts = <T extends object = object>(target: FakeTarget, more?: T) => ({ config, target, yes: true, noSignalHandlers: true, ...(more as T) });

describe('rollback decisions', () => {
  const state: DeployState = { ...emptyState(), releases: [rec('r-old'), rec('r-bad', { status: 'rolled-back', healthyAt: undefined }), rec('r-new')], current: 'r-new', lastKnownGood: 'r-new' };

  it('chooses the newest release that passed its gate before the current; a failed one needs --force', () => {
    expect(chooseRollbackRelease(state).to?.id).toBe('r-old');
    expect(chooseRollbackRelease(state, 'r-bad')).toMatchObject({ to: { id: 'r-bad' }, needsForce: true });
    expect(chooseRollbackRelease(state, 'r-nope').problem).toMatch(/not on this target/);
    expect(chooseRollbackRelease({ ...state, releases: [rec('r-new')] }).problem).toMatch(/no earlier release/);
  });

  it('restores every image (published ones too) by its release tag, then compose from the live folder, then the gate', async () => {
    const t = server(state, healthy);
    const r = await rollback(opts(t));
    expect(r).toMatchObject({ outcome: 'rolled-back', exitCode: 0, rollback: { to: 'r-old', healthy: true } });
    const lines = t.calls.map((c) => c.argv.join(' '));
    expect(lines).toContain('docker image tag shipproof-release/shop-web:r-old app:latest');
    expect(lines).toContain('docker image tag shipproof-release/shop-db:r-old postgres:15');
    const up = lines.findIndex((l) => l.includes(' up --detach'));
    expect(lines[up]).toBe(`docker-compose --project-name shop --project-directory ${APP}/live --file ${APP}/live/compose.yaml --file ${APP}/live/.shipproof/mounts.compose.yaml up --detach --remove-orphans --no-build`);
    expect(lines.findIndex((l) => l.includes('shipproof-switch releases/r-old /srv/app/live'))).toBeLessThan(up);
    expect(lines.findIndex((l) => l.includes(`shipproof-switch releases/r-old ${APP}/current`))).toBeGreaterThan(up);
    const after = JSON.parse(t.files.get(L.stateFile)!) as DeployState;
    expect(after).toMatchObject({ current: 'r-old', lastKnownGood: 'r-old' });
    expect(after.down).toBeUndefined();
    expect(after.inProgress).toBeUndefined();
  });

  it('refuses a release whose own deploy failed without --force, and records the reason with it', async () => {
    await expect(rollback(opts(server(state, healthy), { release: 'r-bad' }))).rejects.toBeInstanceOf(UsageError);
    const t = server(state, healthy);
    const r = await rollback(opts(t, { release: 'r-bad', forceReason: 'r-old has the schema bug' }));
    expect(r.exitCode).toBe(0);
    expect(r.notes.join('\n')).toMatch(/forced: r-old has the schema bug/);
    const after = JSON.parse(t.files.get(L.stateFile)!) as DeployState;
    expect(after.releases.find((x) => x.id === 'r-bad')?.forced).toBe('r-old has the schema bug');
  });

  it('a rollback whose gate fails says DOWN everywhere: result, state, status; with recovery commands', async () => {
    const t = server(state, exited);
    const r = await rollback(opts(t));
    expect(r.exitCode).toBe(1);
    expect(r.down).toMatchObject({ running: 'r-old', reason: expect.stringMatching(/did not pass its health gate/) });
    expect(r.down!.recovery.join('\n')).toContain('docker-compose --project-name shop --project-directory /srv/app/live');
    const after = JSON.parse(t.files.get(L.stateFile)!) as DeployState;
    expect(after.down?.running).toBe('r-old');
    expect(after.releases.find((x) => x.id === 'r-old')?.status).toBe('unhealthy');
    const st = await status(opts(t));
    expect(st.health).toBe('down');
    // The current link was not switched onto a release that failed its gate.
    expect(t.ran(`sh -c set -e; ln -sfn -- "$1" "$2.next"; mv -fT -- "$2.next" "$2" shipproof-switch releases/r-old ${APP}/current`)).toEqual([]);
  });
});

describe('lock recovery', () => {
  it('a lock whose holder on this machine is dead is recovered and noted', async () => {
    const state: DeployState = { ...emptyState(), releases: [rec('r-old'), rec('r-new')], current: 'r-new' };
    const t = server(state, healthy);
    t.dirs.add(L.lockDir);
    t.files.set(L.lockHolder, JSON.stringify({ operator: 'x', host: hostname(), pid: 2 ** 22 + 12345, since: '2026-01-01T00:00:00Z' }));
    const r = await rollback(opts(t));
    expect(r.notes.join('\n')).toMatch(/recovered the lock left by a killed deploy/);
    expect(t.dirs.has(L.lockDir)).toBe(false);
  });

  it('a lock held by a live process is refused, naming the holder', async () => {
    const t = server({ ...emptyState(), releases: [rec('r-old'), rec('r-new')], current: 'r-new' }, healthy);
    t.dirs.add(L.lockDir);
    t.files.set(L.lockHolder, JSON.stringify({ operator: 'ann', host: hostname(), pid: process.pid, since: 'now' }));
    await expect(rollback(opts(t))).rejects.toThrow(/Another deploy holds the lock.*ann@/);
  });
});

describe('status is honest', () => {
  const base: DeployState = { ...emptyState(), releases: [rec('r-1')], current: 'r-1', lastKnownGood: 'r-1' };
  it('healthy only when the current release passed and nothing since says otherwise', () => {
    expect(stackHealth(base, 'r-1', false).health).toBe('healthy');
    expect(stackHealth({ ...base, inProgress: { release: 'r-2', startedAt: 'x', operator: 'o', host: 'h', pid: 1 } }, 'r-2', false).health).toBe('ungated');
    expect(stackHealth(base, 'r-2', false).health).toBe('ungated');
    expect(stackHealth({ ...base, down: { since: 'x', reason: 'gate failed', running: 'r-1', recovery: [] } }, 'r-1', false).health).toBe('down');
  });
});

describe('per-service plan', () => {
  it('predicts from config hashes and names why; observes from container ids', () => {
    const running = JSON.parse(containerJson('p', [{ id: 'a', service: 'web', configHash: 'aaaaaaaaaaaaaaaa' }, { id: 'b', service: 'caddy', configHash: 'cccccccccccccccc' }, { id: 'o', service: 'old', configHash: 'dddddddddddddddd' }]));
    const containers = parseContainerInspect(JSON.stringify(running));
    const hashes = parseConfigHashes('web bbbbbbbbbbbbbbbb\ncaddy cccccccccccccccc\nworker eeeeeeeeeeeeeeee\n');
    expect(planServices(hashes, containers).map((c) => `${c.service}:${c.action}`)).toEqual(['caddy:unchanged', 'web:recreated', 'worker:started', 'old:removed']);
    const after = containers.filter((c) => c.service !== 'old').map((c) => (c.service === 'web' ? { ...c, id: 'a2' } : c));
    expect(observedChanges(containers, after).map((c) => `${c.service}:${c.action}`)).toEqual(['caddy:unchanged', 'old:removed', 'web:recreated']);
  });

  it('a moved published image makes another release id', () => {
    const b = { releaseId: 'r-bundle' };
    expect(releaseId(b, new Map())).toBe('r-bundle');
    expect(releaseId(b, new Map([['db', 'sha256:1']]))).not.toBe(releaseId(b, new Map([['db', 'sha256:2']])));
    expect(releaseId(b, new Map([['db', 'sha256:1']]))).toBe(releaseId(b, new Map([['db', 'sha256:1']])));
  });
});

describe('one plan: every command a milestone runs is in its plan', () => {
  it.each([1, 2, 3, 4, 5, 6, 7])('milestone %i', async (n) => {
    const t = server({ ...emptyState() }, healthy);
    t.on('sha256sum', { exitCode: 1 })
      .on(/^sh -c .*shipproof-env/, { stdout: '600 deploy deploy\nWEB_PORT\tset\n' })
      .on(/docker-compose .* config$/, { stdout: 'services:\n  web:\n    build:\n      context: /x\n    image: app:latest\n  db:\n    image: postgres:15\n' })
      .on(/docker-compose .* config --hash/, { stdout: 'db 0123456789abcdef0123\nweb fedcba98765432100123\n' })
      .on('docker image inspect', { stdout: JSON.stringify([{ Id: 'sha256:1111', RepoTags: ['app:latest'] }, { Id: 'sha256:2222', RepoTags: ['postgres:15'] }]) });
    let from = -1;
    let to = -1;
    const log = (line: string) => {
      if (line.startsWith(`milestone ${n}:`)) from = t.calls.length;
      else if (from >= 0 && to < 0 && line.startsWith('  ') && !line.startsWith('  plan:')) to = t.calls.length;
    };
    const r = await runMilestone(opts(t, { milestone: String(n), forceReason: 'unit test', log }));
    expect(from).toBeGreaterThanOrEqual(0);
    const plan = await planDeploy({ config, target: t, noSignalHandlers: true });
    const planned = plan.steps.find((s) => s.step.number === n)!.commands.map((c) => c.argv);
    const ran = t.calls.slice(from, to).map((c) => c.argv);
    expect(ran.length, JSON.stringify(r)).toBeGreaterThan(0);
    const outside = ran.filter((argv) => !planned.some((p) => matchesPlanned(p, argv)));
    expect(outside, `planned:\n${planned.map((p) => p.join(' ')).join('\n')}`).toEqual([]);
  });
});

describe('automatic rollback', () => {
  it('a failed gate rolls back to the last good release from before; when its gate fails too, the run says DOWN', async () => {
    const state: DeployState = { ...emptyState(), releases: [rec('r-old')], current: 'r-old', lastKnownGood: 'r-old' };
    const t = server(state, exited);
    const r = await runMilestone(opts(t, { milestone: '7', forceReason: 'unit test' }));
    expect(r.exitCode).toBe(1);
    expect(r.milestones[0]).toMatchObject({ number: 7, status: 'fail' });
    expect(r.rollback).toMatchObject({ to: 'r-old', healthy: false });
    expect(r.down?.running).toBe('r-old');
    expect(t.ran('docker image tag shipproof-release/shop-db:r-old postgres:15')).toHaveLength(1);
    const after = JSON.parse(t.files.get(L.stateFile)!) as DeployState;
    expect(after.down?.recovery.length).toBeGreaterThan(2);
  });
});

// Last in this file: it registers a secret with the process-wide redactor.
describe('evidence is settled before the first change', () => {
  it('a secret that is also a service name stops the deploy before anything on the target runs', async () => {
    const dir = join(root, 'umami');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  umami:\n    image: umami:latest\n');
    writeFileSync(join(dir, 'shipproof.yaml'), `project: analytics\ndefaultTarget: prod\ntargets:\n  prod:\n    host: local\n    appDir: ${APP}\n`);
    const c = await loadConfig({ cwd: dir });
    const { redactor } = await import('../../src/redact/index.js');
    redactor.addSecret('umami', 'test:POSTGRES_PASSWORD');
    const t = server(emptyState(), healthy);
    const { deploy } = await import('../../src/deploy/deploy.js');
    await expect(deploy({ config: c, target: t, yes: true, noSignalHandlers: true })).rejects.toThrow(/no deploy starts/);
    expect(t.calls).toEqual([]);
  });
});
