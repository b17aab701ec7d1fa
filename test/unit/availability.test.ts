// The availability watch (src/deploy/availability.ts) on a fake clock and a fake stack: per
// service, first failed observation to the next good one; no figure (never a made-up 0) for a
// service that was not serving when the watch began or that never answered; a look that could not
// be taken is no observation. Then how each service is observed (planWatch), and the figure reaching
// the end-of-deploy summary and the dashboard's downtime plot.
import { describe, expect, it } from 'vitest';
import { availabilityResult, describeAvailability, startAvailabilityWatch, type AvailabilityReport, type Observation, type WatchedService } from '../../src/deploy/availability.js';
import { containerVerdict, planWatch } from '../../src/deploy/availability-target.js';
import { buildStatement } from '../../src/evidence/statement.js';
import { trendSeries } from '../../src/dashboard/facts.js';
import { deploySummary, renderDeploySummary } from '../../src/cli/commands/deploy-summary.js';
import type { LedgerEntry } from '../../src/evidence/ledger.js';
import type { ContainerInfo } from '../../src/docker/parse.js';

type Step = { cost: number; seen: Observation | 'unreachable' };

/** Runs the watch over a script of looks; each look costs `cost` ms of fake time, then the loop sleeps the rest of the interval. */
async function watchScript(services: WatchedService[], script: Step[], intervalMs = 500): Promise<AvailabilityReport> {
  let t = 10_000;
  let i = 0;
  let drained!: () => void;
  const done = new Promise<void>((r) => (drained = r));
  const w = startAvailabilityWatch({
    services,
    intervalMs,
    now: () => t,
    observe: async () => {
      const s = script[i++]!;
      t += s.cost;
      if (s.seen === 'unreachable') throw new Error('connection dropped');
      return s.seen;
    },
    sleep: async (ms, signal) => {
      t += ms;
      if (i >= script.length) {
        drained();
        await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
      }
    },
  });
  await done;
  return w.stop();
}

const svc = (service: string, method: WatchedService['method'] = 'healthcheck'): WatchedService => ({ service, method, ...(method === 'http' ? { probes: ['healthz'] } : {}) });
const look = (seen: Observation | 'unreachable', cost = 100): Step => ({ cost, seen });

describe('the availability watch', () => {
  it('counts from the first failed observation to the next good one, per service', async () => {
    const r = await watchScript([svc('caddy', 'http'), svc('web')], [
      look({ caddy: true, web: true }),
      look({ caddy: false, web: true }),
      look({ caddy: false, web: true }),
      look({ caddy: true, web: true }),
    ]);
    const caddy = r.services.find((s) => s.service === 'caddy')!;
    const web = r.services.find((s) => s.service === 'web')!;
    // Looks start every 500 ms: failed at +500, good again at +1500.
    expect(caddy.outages).toEqual([{ fromMs: 500, toMs: 1500, open: false }]);
    expect(caddy.downtimeMs).toBe(1000);
    expect(caddy.failed).toBe(2);
    expect(web.downtimeMs).toBe(0);
    expect(web.observations).toBe(4);
    expect(web.largestGapMs).toBe(500);
    expect(describeAvailability(web, r.intervalMs)).toBe('web: by its Docker healthcheck (a running container reported healthy); 4 observation(s), one every 500 ms on average (asked: 500 ms; largest gap 500 ms); 0 ms unavailable: no failed observation');
    expect(describeAvailability(caddy, r.intervalMs)).toMatch(/^caddy: by HTTP probe healthz; 4 observation\(s\).*; 1000 ms unavailable in 1 outage\(s\) \(\+500 ms to \+1500 ms 1000 ms\), first failed to next good observation$/);
  });

  it('sums several outages, and a look that could not be taken is no observation, not a failure', async () => {
    const r = await watchScript([svc('web')], [
      look({ web: true }),
      look({ web: false }),
      look({ web: true }),
      look('unreachable'),
      look('unreachable'),
      look({ web: true }),
      look({ web: false }),
      look({ web: true }),
    ]);
    const web = r.services[0]!;
    expect(web.outages.map((o) => o.toMs - o.fromMs)).toEqual([500, 500]);
    expect(web.downtimeMs).toBe(1000);
    expect(web.observations).toBe(6);
    // The unreachable looks widen the gap between observations: that is the figure's resolution.
    expect(web.largestGapMs).toBe(1500);
    expect(r.ticks).toBe(8);
  });

  it('a service still failing when the watch stops: the figure runs to the stop and says "at least"', async () => {
    const r = await watchScript([svc('web')], [look({ web: true }), look({ web: false })]);
    const web = r.services[0]!;
    expect(web.outages).toHaveLength(1);
    expect(web.outages[0]!.open).toBe(true);
    expect(web.downtimeMs).toBe(r.stoppedAt - r.startedAt - 500);
    expect(describeAvailability(web, r.intervalMs)).toContain('still failing: at least');
  });

  it('gives no figure for a service not serving when the watch began, nor for one that never answered', async () => {
    const r = await watchScript([svc('web'), svc('worker', 'running'), svc('ghost')], [
      look({ web: false, worker: false }),
      look({ web: false, worker: false }),
      look({ web: true, worker: false }),
    ]);
    const [web, worker, ghost] = r.services;
    expect(web!.downtimeMs).toBeUndefined();
    expect(web!.firstGoodAfterMs).toBe(1000);
    expect(describeAvailability(web!, r.intervalMs)).toMatch(/no downtime figure: it was not serving when the watch began .*; first answered after 1000 ms$/);
    expect(worker!.downtimeMs).toBeUndefined();
    expect(worker!.noFigure).toMatch(/never answered in 3 observation/);
    expect(ghost!.observations).toBe(0);
    expect(ghost!.noFigure).toMatch(/^not observed/);
    const res = availabilityResult(r, 'during the test');
    expect(res.status).toBe('skipped');
    expect(res.reason).toMatch(/no service was seen serving/);
    expect(Object.keys(res.observations).filter((k) => k.endsWith('.downtimeMs'))).toEqual([]);
  });

  it('the record result holds a figure only where one was measured, with how it was observed', async () => {
    const r = await watchScript([svc('web'), svc('worker', 'running')], [look({ web: true, worker: false }), look({ web: true, worker: true })]);
    const res = availabilityResult(r, 'from milestone 6');
    expect(res).toMatchObject({ id: 'availability', gate: false, status: 'pass', commands: [] });
    expect(res.observations['web.downtimeMs']).toBe(0);
    expect(res.observations['web.outages']).toBe(0);
    expect(res.observations['worker.downtimeMs']).toBeUndefined();
    expect(res.observations['worker.availability']).toMatch(/^worker: by container state only/);
    expect(res.observations['watch.looks']).toBe(2);
    expect(res.observations['watch.intervalMs']).toBe(500);
  });
});

describe('how each service is observed', () => {
  const model = {
    services: [
      { name: 'postgres', ports: [], healthcheck: { disabled: false }, profiles: [] },
      { name: 'web', ports: [], healthcheck: { disabled: false }, profiles: [] },
      { name: 'worker', ports: [], profiles: [] },
      { name: 'caddy', ports: [{ published: 80 }, { published: 443 }], profiles: [] },
      { name: 'tools', ports: [], profiles: ['debug'] },
    ],
  } as never;
  const probes = [
    { name: 'healthz', url: 'https://localhost/healthz', status: 200, timeoutMs: 5000, intervalMs: 2000, insecure: true },
    { name: 'direct', url: 'http://127.0.0.1:9000/x', status: 200, timeoutMs: 5000, intervalMs: 2000, insecure: false },
  ];

  it('an HTTP probe belongs to the service publishing its port; else the healthcheck; else container state', () => {
    expect(planWatch(model, probes, [])).toEqual([
      { service: 'postgres', method: 'healthcheck' },
      { service: 'web', method: 'healthcheck' },
      { service: 'worker', method: 'running' },
      { service: 'caddy', method: 'http', probes: ['healthz'] },
    ]);
  });

  it('the running containers\' published ports win over the compose file (an interpolated port)', () => {
    const running = [{ service: 'web', publishedPorts: [{ hostIp: '', hostPort: 9000, containerPort: 8080, protocol: 'tcp' }] }];
    expect(planWatch(model, probes, running).find((w) => w.service === 'web')).toEqual({ service: 'web', method: 'http', probes: ['direct'] });
  });

  it('a container is good when running and healthy (or without a healthcheck); a finished one-shot job is not observed', () => {
    const c = (o: Partial<ContainerInfo>): ContainerInfo => ({ id: 'x', name: 'x', project: 'p', service: 'web', image: 'i', imageId: 'sha256:1', state: 'running', health: 'healthy', exitCode: 0, restartCount: 0, oomKilled: false, startedAt: undefined, labels: {}, publishedPorts: [], ...o });
    expect(containerVerdict([c({})], 'web')).toBe(true);
    expect(containerVerdict([c({ health: 'starting' })], 'web')).toBe(false);
    expect(containerVerdict([c({ health: 'starting' }), c({ id: 'y' })], 'web')).toBe(true);
    expect(containerVerdict([c({ state: 'exited', health: 'none', exitCode: 0 })], 'web')).toBeUndefined();
    expect(containerVerdict([c({ state: 'exited', health: 'none', exitCode: 1 })], 'web')).toBe(false);
    expect(containerVerdict([], 'web')).toBe(false);
  });
});

describe('where the figure is read', () => {
  it('the end-of-deploy summary and the dashboard downtime plot show the measured figures, per service', async () => {
    const r = await watchScript([svc('caddy', 'http'), svc('web'), svc('worker', 'running')], [
      look({ caddy: true, web: true, worker: false }),
      look({ caddy: false, web: true, worker: true }),
      look({ caddy: true, web: true, worker: true }),
    ]);
    const st = buildStatement({ kind: 'deploy', title: 'Deploy of r-2 to prod: deployed', project: 'p', target: { name: 'prod', description: '' }, release: 'r-2', startedAt: new Date('2026-12-01T00:00:00Z'), finishedAt: new Date('2026-12-01T00:01:00Z'), results: [{ id: 'm6-stack-starts', title: 'Stack starts', gate: true, status: 'pass', durationMs: 10, observations: {}, commands: [] }, availabilityResult(r, 'from milestone 6')], subjects: [], notCollected: [] });
    const entry = { seq: 3, record: '20261201T000100Z-prod-deploy', kind: 'deploy', status: 'passed', time: '2026-12-01T00:01:00.000Z', target: 'prod', release: 'r-2' } as unknown as LedgerEntry;
    const downtime = trendSeries([{ entry, statement: st }])[2]!;
    expect(downtime.label).toBe('downtime');
    expect(downtime.points.map((p) => [p.label, p.y])).toEqual([
      ['r-2 caddy', 0.5],
      ['r-2 web', 0],
    ]);
    const lines = renderDeploySummary(deploySummary([{ entry, statement: st }], { health: [] }), 'ev');
    expect(lines).toContain('unavailable: caddy 500 ms, web 0 ms, worker no figure');
  });
});
