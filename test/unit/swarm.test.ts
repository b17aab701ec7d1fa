// The swarm target's pure parts: argv builders (exact), compat findings, the stack file, and the
// rollout verdicts — the watch run against the recording fake target with Swarm's own JSON.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import * as cmd from '../../src/swarm/commands.js';
import { swarmFindings } from '../../src/swarm/compat.js';
import { repoOf, releaseTag } from '../../src/swarm/images.js';
import { judgeService, type ServiceView, type TaskView } from '../../src/swarm/observe.js';
import { Runner } from '../../src/swarm/runner.js';
import { ENV_WRAPPER, releaseIdOf, shellEnvFile, stackFile, versionedName } from '../../src/swarm/stack.js';
import { watchStack } from '../../src/swarm/watch.js';
import { FakeTarget } from '../helpers/fake-target.js';

const SWARM = { order: 'start-first', failureAction: 'rollback', monitorMs: 10_000, parallelism: 1, delayMs: 0, convergeTimeoutMs: 60_000 } as const;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function project(yaml: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sp-swarm-unit-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), yaml);
  return loadCompose([path.join(dir, 'compose.yaml')], { cwd: dir });
}

const COMPOSE = `services:
  web:
    build: .
    image: acme/web
    env_file: web.env
    restart: on-failure
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
  proxy:
    image: caddy:2
    container_name: proxy
    privileged: true
    ports: ["80:80"]
    volumes: ["./Caddyfile:/etc/caddy/Caddyfile:ro", "data:/data"]
    depends_on:
      web:
        condition: service_healthy
  legacy:
    image: busybox
    volumes_from: [proxy]
volumes:
  data:
`;

describe('swarm argv builders', () => {
  it('never put a secret value on the command line: create reads stdin', () => {
    expect(cmd.secretCreate('s_web_env_abc', { 'dev.shipproof.stack': 's' })).toEqual(['docker', 'secret', 'create', '--label', 'dev.shipproof.stack=s', 's_web_env_abc', '-']);
    expect(cmd.configCreate('s_Caddyfile_abc', {})).toEqual(['docker', 'config', 'create', 's_Caddyfile_abc', '-']);
  });
  it('deploys with pinned images, never re-resolved', () => {
    expect(cmd.stackDeploy('/opt/s/releases/r1/stack.json', 's')).toEqual(['docker', 'stack', 'deploy', '--prune', '--resolve-image', 'never', '--compose-file', '/opt/s/releases/r1/stack.json', 's']);
    expect(cmd.serviceInspect(['a', 'b'])).toEqual(['docker', 'service', 'inspect', 'a', 'b']);
    expect(cmd.taskInspect(['t1'])).toEqual(['docker', 'inspect', '--type', 'task', 't1']);
    expect(cmd.imageBuild('/p', 'acme/web:shipproof-build')).toEqual(['docker', 'build', '--quiet', '--tag', 'acme/web:shipproof-build', '/p']);
  });
  it('names images and objects by content', () => {
    expect(repoOf('registry:5000/acme/web:1.2')).toBe('registry:5000/acme/web');
    expect(repoOf('caddy@sha256:abc')).toBe('caddy');
    expect(releaseTag('acme/web', 'sha256:0123456789abcdef')).toBe('acme/web:sp-0123456789ab');
    expect(versionedName('s', 'web_env', 'A=1\n')).toMatch(/^s_web_env_[0-9a-f]{12}$/);
    expect(versionedName('s', 'web_env', 'A=1\n')).not.toBe(versionedName('s', 'web_env', 'A=2\n'));
    expect(shellEnvFile({ A: "it's" })).toBe(`export A='it'\\''s'\n`);
  });
});

describe('swarm compat findings', () => {
  it('say what Swarm ignores or rejects, at file:line, and what shipproof does', async () => {
    const f = swarmFindings(await project(COMPOSE));
    const line = (svc: string, key: string) => f.find((x) => x.service === svc && x.key === key);
    expect(line('web', 'build')).toMatchObject({ swarm: 'ignores', handling: 'converted', location: { line: 3 } });
    expect(line('web', 'restart')!.message).toContain('restart_policy (condition on-failure)');
    expect(line('proxy', 'depends_on')).toMatchObject({ swarm: 'rejects', handling: 'converted', location: { line: 16 } });
    expect(line('proxy', 'container_name')).toMatchObject({ handling: 'dropped', location: { line: 12 } });
    expect(line('proxy', 'privileged')).toMatchObject({ handling: 'dropped' });
    expect(line('legacy', 'volumes_from')).toMatchObject({ swarm: 'rejects', handling: 'refused' });
  });
});

describe('swarm stack file', () => {
  it('pins images, carries env files and files as external secrets/configs, maps restart, drops depends_on', async () => {
    const p = await project(COMPOSE);
    const file = stackFile(
      { ...p, services: p.services.filter((s) => s.name !== 'legacy') },
      {
        images: { web: 'acme/web:sp-0123456789ab', proxy: 'caddy@sha256:ff' },
        imageCommand: { web: { entrypoint: [], cmd: ['node', 'web.js'] } },
        envSecrets: { web: 's_web_env_1' },
        fileConfigs: { proxy: { '/etc/caddy/Caddyfile': 's_Caddyfile_2' } },
        swarm: SWARM,
      },
    ) as { services: Record<string, Record<string, unknown>>; secrets: unknown; configs: unknown };
    expect(file.services.web).toEqual({
      image: 'acme/web:sp-0123456789ab',
      // docker stack deploy interpolates the file once more: $ is written $$.
      entrypoint: ENV_WRAPPER.map((w) => w.replace(/\$/g, '$$$$')),
      command: ['node', 'web.js'],
      healthcheck: { test: ['CMD', 'true'], interval: '2000ms' },
      secrets: [{ source: 's_web_env_1', target: 'shipproof.env', mode: 0o400 }],
      deploy: {
        endpoint_mode: 'dnsrr',
        restart_policy: { condition: 'on-failure' },
        update_config: { parallelism: 1, delay: '0ms', order: 'start-first', failure_action: 'rollback', monitor: '10000ms' },
        rollback_config: { parallelism: 1, order: 'start-first' },
      },
    });
    const proxy = file.services.proxy!;
    expect(proxy.ports).toEqual([{ target: 80, published: 80, protocol: 'tcp', mode: 'host' }]);
    expect(proxy.volumes).toEqual(['data:/data']);
    expect(proxy.configs).toEqual([{ source: 's_Caddyfile_2', target: '/etc/caddy/Caddyfile', mode: 0o444 }]);
    expect((proxy.deploy as { update_config: { order: string } }).update_config.order).toBe('stop-first');
    expect(proxy).not.toHaveProperty('depends_on');
    expect(proxy).not.toHaveProperty('container_name');
    expect(file.secrets).toEqual({ s_web_env_1: { external: true } });
    expect(file.configs).toEqual({ s_Caddyfile_2: { external: true } });
    expect(releaseIdOf(file)).toMatch(/^[0-9a-f]{12}$/);
  });
});

const svc = (o: Partial<ServiceView> = {}): ServiceView => ({ id: 'S', name: 's_web', image: 'web:sp-new', replicas: 1, hasHealthcheck: true, ...o });
const task = (o: Partial<TaskView> = {}): TaskView => ({ id: 'T1', serviceId: 'S', nodeId: 'N', image: 'web:sp-new', state: 'running', desired: 'running', containerId: 'C1', ...o });
const want = { image: 'web:sp-new', imageId: 'sha256:new' };

describe('swarm rollout verdicts (never the exit code)', () => {
  it('a rollback Swarm completed is a failure, although the service is healthy again', () => {
    const v = judgeService(svc({ image: 'web:sp-old', update: { state: 'rollback_completed', message: 'rollback completed' } }), [task({ image: 'web:sp-old' })], new Map([['C1', { id: 'C1', imageId: 'sha256:old', health: 'healthy' }]]), want);
    expect(v).toMatchObject({ state: 'failed', rolledBack: true });
  });
  it('the same rollback_completed service is converged when the old release is what is expected (the stack-wide rollback)', () => {
    const v = judgeService(svc({ image: 'web:sp-old', update: { state: 'rollback_completed' } }), [task({ image: 'web:sp-old' })], new Map([['C1', { id: 'C1', imageId: 'sha256:old', health: 'healthy' }]]), { image: 'web:sp-old', imageId: 'sha256:old' });
    expect(v).toEqual({ service: 's_web', state: 'converged', tasks: 1 });
  });
  it('pending while updating, while a task is starting, or while it is not healthy yet', () => {
    expect(judgeService(svc({ update: { state: 'updating' } }), [], new Map(), want).state).toBe('pending');
    expect(judgeService(svc(), [task({ state: 'starting' })], new Map(), want).state).toBe('pending');
    expect(judgeService(svc(), [task()], new Map([['C1', { id: 'C1', imageId: 'sha256:new', health: 'starting' }]]), want).state).toBe('pending');
  });
  it('a task on another image id than the pinned one fails; paused and rejected fail at once', () => {
    expect(judgeService(svc(), [task()], new Map([['C1', { id: 'C1', imageId: 'sha256:other', health: 'healthy' }]]), want)).toMatchObject({ state: 'failed' });
    expect(judgeService(svc({ update: { state: 'paused' } }), [], new Map(), want)).toMatchObject({ state: 'failed', rolledBack: false });
    expect(judgeService(svc(), [task({ state: 'rejected', error: 'No such image' })], new Map(), want)).toMatchObject({ state: 'failed', why: expect.stringContaining('No such image') });
  });
});

describe('swarm watch against the recording fake target', () => {
  it('reads UpdateStatus, tasks and containers until Swarm reports the rollback, then says so', async () => {
    const t = new FakeTarget();
    let polls = 0;
    t.on('docker stack services', { stdout: 'S\n' });
    t.on('docker service inspect', () => {
      polls++;
      const rolled = polls >= 2;
      return {
        stdout: JSON.stringify([
          {
            ID: 'S',
            Spec: { Name: 's_web', Mode: { Replicated: { Replicas: 1 } }, TaskTemplate: { ContainerSpec: { Image: rolled ? 'web:sp-old' : 'web:sp-new', Healthcheck: { Test: ['CMD', 'true'] } } } },
            UpdateStatus: rolled ? { State: 'rollback_completed', Message: 'rollback completed' } : { State: 'updating' },
          },
        ]),
      };
    });
    t.on('docker stack ps', { stdout: 'T1\n' });
    t.on('docker inspect --type task', { stdout: JSON.stringify([{ ID: 'T1', ServiceID: 'S', NodeID: 'N', DesiredState: 'running', Spec: { ContainerSpec: { Image: 'web:sp-old' } }, Status: { State: 'running', ContainerStatus: { ContainerID: 'C1' } } }]) });
    t.on('docker container inspect', { stdout: `${JSON.stringify({ Id: 'C1', Image: 'sha256:old', State: { Health: { Status: 'healthy' } } })}\n` });
    const r = new Runner(t);
    const w = await watchStack(r, { stack: 's', nodeId: 'N', expected: { web: want }, timeoutMs: 10_000, intervalMs: 1 });
    expect(w.state).toBe('failed');
    expect(w.rolledBack).toBe(true);
    expect(w.why).toContain('rollback_completed');
    expect(w.polls).toBe(2);
    // Only the last poll's reads are kept as the record's commands.
    expect(r.commands.map((c) => c.argv.slice(0, 3).join(' '))).toEqual(['docker stack services', 'docker service inspect', 'docker stack ps', 'docker inspect --type', 'docker container inspect']);
    expect(t.ran('docker stack deploy')).toHaveLength(0);
  });
});

describe('swarm config', () => {
  it('kind: swarm marks the target; swarm: defaults are start-first, rollback, 10 s monitor', async () => {
    const { loadConfig } = await import('../../src/config/load.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'sp-swarm-cfg-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: busybox\n');
    writeFileSync(path.join(dir, 'shipproof.yaml'), 'targets:\n  prod:\n    kind: swarm\n    host: ssh://deploy@203.0.113.10\n  single:\n    host: ssh://deploy@203.0.113.11\nswarm:\n  monitor: 5s\n');
    const c = await loadConfig({ cwd: dir });
    expect(c.targets.prod!.swarm).toBe(true);
    expect(c.targets.single!.swarm).toBeUndefined();
    expect(c.swarm).toEqual({ order: 'start-first', failureAction: 'rollback', monitorMs: 5_000, parallelism: 1, delayMs: 0, convergeTimeoutMs: 180_000 });
    // The commands that drive Compose (run, rollback, down, backup, restore) refuse a swarm target, before connecting.
    const { resolveComposeTarget } = await import('../../src/config/load.js');
    expect(() => resolveComposeTarget(c, 'prod')).toThrow(/swarm target \(kind: swarm\).*not available on swarm targets yet/);
    expect(resolveComposeTarget(c, 'single').name).toBe('single');
  });
});

describe('swarm object pruning', () => {
  it('removes only this stack\'s secrets and configs that no kept release names', async () => {
    const { pruneObjects } = await import('../../src/swarm/objects.js');
    const t = new FakeTarget();
    t.on('docker secret ls', { stdout: 's_web_env_old\ns_web_env_prev\ns_web_env_new\n' });
    t.on('docker config ls', { stdout: 's_Caddyfile_1\n' });
    const removed = await pruneObjects(new Runner(t), 's', new Set(['s_web_env_new', 's_web_env_prev', 's_Caddyfile_1']));
    expect(removed).toEqual(['s_web_env_old']);
    expect(t.ran('docker secret ls')[0]!.argv).toEqual(['docker', 'secret', 'ls', '--filter', 'label=dev.shipproof.stack=s', '--format', '{{.Name}}']);
    expect(t.ran('docker secret rm').map((c) => c.argv)).toEqual([['docker', 'secret', 'rm', 's_web_env_old']]);
    expect(t.ran('docker config rm')).toHaveLength(0);
  });
});
