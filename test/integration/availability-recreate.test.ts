// The availability watch on the recreate path, against real downtime: a service that publishes
// its port cannot be cut over, so a change recreates it in place (stop, remove, start), and its
// new container answers only after a slow start. While shipproof deploys (and while `run 6` runs
// alone), an independent probe loop here GETs the service's URL; the figure the deploy records
// (`web.downtimeMs`) must be > 0 and agree with what the loop saw, within the two observers'
// resolutions (the watch's largest gap plus the loop's). No timed assert: both are observations.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { removeComposeProject } from '../helpers/docker-cleanup.js';
import { requireDocker } from '../helpers/test-env.js';

requireDocker();

const root = mkdtempSync(join(tmpdir(), 'shipproof-avail-recreate-'));
const project = `sp-avail-${randomBytes(3).toString('hex')}`;
const dir = join(root, 'project');
const port = 22000 + Math.floor(Math.random() * 20000);
const url = `http://127.0.0.1:${port}/`;
mkdirSync(dir, { recursive: true });

// The server starts listening 2 s after its container starts: a recreate leaves a real gap.
function writeCompose(version: string): void {
  writeFileSync(
    join(dir, 'compose.yaml'),
    `services:
  web:
    image: shipproof-offline/node:20
    command: ["node", "-e", "setTimeout(() => require('http').createServer((q, s) => s.end(process.env.VERSION)).listen(8080), 2000)"]
    environment:
      VERSION: "${version}"
    ports:
      - "127.0.0.1:${port}:8080"
    stop_grace_period: 1s
    restart: unless-stopped
`,
  );
}
writeCompose('v1');
writeFileSync(
  join(dir, 'shipproof.yaml'),
  `project: ${project}
defaultTarget: here
targets:
  here:
    host: local
    appDir: ${join(root, 'server')}
health:
  - name: web
    url: ${url}
deploy:
  healthTimeout: 60s
  healthInterval: 1s
  stableChecks: 1
`,
);
const cli = (args: string[]) => runCli(args, { cwd: dir, env: { SHIPPROOF_HOME: join(root, 'home') }, timeoutMs: 300_000 });

afterAll(() => {
  removeComposeProject(project);
  rmSync(root, { recursive: true, force: true });
});

interface Look {
  at: number;
  ok: boolean;
}

/** GETs the URL one after another (at most one every `periodMs`), each with a 1 s timeout, until stopped. */
function probeLoop(periodMs: number): { stop(): Promise<Look[]> } {
  const looks: Look[] = [];
  let stopped = false;
  const once = (): Promise<boolean> =>
    new Promise((resolve) => {
      const req = http.get(url, { agent: false, timeout: 1_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
        res.on('error', () => resolve(false));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
    });
  const done = (async () => {
    while (!stopped) {
      const at = Date.now();
      looks.push({ at, ok: await once() });
      const rest = periodMs - (Date.now() - at);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return looks;
    },
  };
}

/** The same rule as the watch (src/deploy/availability.ts): from the first failed look after a good one to the next good look. */
function observed(looks: readonly Look[]): { downtimeMs: number; outages: number; largestGapMs: number } {
  let seenGood = false;
  let since: number | undefined;
  let downtimeMs = 0;
  let outages = 0;
  let largestGapMs = 0;
  looks.forEach((l, i) => {
    if (i > 0) largestGapMs = Math.max(largestGapMs, l.at - looks[i - 1]!.at);
    if (l.ok) {
      if (since !== undefined) {
        downtimeMs += l.at - since;
        outages++;
      }
      since = undefined;
      seenGood = true;
    } else if (seenGood && since === undefined) since = l.at;
  });
  return { downtimeMs, outages, largestGapMs };
}

/** The availability result in the newest evidence record whose name ends with `suffix`. */
function availabilityOf(suffix: string): Record<string, unknown> {
  const folder = join(dir, 'docs', 'evidence');
  const f = readdirSync(folder).filter((x) => x.endsWith(suffix)).sort().pop();
  expect(f, `no record *${suffix} in ${readdirSync(folder).join(' ')}`).toBeDefined();
  const st = JSON.parse(readFileSync(join(folder, f!), 'utf8')) as { predicate: { results: { id: string; observations: Record<string, unknown> }[] } };
  const r = st.predicate.results.find((x) => x.id === 'availability');
  expect(r, `no availability result in ${f}`).toBeDefined();
  return r!.observations;
}

/** The looks as runs of good/failed, with times relative to the first look: for the log when a check fails. */
function runsOf(looks: readonly Look[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < looks.length) {
    let j = i;
    while (j + 1 < looks.length && looks[j + 1]!.ok === looks[i]!.ok) j++;
    out.push(`${looks[i]!.ok ? 'ok' : 'FAIL'} +${looks[i]!.at - looks[0]!.at}..+${looks[j]!.at - looks[0]!.at} (${j - i + 1})`);
    i = j + 1;
  }
  return out.join(', ');
}

/** The recorded figure agrees with the loop's: both > 0, apart by less than the two observers' resolutions. */
function expectAgreement(o: Record<string, unknown>, loop: ReturnType<typeof observed>, label: string): void {
  console.log(`${label}: ${String(o['web.availability'])}`);
  console.log(`${label}: watch ${String(o['web.downtimeMs'])} ms (${String(o['web.observations'])} looks, largest gap ${String(o['web.largestGapMs'])} ms); loop ${loop.downtimeMs} ms in ${loop.outages} outage(s), largest gap ${loop.largestGapMs} ms`);
  expect(o['web.availability'], label).toMatch(/by HTTP probe web/);
  expect(typeof o['web.downtimeMs'], JSON.stringify(o)).toBe('number');
  const watchMs = o['web.downtimeMs'] as number;
  expect(watchMs, label).toBeGreaterThan(0);
  expect(loop.outages, label).toBeGreaterThan(0);
  expect(loop.downtimeMs, label).toBeGreaterThan(0);
  const tolerance = (o['web.largestGapMs'] as number) + loop.largestGapMs;
  expect(Math.abs(watchMs - loop.downtimeMs), `${label}: watch ${watchMs} ms vs loop ${loop.downtimeMs} ms, tolerance ${tolerance} ms`).toBeLessThanOrEqual(tolerance);
}

describe('downtime on the recreate path is measured and matches an independent probe loop', () => {
  it('first deploy: serving', async () => {
    const r = await cli(['--json', 'deploy', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });

  it('a changed service with a published port is recreated: deploy records its real downtime', async () => {
    writeCompose('v2');
    const loop = probeLoop(100);
    const r = await cli(['--json', 'deploy', '--yes']);
    const looks = await loop.stop();
    console.log(`deploy loop: ${runsOf(looks)}`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: { unavailable?: { service: string; ms?: number }[] } };
    expect(out.summary.unavailable?.find((u) => u.service === 'web')?.ms).toBeGreaterThan(0);
    expectAgreement(availabilityOf('-here-deploy.json'), observed(looks), 'deploy');
  });

  it('`run 6` alone measures too, in its own record', async () => {
    writeCompose('v3');
    for (const n of ['1', '2', '3', '4', '5']) {
      const r = await cli(['--json', 'run', n, '--yes']);
      expect(r.code, `run ${n}: ${r.stderr}${r.stdout}`).toBe(0);
    }
    const loop = probeLoop(100);
    const r = await cli(['--json', 'run', '6', '--yes']);
    const looks = await loop.stop();
    console.log(`run 6 loop: ${runsOf(looks)}`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { milestones: unknown[]; summary: { unavailable?: { service: string; ms?: number }[] } };
    console.log(`run 6: ${JSON.stringify(out.milestones).slice(0, 3000)}`);
    expect(out.summary.unavailable?.find((u) => u.service === 'web')?.ms).toBeGreaterThan(0);
    expectAgreement(availabilityOf('-m06-stack-starts.json'), observed(looks), 'run 6');
  });
});
