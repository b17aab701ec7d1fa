// `shipproof deploy` on a `kind: swarm` target: the same milestones, evidence and lock as a Compose
// deploy, run by the swarm runtime. 1 the stack file (data, hash = release id) is written on the
// manager; 2 env files and bind-mounted files become versioned secrets/configs; 3 the manager is an
// active Swarm manager and nothing in the compose file is refused; 4+5 images built, pinned and
// loaded onto the manager; 6 `docker stack deploy`, then Swarm's own UpdateStatus, tasks and
// container image ids watched to convergence (never the exit code); 7 the HTTP probes. A failure
// at 6 or 7 redeploys the last good release's stack file (stack-wide) and watches that converge.
// Not wired yet: milestones 8-10 (proxy/TLS, backup, restore rehearsal), other nodes than the manager.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject } from '../compose/model.js';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { acquireLock, releaseLock } from '../deploy/lock.js';
import { layout } from '../deploy/layout.js';
import type { CheckResult, RollbackOutcome } from '../evidence/predicate-schema.js';
import { recordEvidence } from '../evidence/record.js';
import { buildStatement } from '../evidence/statement.js';
import { MILESTONES } from '../milestones/catalog.js';
import { checkHealthProbe } from '../probes/http-health.js';
import { createTarget } from '../targets/create.js';
import { LocalTarget } from '../targets/local.js';
import type { Target } from '../targets/target.js';
import * as cmd from './commands.js';
import { refusals, swarmFindings } from './compat.js';
import { pinImages } from './images.js';
import { ensureObjects, pruneObjects } from './objects.js';
import { Runner } from './runner.js';
import { releaseIdOf, stackFile } from './stack.js';
import { readSwarmState, writeSwarmState, type SwarmRelease } from './state.js';
import { watchStack } from './watch.js';

export interface SwarmDeployOptions {
  config: ResolvedConfig;
  target: ResolvedTarget;
  acceptNewHostKey?: boolean;
  log?: (line: string) => void;
}

export interface SwarmMilestone {
  number: number;
  id: string;
  status: 'pass' | 'fail' | 'skipped';
  reason?: string;
}

export interface SwarmDeployResult {
  target: string;
  release: string;
  outcome: 'deployed' | 'unchanged' | 'failed' | 'rolled-back';
  milestones: SwarmMilestone[];
  rollback?: { from: string; to: string | null; healthy: boolean; reason?: string };
  notes: string[];
  exitCode: number;
}

const title = (n: number): string => MILESTONES.find((m) => m.number === n)!.title;
const idOf = (n: number): string => MILESTONES.find((m) => m.number === n)!.id;

export async function swarmDeploy(o: SwarmDeployOptions): Promise<SwarmDeployResult> {
  const { config } = o;
  const log = o.log ?? (() => {});
  const compose = await loadCompose(config.composeFiles, { cwd: config.rootDir });
  const stack = config.project;
  const l = layout(o.target.appDir);
  const manager = createTarget(o.target, { acceptNewHostKey: o.acceptNewHostKey === true });
  const mr = new Runner(manager);
  const lr = new Runner(new LocalTarget('operator'));
  const milestones: SwarmMilestone[] = [];
  const notes: string[] = [];
  let release = 'unknown';
  const described = { name: o.target.name, description: manager.description };

  const record = async (n: number, results: CheckResult[], started: Date, extra: { rollback?: RollbackOutcome; notes?: string[]; kind?: string } = {}): Promise<void> => {
    const statement = buildStatement({
      kind: extra.kind ?? 'milestone',
      title: extra.kind === 'rollback' ? 'Rollback of the swarm stack' : title(n),
      project: config.project,
      target: described,
      release,
      ...(extra.kind === 'rollback' ? {} : { milestone: { number: n, id: idOf(n) } }),
      startedAt: started,
      results,
      subjects: [],
      notCollected: ['secret and config values (only their versioned names)', 'container logs'],
      ...(extra.notes ? { notes: extra.notes } : {}),
      ...(extra.rollback ? { rollback: extra.rollback } : {}),
    });
    await recordEvidence(statement, { config });
    if (extra.kind !== 'rollback') {
      const failed = results.find((r) => r.gate && r.status !== 'pass');
      milestones.push({ number: n, id: idOf(n), status: failed ? 'fail' : 'pass', ...(failed?.reason ? { reason: failed.reason } : {}) });
    }
  };
  const result = (id: string, t: string, ok: boolean, started: number, observations: CheckResult['observations'], commands: CheckResult['commands'], reason?: string): CheckResult => ({
    id,
    title: t,
    gate: true,
    status: ok ? 'pass' : 'fail',
    ...(reason ? { reason } : {}),
    durationMs: Date.now() - started,
    observations,
    commands,
  });

  let lock: Awaited<ReturnType<typeof acquireLock>> | undefined;
  try {
    // 3 first in substance: nothing changes on a manager that is not one, or for a refused file.
    const findings = swarmFindings(compose);
    const refused = refusals(findings);
    const info = JSON.parse((await mr.run(cmd.swarmInfo())).stdout) as { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean };
    const gateProblem = info.LocalNodeState !== 'active' ? `the engine on ${manager.description} is not in a swarm (${info.LocalNodeState ?? '?'})` : info.ControlAvailable !== true ? `${manager.description} is a swarm worker, not a manager` : refused.length ? refused.map((f) => `${f.service}.${f.key}: ${f.message}`).join('; ') : undefined;
    const gateCommands = mr.take();
    if (gateProblem !== undefined) {
      const s = new Date();
      await record(3, [result('swarm-manager', 'Swarm manager and compose compatibility', false, s.getTime(), { refused: refused.length }, gateCommands, gateProblem)], s);
      return { target: o.target.name, release, outcome: 'failed', milestones, notes, exitCode: 1 };
    }
    const nodeId = info.NodeID!;
    await mr.run(['mkdir', '-p', l.metaDir]);
    lock = await acquireLock(manager, l);
    mr.take();

    // 4 + 5: images (built on this machine, pinned, carried to the manager).
    let s = new Date();
    const images = await pinImages({ services: compose.services, projectDir: compose.projectDir, project: stack, local: lr, manager: mr });
    const imageCommands = [...lr.take(), ...mr.take()];
    const imageObs = Object.fromEntries(Object.entries(images).flatMap(([svc, p]) => [[`${svc}.image`, p.ref], [`${svc}.imageId`, p.id], [`${svc}.pinnedBy`, p.how], [`${svc}.loaded`, p.loaded]]));

    // 2: secrets and configs (names only in evidence).
    const s2 = new Date();
    const objects = await ensureObjects(mr, { stack, projectDir: compose.projectDir, services: compose.services });
    const objectCommands = mr.take();

    const file = stackFile(compose, {
      images: Object.fromEntries(Object.entries(images).map(([k, v]) => [k, v.ref])),
      imageCommand: Object.fromEntries(Object.entries(images).map(([k, v]) => [k, { entrypoint: v.entrypoint, cmd: v.cmd }])),
      envSecrets: objects.envSecrets,
      fileConfigs: objects.fileConfigs,
      swarm: config.swarm,
    });
    release = releaseIdOf(file);
    const objectNames = [...Object.values(objects.envSecrets), ...Object.values(objects.fileConfigs).flatMap((m) => Object.values(m))];
    log(`swarm release ${release} of ${stack} on ${manager.description}`);
    const state = await readSwarmState(manager, l);
    const expected = Object.fromEntries(Object.entries(images).map(([svc, p]) => [svc, { image: p.ref, imageId: p.id }]));

    // 1: the stack file on the manager, kept per release (the rollback redeploys it).
    const s1 = new Date();
    const stackPath = posix.join(l.releaseDir(release), 'stack.json');
    await manager.putStream(Readable.from([Buffer.from(`${JSON.stringify(file, null, 2)}\n`)]), stackPath, { mode: 0o644, mkdirs: true });
    await record(1, [result('stack-file', 'Stack file written on the manager', true, s1.getTime(), { path: stackPath, services: compose.services.length }, [])], s1);
    await record(2, [result('swarm-objects', 'Env files and mounted files as versioned secrets and configs', true, s2.getTime(), { secrets: Object.values(objects.envSecrets), configs: Object.values(objects.fileConfigs).flatMap((m) => Object.values(m)), created: objects.created }, objectCommands)], s2);
    const s3 = new Date();
    await record(3, [result('swarm-manager', 'Swarm manager and compose compatibility', true, s3.getTime(), { nodeId, converted: findings.filter((f) => f.handling === 'converted').length, dropped: findings.filter((f) => f.handling === 'dropped').length }, gateCommands)], s3);
    const keyService = config.deploy.keyService ?? compose.services.find((x) => x.build)?.name;
    await record(4, [keyService && images[keyService] ? result('key-image', `Key image (${keyService})`, true, s.getTime(), { image: images[keyService].ref, imageId: images[keyService].id }, []) : { id: 'key-image', title: 'Key image', gate: true, status: 'skipped', reason: 'no service is built', observations: {}, commands: [] }], s);
    s = new Date(s.getTime());
    await record(5, [result('images', 'Every image pinned and on the manager', true, s.getTime(), imageObs, imageCommands)], s);

    // 6: deploy, then believe only Swarm's state.
    const s6 = new Date();
    const dep = await mr.run(cmd.stackDeploy(stackPath, stack), { timeoutMs: 300_000, reject: false });
    const watched = dep.exitCode === 0 ? await watchStack(mr, { stack, nodeId, expected, timeoutMs: config.swarm.convergeTimeoutMs }) : undefined;
    const converged = watched?.state === 'converged';
    const why = dep.exitCode !== 0 ? `docker stack deploy exited ${dep.exitCode}: ${dep.stderr.trim().slice(0, 300)}` : watched!.why;
    await record(6, [result('stack-converged', 'Every service updated and its tasks run the pinned image', converged, s6.getTime(), {
      stackDeployExit: dep.exitCode,
      ...(watched ? { state: watched.state, rolledBackBySwarm: watched.rolledBack, polls: watched.polls, convergeMs: watched.durationMs, tasksRunning: watched.tasks.filter((t) => t.state === 'running').length } : {}),
    }, mr.take(), why)], s6);

    let healthy = converged;
    let failure = why;
    if (converged) {
      const s7 = new Date();
      const probe = await probeAll(manager, config);
      healthy = probe.ok;
      failure = probe.why;
      await record(7, [result('http-probes', 'HTTP probes pass', probe.ok, s7.getTime(), probe.observations, [], probe.why)], s7);
    }

    if (healthy) {
      const previous = state.lastGood;
      state.releases = [...state.releases.filter((r) => r.id !== release), { id: release, stackFile: stackPath, status: 'healthy', at: new Date().toISOString(), expected, objects: objectNames }];
      state.current = release;
      state.lastGood = release;
      const keep = new Set<string>([...objectNames, ...keepOf(state.releases.find((r) => r.id === previous))]);
      await writeSwarmState(manager, l, state);
      const pruned = await pruneObjects(mr, stack, keep);
      mr.take();
      if (pruned.length) notes.push(`pruned ${pruned.length} unused secrets/configs`);
      notes.push('milestones 8-10 (proxy/TLS, backup, restore rehearsal) are not run on swarm targets yet');
      return { target: o.target.name, release, outcome: previous === release ? 'unchanged' : 'deployed', milestones, notes, exitCode: 0 };
    }

    // The whole stack back to the last good release (Swarm rolled back at most the failing service).
    state.releases = [...state.releases.filter((r) => r.id !== release), { id: release, stackFile: stackPath, status: 'failed', at: new Date().toISOString(), expected, objects: objectNames }];
    const good = state.releases.find((r) => r.id === state.lastGood && r.id !== release);
    const sr = new Date();
    if (good === undefined) {
      await writeSwarmState(manager, l, state);
      await record(0, [result('rollback', 'Return to the last good release', false, sr.getTime(), {}, [], 'there is no earlier healthy release to return to')], sr, { kind: 'rollback', rollback: { from: release, to: 'none', serves: false } });
      return { target: o.target.name, release, outcome: 'failed', milestones, rollback: { from: release, to: null, healthy: false, reason: failure ?? 'failed' }, notes, exitCode: 1 };
    }
    log(`release ${release} failed (${failure}); redeploying ${good.id}`);
    const back = await mr.run(cmd.stackDeploy(good.stackFile, stack), { timeoutMs: 300_000, reject: false });
    const again = back.exitCode === 0 ? await watchStack(mr, { stack, nodeId, expected: good.expected, timeoutMs: config.swarm.convergeTimeoutMs }) : undefined;
    const probe = again?.state === 'converged' ? await probeAll(manager, config) : { ok: false, why: again?.why ?? `docker stack deploy exited ${back.exitCode}`, observations: {} };
    state.current = good.id;
    await writeSwarmState(manager, l, state);
    await record(0, [result('rollback', `Stack returned to ${good.id}`, probe.ok, sr.getTime(), { from: release, to: good.id, ...(again ? { state: again.state, convergeMs: again.durationMs } : {}), ...probe.observations }, mr.take(), probe.why)], sr, {
      kind: 'rollback',
      rollback: { from: release, to: good.id, serves: probe.ok },
      notes: [`release ${release} failed: ${failure ?? 'unknown'}`],
    });
    return { target: o.target.name, release, outcome: 'rolled-back', milestones, rollback: { from: release, to: good.id, healthy: probe.ok, ...(probe.ok ? {} : { reason: probe.why ?? '' }) }, notes: [...notes, `release ${release} failed: ${failure ?? 'unknown'}`], exitCode: 1 };
  } finally {
    if (lock) await releaseLock(manager, l, { me: lock }).catch(() => undefined);
    await manager.close();
  }
}

function keepOf(r: SwarmRelease | undefined): string[] {
  return r?.objects ?? [];
}

/** The HTTP probes from the manager, each retried until it passes or the health timeout ends. */
async function probeAll(manager: Target, config: ResolvedConfig): Promise<{ ok: boolean; why?: string; observations: CheckResult['observations'] }> {
  const observations: CheckResult['observations'] = {};
  const problems: string[] = [];
  const deadline = Date.now() + config.deploy.healthTimeoutMs;
  for (const p of config.health) {
    for (;;) {
      const r = await checkHealthProbe((argv, o) => manager.exec(argv, { ...o, reject: false }), p);
      if (r.ok || Date.now() > deadline) {
        observations[`${p.name}.status`] = r.status;
        observations[`${p.name}.ok`] = r.ok;
        if (!r.ok) problems.push(`${p.name}: ${r.why ?? 'failed'}`);
        break;
      }
      await new Promise((res) => setTimeout(res, config.deploy.healthIntervalMs));
    }
  }
  return { ok: problems.length === 0, ...(problems.length ? { why: problems.join('; ') } : {}), observations };
}

export type { ComposeProject };
