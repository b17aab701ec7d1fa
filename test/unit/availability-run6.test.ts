// `shipproof run 6` alone measures each service's availability and records it with milestone 6
// (against the recording fake target); the watch's one-call look (`docker ps --format`) and its
// wait for a recovery are pure enough to test here.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runMilestone } from '../../src/deploy/deploy.js';
import { allRecovered, startAvailabilityWatch } from '../../src/deploy/availability.js';
import { containerVerdict } from '../../src/deploy/availability-target.js';
import { layout } from '../../src/deploy/layout.js';
import { emptyState } from '../../src/deploy/state.js';
import { parseContainerStates } from '../../src/docker/parse.js';
import { projectContainerStatesCommand } from '../../src/docker/commands.js';
import { containerJson, dockerHost, FakeTarget } from '../helpers/fake-target.js';

describe('one docker call per look', () => {
  it('reads state, health and exit code from one docker ps line per container', () => {
    expect(projectContainerStatesCommand('shop')).toEqual(['docker', 'ps', '--all', '--no-trunc', '--filter', 'label=com.docker.compose.project=shop', '--format', '{{.ID}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}\t{{.Status}}']);
    const lines = parseContainerStates('a\tweb\trunning\tUp 3 seconds (healthy)\nb\tdb\trunning\tUp 2 seconds (health: starting)\nc\tjob\texited\tExited (0) 5 seconds ago\nd\tapi\texited\tExited (137) 1 second ago\ne\tcache\trunning\tUp 1 minute\n');
    expect(lines).toEqual([
      { id: 'a', service: 'web', state: 'running', health: 'healthy', exitCode: 0 },
      { id: 'b', service: 'db', state: 'running', health: 'starting', exitCode: 0 },
      { id: 'c', service: 'job', state: 'exited', health: 'none', exitCode: 0 },
      { id: 'd', service: 'api', state: 'exited', health: 'none', exitCode: 137 },
      { id: 'e', service: 'cache', state: 'running', health: 'none', exitCode: 0 },
    ]);
    expect(['web', 'db', 'job', 'api', 'cache'].map((s) => containerVerdict(lines, s))).toEqual([true, false, undefined, false, true]);
  });
});

describe('waiting for a recovery', () => {
  const services = [{ service: 'web', method: 'http' as const }, { service: 'new', method: 'running' as const }];
  it('a service seen serving must answer again at its latest look; one never seen serving does not hold the wait', () => {
    expect(allRecovered(services, [{ at: 0, seen: { web: true, new: false } }, { at: 1, seen: { web: false, new: false } }])).toBe(false);
    expect(allRecovered(services, [{ at: 0, seen: { web: true } }, { at: 1, seen: { web: false } }, { at: 2, seen: { web: true, new: false } }])).toBe(true);
  });

  it('resolves at the first look that sees everything back, and false at its timeout', async () => {
    const looks: Record<string, boolean>[] = [{ web: true }, { web: false }, { web: false }, { web: true }];
    let i = 0;
    let sawFailure!: () => void;
    const failed = new Promise<void>((r) => (sawFailure = r));
    const w = startAvailabilityWatch({
      services,
      intervalMs: 1,
      observe: async () => {
        // Asked for the third look: the second, failed one is recorded.
        if (i === 2) sawFailure();
        return looks[Math.min(i++, looks.length - 1)]!;
      },
    });
    await failed;
    expect(await w.recovered(10_000)).toBe(true);
    const r = await w.stop();
    expect(r.services[0]).toMatchObject({ service: 'web', downtimeMs: expect.any(Number), outages: [{ open: false }] });
    let n = 0;
    let down!: () => void;
    const isDown = new Promise<void>((r) => (down = r));
    const stuck = startAvailabilityWatch({ services, intervalMs: 1, observe: async () => (n++ === 0 ? { web: true } : (n > 2 && down(), { web: false })) });
    await isDown;
    expect(await stuck.recovered(30)).toBe(false);
    await stuck.stop();
  });
});

describe('a look taken before the wait does not count', () => {
  it('good at the call, failing at the next look: the wait lasts until it answers again', async () => {
    const services = [{ service: 'web', method: 'http' as const }];
    const looks: Record<string, boolean>[] = [{ web: true }, { web: true }, { web: false }, { web: false }, { web: true }];
    let i = 0;
    let twoTaken!: () => void;
    const taken = new Promise<void>((r) => (twoTaken = r));
    const w = startAvailabilityWatch({
      services,
      intervalMs: 5,
      observe: async () => {
        if (i === 2) twoTaken();
        return looks[Math.min(i++, looks.length - 1)]!;
      },
    });
    await taken;
    expect(await w.recovered(10_000)).toBe(true);
    const r = await w.stop();
    expect(r.services[0]?.outages).toEqual([expect.objectContaining({ open: false })]);
  });
});

describe('`run 6` alone records its availability', () => {
  it('milestone 6 record holds an availability result, by container state, with a figure', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shipproof-run6-'));
    process.env.SHIPPROOF_HOME = join(root, 'home');
    const dir = join(root, 'project');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: app:1\n');
    writeFileSync(join(dir, 'shipproof.yaml'), 'project: shop\ndefaultTarget: prod\ntargets:\n  prod:\n    host: local\n    appDir: /srv/app\ndeploy:\n  healthTimeout: 5s\n');
    const config = await loadConfig({ cwd: dir });
    const t = dockerHost(new FakeTarget());
    t.files.set(layout('/srv/app').stateFile, JSON.stringify(emptyState()));
    // The container is running before compose up, gone while it recreates, back afterwards.
    let phase: 'before' | 'during' | 'after' = 'before';
    t.on('docker image inspect', { stdout: JSON.stringify([{ Id: 'sha256:1111', RepoTags: ['app:1'] }]) })
      .on('docker ps', { stdout: 'c1\n' })
      .on('docker container inspect', () => ({ stdout: containerJson('shop', [{ id: 'c1', service: 'web', imageId: 'sha256:1111' }]) }))
      .on(/docker-compose .* config --hash/, { stdout: 'web fedcba98765432100123\n' })
      .on(/docker-compose .* up /, () => {
        phase = 'during';
        setTimeout(() => (phase = 'after'), 50);
        return {};
      })
      .on((a) => a.join(' ').startsWith('docker ps') && a.includes('--format'), () => ({ stdout: phase === 'during' ? '' : 'c1\tweb\trunning\tUp 1 second\n' }));
    const r = await runMilestone({ config, target: t, yes: true, noSignalHandlers: true, milestone: '6', forceReason: 'unit test' });
    expect(r.milestones[0]?.number).toBe(6);
    const file = readdirSync(config.evidenceDir).find((f) => f.endsWith('-m06-stack-starts.json'))!;
    const st = JSON.parse(readFileSync(join(config.evidenceDir, file), 'utf8')) as { predicate: { results: { id: string; title: string; observations: Record<string, unknown> }[] } };
    const a = st.predicate.results.find((x) => x.id === 'availability');
    expect(a?.title).toMatch(/during milestone 6/);
    expect(a?.observations['web.availability']).toMatch(/container state only/);
    expect(typeof a?.observations['web.downtimeMs']).toBe('number');
  });
});
