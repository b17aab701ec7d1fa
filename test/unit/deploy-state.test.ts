import { describe, expect, it } from 'vitest';
import { evaluateContainers, healthGate } from '../../src/deploy/health-gate.js';
import { guardProblems } from '../../src/deploy/deploy.js';
import { releasesToPrune, upsertRelease, emptyState, type ReleaseRecord } from '../../src/deploy/state.js';
import type { ContainerInfo } from '../../src/docker/parse.js';

const rel = (id: string, status: ReleaseRecord['status'] = 'healthy'): ReleaseRecord => ({ id, bundleSha256: id, uploadedAt: id, status, images: {}, composeFiles: [], mounts: [] });

describe('release pruning', () => {
  it('keeps the newest N, the current and the last known good', () => {
    let s = emptyState();
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']) s = upsertRelease(s, rel(id));
    s = { ...s, current: 'r6', lastKnownGood: 'r2' };
    expect(releasesToPrune(s, 2).map((r) => r.id)).toEqual(['r1', 'r3', 'r4']);
    expect(releasesToPrune(s, 10)).toEqual([]);
    // keep: 0 still keeps one
    expect(releasesToPrune({ ...s, current: undefined, lastKnownGood: undefined }, 0).map((r) => r.id)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  });
});

function c(service: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `${service}-id`,
    name: `p_${service}_1`,
    project: 'p',
    service,
    image: 'x',
    imageId: 'sha256:x',
    state: 'running',
    health: 'none',
    exitCode: 0,
    restartCount: 0,
    oomKilled: false,
    startedAt: undefined,
    labels: {},
    publishedPorts: [],
    ...over,
  };
}

describe('health gate', () => {
  it('restarting and exited fail at once, with the culprit', () => {
    const stable = new Map();
    expect(evaluateContainers(['web'], [c('web', { state: 'restarting', exitCode: 3 })], stable, 2).fatal).toEqual({
      kind: 'restarting',
      reason: 'web is restarting (exit code 3)',
      culprits: ['p_web_1'],
    });
    expect(evaluateContainers(['web'], [c('web', { state: 'exited', exitCode: 1 })], stable, 2).fatal?.kind).toBe('exited');
    expect(evaluateContainers(['web'], [c('web', { health: 'unhealthy' })], stable, 2).fatal?.kind).toBe('unhealthy');
  });

  it('a service without healthcheck must stay running over consecutive checks; a restart resets the count', () => {
    const stable = new Map();
    expect(evaluateContainers(['w'], [c('w')], stable, 3).ready).toBe(false);
    expect(evaluateContainers(['w'], [c('w')], stable, 3).ready).toBe(false);
    expect(evaluateContainers(['w'], [c('w', { restartCount: 1 })], stable, 3).ready).toBe(false);
    expect(evaluateContainers(['w'], [c('w', { restartCount: 1 })], stable, 3).ready).toBe(false);
    expect(evaluateContainers(['w'], [c('w', { restartCount: 1 })], stable, 3).ready).toBe(true);
  });

  it('a timeout is a failure that says what it waited for', async () => {
    let t = 0;
    const v = await healthGate({
      expectedServices: ['web'],
      probes: [],
      timeoutMs: 5_000,
      intervalMs: 1_000,
      stableChecks: 1,
      readContainers: async () => [c('web', { health: 'starting' })],
      run: async () => {
        throw new Error('not called');
      },
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    expect(v).toMatchObject({ passed: false, kind: 'timed_out', reason: 'timed out after 5 s: web is running/starting' });
  });

  it('passes only when every service is ready and every probe answers as expected', async () => {
    const v = await healthGate({
      expectedServices: ['web', 'job'],
      probes: [{ name: 'h', url: 'http://x/h', status: 200, timeoutMs: 1000, intervalMs: 1000, insecure: false }],
      timeoutMs: 10_000,
      intervalMs: 1,
      stableChecks: 1,
      readContainers: async () => [c('web', { health: 'healthy' }), c('job', { state: 'exited', exitCode: 0 })],
      run: async () => ({ argv: [], exitCode: 0, signal: null, timedOut: false, aborted: false, durationMs: 1, stdout: 'ok\nshipproof-http-status:200 0.01 0', stderr: '', truncated: false }),
    });
    expect(v.passed).toBe(true);
    expect(v.probes.h).toMatchObject({ ok: true, status: 200 });
  });
});

describe('milestone guard', () => {
  it('names each earlier milestone without passing evidence; skipped (not applicable) counts as done', () => {
    const rows = [
      { number: 1, id: 'bundle-synced', status: 'passed', record: 'a' },
      { number: 2, id: 'env-files-present', status: 'skipped', record: 'b' },
      { number: 3, id: 'host-env-gates', status: 'failed', record: 'c' },
      { number: 4, id: 'key-image-builds', status: 'pending', record: null },
      { number: 5, id: 'all-images-build', status: 'pending', record: null },
    ];
    expect(guardProblems({ release: 'r', rows }, 5)).toEqual(['milestone 3 (host-env-gates) is failed', 'milestone 4 (key-image-builds) is pending']);
    expect(guardProblems({ release: 'r', rows }, 3)).toEqual([]);
  });
});

describe('the health gate and interrupts', () => {
  it('an aborted signal stops the gate with an interrupted verdict, never a pass', async () => {
    const ctl = new AbortController();
    let looks = 0;
    const verdict = await healthGate({
      expectedServices: ['web'],
      probes: [],
      timeoutMs: 60_000,
      intervalMs: 10,
      stableChecks: 5,
      readContainers: async () => {
        looks++;
        if (looks === 2) ctl.abort('SIGINT');
        return [c('web')];
      },
      run: async () => {
        throw new Error('no probes');
      },
      signal: ctl.signal,
    });
    expect(verdict).toMatchObject({ passed: false, kind: 'interrupted' });
    expect(verdict.reason).toMatch(/SIGINT/);
  });
});
