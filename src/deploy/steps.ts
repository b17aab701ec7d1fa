// The ten milestones of a deploy (PRODUCT.md), each an action and a verification. Steps only
// compute and run commands through the StepContext; the runner (deploy.ts) guards, asks consent,
// records evidence and rolls back.
import { createHash } from 'node:crypto';
import { ensureFreshBackup, newestVerifiedBackup, rehearseForDeploy, resolveBackupSettings, runBackups } from '../backup/index.js';
import { detectStatefulServices } from '../compose/stateful.js';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runProbe } from '../probes/run.js';
import { lintGateResult } from '../lint/gate.js';
import {
  composeBuildCommand,
  composePullCommand,
  composeResolvedConfigCommand,
  composeUpCommand,
  inspectImagesCommand,
} from '../docker/commands.js';
import type { CheckResult } from '../evidence/predicate-schema.js';
import { parseImageInspect } from '../docker/parse.js';
import { composeRefused, describeComposeFailure } from '../docker/compose-error.js';
import { LOCK_FILE_NAME, readImageLock } from '../pin/lock.js';
import { MILESTONES } from '../milestones/catalog.js';
import { composeProbe, dockerDaemonProbe, dockerEngineProbe } from '../probes/docker.js';
import { diskProbe } from '../probes/disk.js';
import { dnsProbe } from '../probes/dns.js';
import { envFileCommand, envFilePath, envFilesProbe, modeProblem, parseEnvReport } from '../probes/env-files.js';
import { hostProbe } from '../probes/host.js';
import { httpHealthProbe } from '../probes/http-health.js';
import { readContainers } from '../probes/stack.js';
import { tlsProbe } from '../probes/tls.js';
import type { Probe } from '../probes/types.js';
import { secretStrengthProbe } from '../probes/secret-strength.js';
import {
  containerLogsCommand,
  healthLogCommand,
  linkFileCommand,
  mkdirsCommand,
  releaseChecksumsCommand,
  switchLinkCommand,
  tagImageCommand,
  unpackReleaseCommand,
} from './commands.js';
import type { StepContext, StepOutcome, Step } from './context.js';
import { healthGate } from './health-gate.js';
import { checksumMismatches, parseChecksums, uploadBundle } from './sync.js';
import { upsertRelease, type ReleaseRecord } from './state.js';
import { Readable } from 'node:stream';

const BUILD_TIMEOUT_MS = 30 * 60_000;

function meta(n: number): { number: number; id: string; title: string } {
  const m = MILESTONES[n - 1]!;
  return { number: m.number, id: m.id, title: m.title };
}

/** Services compose starts by default. */
export function expectedServices(ctx: Pick<StepContext, 'compose'>): string[] {
  return ctx.compose.services.filter((s) => s.profiles.length === 0).map((s) => s.name);
}

/** Images by service, from `compose config` (variables resolved). Parsed in memory only: the output may hold env values. */
export async function resolvedImages(ctx: StepContext, release: string): Promise<Record<string, { image: string; builds: boolean }>> {
  const r = await ctx.run(composeResolvedConfigCommand(ctx.composeFor(release)), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw composeRefused('config', r);
  const doc = parseYaml(r.stdout) as { services?: Record<string, { image?: string; build?: unknown }> };
  const out: Record<string, { image: string; builds: boolean }> = {};
  for (const [name, s] of Object.entries(doc.services ?? {})) {
    // Compose v1 names unnamed built images <project>_<service>; v2 <project>-<service>.
    const fallback = ctx.composeFor(release).flavor === 'v1' ? `${ctx.config.project}_${name}` : `${ctx.config.project}-${name}`;
    out[name] = { image: s.image ?? fallback, builds: s.build !== undefined };
  }
  return out;
}

/** The tag shipproof keeps for a release's built image, so a rollback can restore it. */
export function releaseTag(project: string, service: string, release: string): string {
  return `shipproof-release/${project}-${service}:${release}`.toLowerCase();
}

/** Published images on the host that differ from what shipproof.lock pins (built images are the release's own). */
async function lockedImageProblems(ctx: StepContext, images: Record<string, { image: string; builds: boolean }>): Promise<string[]> {
  const lock = await readImageLock(ctx.config.rootDir);
  if (lock === undefined) return [];
  const problems: string[] = [];
  for (const entry of lock.images) {
    for (const svc of entry.services) {
      const img = images[svc];
      if (img === undefined || img.builds) continue;
      const r = await ctx.run(inspectImagesCommand([img.image]), { timeoutMs: 30_000 });
      const info = r.exitCode === 0 ? parseImageInspect(r.stdout)[0] : undefined;
      const matches = entry.source === 'local' ? info?.id === entry.digest : (info?.repoDigests ?? []).some((d) => d.endsWith(`@${entry.digest}`));
      if (!matches) problems.push(`${svc} runs ${img.image}, which is not the image ${LOCK_FILE_NAME} pins (${entry.pinned}); pull that digest or run \`shipproof pin\` again`);
    }
  }
  return problems;
}

async function imagesPresent(ctx: StepContext, refs: string[]): Promise<string[]> {
  const missing: string[] = [];
  await Promise.all(
    refs.map(async (ref) => {
      const r = await ctx.run(inspectImagesCommand([ref]), { timeoutMs: 30_000 });
      if (r.exitCode !== 0) missing.push(ref);
    }),
  );
  return missing.sort();
}

async function probeResults(ctx: StepContext, probes: Probe[]): Promise<CheckResult[]> {
  const base = { config: ctx.config, target: ctx.target, compose: ctx.compose, host: ctx.host, docker: ctx.docker };
  return Promise.all(probes.map((p) => runProbe(p, base)));
}

function fromResults(results: CheckResult[], observations: StepOutcome['observations'] = {}): StepOutcome {
  const bad = results.filter((r) => r.gate && (r.status === 'fail' || r.status === 'error'));
  return bad.length
    ? { status: 'fail', reason: bad.map((r) => `${r.id}: ${r.reason ?? r.status}`).join('; '), observations, more: results }
    : { status: 'pass', observations, more: results };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Explains a failed gate to the operator: the health-check log and the log tail of each culprit (redacted on output, never stored). */
export async function explainContainers(ctx: StepContext, containers: readonly string[]): Promise<void> {
  for (const c of containers.slice(0, 3)) {
    const health = await ctx.host.exec(healthLogCommand(c), { reject: false, timeoutMs: 15_000 });
    const logs = await ctx.host.exec(containerLogsCommand(c, 20), { reject: false, timeoutMs: 15_000 });
    let healthText = '';
    try {
      const h = JSON.parse(health.stdout) as { Log?: { ExitCode: number; Output: string }[] } | null;
      healthText = (h?.Log ?? []).slice(-3).map((l) => `  exit ${l.ExitCode}: ${l.Output.trim().slice(0, 300)}`).join('\n');
    } catch {
      // no health log
    }
    ctx.show(
      [`--- ${c}`, ...(healthText ? ['health checks:', healthText] : []), 'last log lines:', (logs.stdout + logs.stderr).trim().split('\n').slice(-20).map((l) => `  ${l}`).join('\n')].join('\n'),
    );
  }
}

// ---------------------------------------------------------------------------------------------

const bundleSynced: Step = {
  ...meta(1),
  changes: true,
  plan: (ctx) => [
    { argv: mkdirsCommand([ctx.layout.releasesDir]) },
    { argv: unpackReleaseCommand(ctx.layout.releaseDir(ctx.release)), note: `stdin: tar of ${ctx.bundle.files.length} files` },
    { argv: releaseChecksumsCommand(ctx.layout.releaseDir(ctx.release)) },
    ...ctx.config.envFiles
      .filter((e) => !e.path.startsWith('/'))
      .map((e) => ({ argv: linkFileCommand(envFilePath(ctx.layout.appDir, e.path), posix.join(ctx.layout.releaseDir(ctx.release), e.path)) })),
  ],
  async run(ctx) {
    const dir = ctx.layout.releaseDir(ctx.release);
    const before = parseChecksums((await ctx.run(releaseChecksumsCommand(dir), { timeoutMs: 120_000 })).stdout);
    let uploaded = false;
    if (checksumMismatches(ctx.bundle, before).length > 0 || before.size !== ctx.bundle.files.length) {
      await ctx.confirm(`upload release ${ctx.release} (${ctx.bundle.files.length} files) to ${ctx.layout.releaseDir(ctx.release)}`);
      await ctx.run(mkdirsCommand([ctx.layout.releasesDir]));
      await ctx.run(mkdirsCommand([ctx.layout.metaDir], 0o700));
      await uploadBundle(ctx.host, ctx.bundle, dir);
      uploaded = true;
    }
    // Env files stay outside releases; each release links to them where compose expects them.
    for (const e of ctx.config.envFiles.filter((x) => !x.path.startsWith('/'))) {
      await ctx.run(linkFileCommand(envFilePath(ctx.layout.appDir, e.path), posix.join(dir, e.path)));
    }
    const record: ReleaseRecord = {
      id: ctx.release,
      bundleSha256: ctx.bundle.sha256,
      uploadedAt: ctx.state().releases.find((r) => r.id === ctx.release)?.uploadedAt ?? new Date().toISOString(),
      status: ctx.state().releases.find((r) => r.id === ctx.release)?.status ?? 'uploaded',
      images: ctx.state().releases.find((r) => r.id === ctx.release)?.images ?? {},
      composeFiles: ctx.config.composeFiles.map((f) => posix.relative(ctx.config.rootDir, f)),
    };
    await ctx.host.putStream(
      Readable.from([Buffer.from(`${JSON.stringify({ id: ctx.release, bundleSha256: ctx.bundle.sha256, files: ctx.bundle.files.map((f) => ({ path: f.rel, sha256: f.sha256, mode: f.mode.toString(8) })) }, null, 2)}\n`)]),
      ctx.layout.releaseMeta(ctx.release),
      { mkdirs: true, mode: 0o644 },
    );
    await ctx.host.putStream(Readable.from([Buffer.from(`${ctx.bundle.sha256}\n`)]), posix.join(dir, '.shipproof', 'bundle.sha256'), { mode: 0o644 });
    await ctx.saveState(upsertRelease(ctx.state(), record));
    const after = parseChecksums((await ctx.run(releaseChecksumsCommand(dir), { timeoutMs: 120_000 })).stdout);
    const mismatched = checksumMismatches(ctx.bundle, after);
    const observations = {
      release: ctx.release,
      bundleSha256: ctx.bundle.sha256,
      files: ctx.bundle.files.length,
      bytes: ctx.bundle.files.reduce((n, f) => n + f.size, 0),
      uploaded,
      mismatched: mismatched.slice(0, 50),
    };
    if (mismatched.length) return { status: 'fail', reason: `${mismatched.length} file(s) differ on the server after the upload`, observations };
    return { status: 'pass', reason: uploaded ? 'uploaded and verified by sha256' : 'already on the server, verified by sha256', observations };
  },
};

const envFilesPresent: Step = {
  ...meta(2),
  changes: true,
  plan: (ctx) =>
    ctx.config.envFiles.flatMap((e) => [
      ...(e.source ? [{ argv: ['sha256sum', '--', envFilePath(ctx.target.appDir, e.path)], note: `compare with ${e.source}; upload (0600) via stdin if different` }] : []),
      { argv: envFileCommand(envFilePath(ctx.target.appDir, e.path)) },
    ]),
  async run(ctx) {
    if (ctx.config.envFiles.length === 0) return { status: 'skipped', reason: 'no env files are declared in shipproof.yaml', observations: {} };
    const observations: StepOutcome['observations'] = {};
    const problems: string[] = [];
    for (const [i, e] of ctx.config.envFiles.entries()) {
      const path = envFilePath(ctx.target.appDir, e.path);
      if (e.source) {
        const local = await sha256File(e.source).catch(() => undefined);
        if (local === undefined) {
          problems.push(`the local source of ${e.path} cannot be read`);
          continue;
        }
        const remote = await ctx.run(['sha256sum', '--', path], { timeoutMs: 30_000 });
        // Compared in memory only; neither hash is recorded (a bare hash of a secret file is not evidence).
        if (remote.exitCode !== 0 || remote.stdout.split(' ')[0] !== local) {
          await ctx.confirm(`upload ${e.path} (mode 0600) to ${path}`);
          await ctx.host.putStream(createReadStream(e.source), path, { mode: 0o600, mkdirs: true });
          observations[`file${i}.uploaded`] = true;
        } else {
          observations[`file${i}.uploaded`] = false;
        }
      }
      const r = await ctx.run(envFileCommand(path), { timeoutMs: 30_000 });
      const report = parseEnvReport(r.stdout);
      observations[`file${i}.path`] = path;
      observations[`file${i}.exists`] = report.exists;
      if (!report.exists) {
        problems.push(`${e.path} is missing on the server${e.source ? '' : ' (create it there, or set `source:` to upload it)'}`);
        continue;
      }
      observations[`file${i}.mode`] = report.mode ?? null;
      const mp = modeProblem(report.mode);
      if (mp) problems.push(`${e.path} ${mp}`);
      const missing = e.required.filter((k) => !report.keys.has(k));
      const empty = e.required.filter((k) => report.keys.get(k) === 'empty');
      observations[`file${i}.missing`] = missing;
      observations[`file${i}.empty`] = empty;
      if (missing.length) problems.push(`${e.path} lacks ${missing.join(', ')}`);
      if (empty.length) problems.push(`${e.path} has empty ${empty.join(', ')}`);
    }
    return problems.length ? { status: 'fail', reason: problems.join('; '), observations } : { status: 'pass', observations };
  },
};

const hostEnvGates: Step = {
  ...meta(3),
  changes: false,
  plan: (ctx) => [hostProbe, diskProbe, dockerEngineProbe, dockerDaemonProbe, composeProbe, envFilesProbe, dnsProbe, secretStrengthProbe].flatMap((p) => p.plan({ config: ctx.config, target: ctx.target, compose: ctx.compose }).map((c) => ({ argv: c.argv }))),
  async run(ctx) {
    const lint = lintGateResult(ctx.config); // lint errors fail this gate (src/lint/gate.ts)
    return fromResults([...(await probeResults(ctx, [hostProbe, diskProbe, dockerEngineProbe, dockerDaemonProbe, composeProbe, envFilesProbe, dnsProbe, secretStrengthProbe])), await lint]);
  },
};

/** The service milestone 4 built in this run. */
const builtThisRun = new WeakMap<StepContext['bundle'], string>();

function keyService(ctx: Pick<StepContext, 'config' | 'compose'>): string | undefined {
  return ctx.config.deploy.keyService ?? ctx.compose.services.find((s) => s.build !== undefined)?.name;
}

const keyImageBuilds: Step = {
  ...meta(4),
  changes: true,
  plan: (ctx) => {
    const svc = keyService(ctx);
    return svc ? [{ argv: composeBuildCommand(ctx.composeFor(ctx.release), [svc]) }] : [];
  },
  async run(ctx): Promise<StepOutcome> {
    const svc = keyService(ctx);
    if (svc === undefined) return { status: 'skipped', reason: 'no service builds an image (all use published images)', observations: {} };
    await ctx.confirm(`build the image of ${svc} on ${ctx.host.description}`);
    ctx.log(`building ${svc} (this can take minutes)`);
    const r = await ctx.run(composeBuildCommand(ctx.composeFor(ctx.release), [svc]), { timeoutMs: BUILD_TIMEOUT_MS });
    if (r.exitCode !== 0) {
      ctx.show(`build output (last lines):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
      return { status: 'fail', reason: describeComposeFailure('build', r, `the build of ${svc} failed`), observations: { service: svc } };
    }
    const images = await resolvedImages(ctx, ctx.release);
    const ref = images[svc]?.image;
    const missing = ref ? await imagesPresent(ctx, [ref]) : ['(unknown image)'];
    if (missing.length) return { status: 'fail', reason: `the image ${ref ?? ''} is not on the host after the build`, observations: { service: svc } };
    builtThisRun.set(ctx.bundle, svc);
    return { status: 'pass', observations: { service: svc, image: ref ?? null, buildMs: r.durationMs } };
  },
};

const allImagesBuild: Step = {
  ...meta(5),
  changes: true,
  plan: (ctx) => [
    { argv: composeBuildCommand(ctx.composeFor(ctx.release)) },
    { argv: composeResolvedConfigCommand(ctx.composeFor(ctx.release)), note: 'image names only; output never shown or stored' },
    { argv: inspectImagesCommand(['<each service image>']) },
    { argv: tagImageCommand('<built image>', releaseTag(ctx.config.project, '<service>', ctx.release)) },
  ],
  async run(ctx): Promise<StepOutcome> {
    const images = await resolvedImages(ctx, ctx.release);
    const built = Object.entries(images).filter(([, v]) => v.builds);
    // When the key image was the only one to build and milestone 4 just built it, do not build it twice.
    const onlyKeyBuilt = built.length === 1 && built[0]![0] === builtThisRun.get(ctx.bundle);
    if (built.length > 0 && !onlyKeyBuilt) {
      await ctx.confirm(`build ${built.length} image(s) on ${ctx.host.description}`);
      ctx.log(`building ${built.map(([k]) => k).join(', ')}`);
      const r = await ctx.run(composeBuildCommand(ctx.composeFor(ctx.release)), { timeoutMs: BUILD_TIMEOUT_MS });
      if (r.exitCode !== 0) {
        ctx.show(`build output (last lines):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
        return { status: 'fail', reason: describeComposeFailure('build', r), observations: {} };
      }
    }
    let missing = await imagesPresent(ctx, [...new Set(Object.values(images).map((v) => v.image))]);
    if (missing.length) {
      // Published images not on the host yet: try to pull them (fails without a registry).
      const services = Object.entries(images).filter(([, v]) => !v.builds && missing.includes(v.image)).map(([k]) => k);
      if (services.length) {
        await ctx.confirm(`pull ${services.join(', ')}`);
        await ctx.run(composePullCommand(ctx.composeFor(ctx.release), services), { timeoutMs: BUILD_TIMEOUT_MS });
        missing = await imagesPresent(ctx, missing);
      }
    }
    if (missing.length) return { status: 'fail', reason: `image(s) not available on the host: ${missing.join(', ')}`, observations: { missing } };
    // shipproof.lock (from `shipproof pin`): a published image must be the very one pinned.
    const lockProblems = await lockedImageProblems(ctx, images);
    if (lockProblems.length) return { status: 'fail', reason: lockProblems.join('; '), observations: { lockFile: LOCK_FILE_NAME } };
    // Keep this release's built images under our own tags, so a rollback can bring them back.
    const tagged: ReleaseRecord['images'] = {};
    for (const [svc, v] of built) {
      const tag = releaseTag(ctx.config.project, svc, ctx.release);
      await ctx.run(tagImageCommand(v.image, tag));
      tagged[svc] = { ref: v.image, releaseTag: tag };
    }
    const rec = ctx.state().releases.find((r) => r.id === ctx.release);
    if (rec) await ctx.saveState(upsertRelease(ctx.state(), { ...rec, images: tagged }));
    return {
      status: 'pass',
      observations: { images: Object.entries(images).map(([k, v]) => `${k}: ${v.image}${v.builds ? ' (built)' : ''}`), releaseTags: Object.values(tagged).map((t) => t.releaseTag) },
    };
  },
};

const stackStarts: Step = {
  ...meta(6),
  changes: true,
  plan: (ctx) => [{ argv: composeUpCommand(ctx.composeFor(ctx.release), { noBuild: true }) }],
  async run(ctx) {
    await ctx.confirm(`start release ${ctx.release} (compose up) on ${ctx.host.description}`);
    const guard = await backupBeforeApply(ctx);
    if (guard?.status === 'fail') return guard;
    const rec = ctx.state().releases.find((r) => r.id === ctx.release);
    if (rec) await ctx.saveState(upsertRelease(ctx.state(), { ...rec, status: 'deploying' }));
    const r = await ctx.run(composeUpCommand(ctx.composeFor(ctx.release), { noBuild: true }), { timeoutMs: 15 * 60_000 });
    if (r.exitCode !== 0) {
      ctx.show(`compose up (last lines):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
      return { status: 'fail', reason: describeComposeFailure('up', r), observations: {} };
    }
    const base = { config: ctx.config, target: ctx.target, compose: ctx.compose, host: ctx.host, docker: ctx.docker };
    const containers = await readContainers({ ...base, run: (a, o) => ctx.run(a, o), runLocal: (a, o) => ctx.run(a, o), signal: new AbortController().signal });
    const services: Record<string, string> = {};
    const problems: string[] = [];
    const culprits: string[] = [];
    for (const name of expectedServices(ctx)) {
      const mine = containers.filter((c) => c.service === name);
      services[name] = mine.map((c) => c.state).join(',') || 'missing';
      if (mine.length === 0) problems.push(`${name} has no container`);
      for (const c of mine) {
        if (c.state === 'restarting' || c.state === 'dead') {
          problems.push(`${name} is ${c.state} (exit code ${c.exitCode})`);
          culprits.push(c.name);
        }
      }
    }
    if (culprits.length) await explainContainers(ctx, culprits);
    const more = guard?.more ?? [];
    const observations = { ...services, ...(guard ? guard.observations : {}) };
    return problems.length ? { status: 'fail', reason: problems.join('; '), observations, more } : { status: 'pass', observations, more };
  },
};

const healthGateStep: Step = {
  ...meta(7),
  changes: true,
  plan: (ctx) => [
    { argv: ['docker', 'ps', '...'], note: `poll container state and health every ${ctx.config.deploy.healthIntervalMs / 1000} s for up to ${ctx.config.deploy.healthTimeoutMs / 1000} s` },
    ...ctx.config.health.flatMap((p) => httpHealthProbe.plan({ config: { ...ctx.config, health: [p] }, target: ctx.target, compose: ctx.compose }).map((c) => ({ argv: c.argv }))),
    { argv: switchLinkCommand(posix.join('releases', ctx.release), ctx.layout.current), note: 'only when the gate passes' },
  ],
  async run(ctx) {
    const base = { config: ctx.config, target: ctx.target, compose: ctx.compose, host: ctx.host, docker: ctx.docker };
    const probeCtx = { ...base, run: (a: readonly string[], o?: { timeoutMs?: number }) => ctx.run(a, o), runLocal: (a: readonly string[], o?: { timeoutMs?: number }) => ctx.run(a, o), signal: new AbortController().signal };
    const verdict = await healthGate({
      expectedServices: expectedServices(ctx),
      probes: ctx.config.health,
      timeoutMs: ctx.config.deploy.healthTimeoutMs,
      intervalMs: ctx.config.deploy.healthIntervalMs,
      stableChecks: ctx.config.deploy.stableChecks,
      readContainers: () => readContainers(probeCtx),
      run: (argv, o) => ctx.run(argv, o),
      onCheck: (s) => ctx.log(`waiting: ${s}`),
    });
    const observations: StepOutcome['observations'] = {
      checks: verdict.checks,
      gateMs: verdict.durationMs,
      services: Object.entries(verdict.services).map(([k, v]) => `${k}: ${v}`),
      probes: Object.entries(verdict.probes).map(([k, v]) => `${k}: ${v.ok ? 'ok' : 'failed'} ${v.status ?? '-'} ${v.latencyMs ?? '-'}ms`),
    };
    if (!verdict.passed) {
      observations.failure = verdict.kind ?? 'unknown';
      if (verdict.culprits.length) await explainContainers(ctx, verdict.culprits);
      return { status: 'fail', reason: verdict.reason ?? 'the health gate failed', observations };
    }
    // The gate passed: this release becomes current and the last known good.
    await ctx.run(switchLinkCommand(posix.join('releases', ctx.release), ctx.layout.current));
    const state = ctx.state();
    const rec = state.releases.find((r) => r.id === ctx.release);
    const next = rec ? upsertRelease(state, { ...rec, status: 'healthy', healthyAt: new Date().toISOString() }) : state;
    await ctx.saveState({ ...next, current: ctx.release, lastKnownGood: ctx.release });
    return { status: 'pass', observations };
  },
};

const proxyTls: Step = {
  ...meta(8),
  changes: false,
  plan: (ctx) => tlsProbe.plan({ config: ctx.config, target: ctx.target, compose: ctx.compose }).map((c) => ({ argv: c.argv })),
  async run(ctx) {
    if (ctx.config.domains.length === 0) return { status: 'skipped', reason: 'no domains are declared in shipproof.yaml, so no TLS was checked', observations: {} };
    const results = await probeResults(ctx, [tlsProbe, httpHealthProbe]);
    return fromResults(results);
  },
};

function statefulServices(ctx: Pick<StepContext, 'compose' | 'config'>): string[] {
  return detectStatefulServices(ctx.compose, ctx.config.stateful).map((x) => x.service);
}

/** Backups taken by milestone 9 in this run, for milestone 10 to rehearse. */
const takenThisRun = new WeakMap<StepContext['bundle'], string[]>();

const backupRuns: Step = {
  ...meta(9),
  changes: true,
  plan: (ctx) => statefulServices(ctx).map((svc) => ({ argv: ['docker', 'exec', `<container of ${svc}>`, '<dump command of its engine>'], note: `streamed to ${ctx.target.backupsDir}, mode 0600` })),
  async run(ctx): Promise<StepOutcome> {
    const services = statefulServices(ctx);
    if (services.length === 0) return { status: 'skipped', reason: 'the compose file has no stateful services', observations: {} };
    await ctx.confirm(`back up ${services.join(', ')} on ${ctx.host.description}`);
    const run = await runBackups({ config: ctx.config, target: ctx.target, host: ctx.host, docker: ctx.docker, onProgress: (l) => ctx.log(l) });
    const ids = run.backups.filter((b) => b.status === 'passed' && b.manifest).map((b) => b.manifest!.id);
    takenThisRun.set(ctx.bundle, ids);
    const observations = {
      backups: run.backups.map((b) => `${b.service}: ${b.status}${b.manifest ? ` ${b.manifest.file} ${b.manifest.bytes} bytes` : ''}`),
    };
    const failed = run.backups.filter((b) => b.status === 'failed');
    if (!run.ok || failed.length) {
      return { status: 'fail', reason: failed.map((b) => `${b.service}: ${b.reason ?? 'failed'}`).join('; ') || 'the backup run failed', observations, more: run.results };
    }
    return { status: 'pass', observations, more: run.results };
  },
};

const restoreRehearsal: Step = {
  ...meta(10),
  changes: true,
  plan: (ctx) => statefulServices(ctx).map((svc) => ({ argv: ['docker', 'run', '--rm', '<scratch container of the same image>'], note: `restore the newest backup of ${svc}, compare its fingerprint, remove the scratch container` })),
  async run(ctx): Promise<StepOutcome> {
    const services = statefulServices(ctx);
    if (services.length === 0) return { status: 'skipped', reason: 'the compose file has no stateful services', observations: {} };
    let ids = takenThisRun.get(ctx.bundle);
    if (ids === undefined) {
      ids = [];
      for (const service of services) {
        const b = await newestVerifiedBackup({ target: ctx.target, host: ctx.host, service });
        if (b) ids.push(b.manifest.id);
      }
    }
    if (ids.length === 0) return { status: 'fail', reason: 'there is no backup to rehearse (milestone 9 has not produced one)', observations: {} };
    await ctx.confirm(`rehearse restoring ${ids.length} backup(s) into scratch containers`);
    const { humanNeeded, ...outcome } = await rehearseForDeploy({ config: ctx.config, target: ctx.target, host: ctx.host, docker: ctx.docker, ids, onProgress: (l) => ctx.log(l) });
    return humanNeeded ? { ...outcome, recordStatus: 'human_needed' } : outcome;
  },
};

/** Resolved compose definitions per service (in memory only: they may hold env values). */
async function serviceDefinitions(ctx: StepContext, release: string, files?: string[]): Promise<Map<string, string> | undefined> {
  const composeCtx = files ? { ...ctx.composeFor(release), files: files.map((f) => posix.join(ctx.layout.releaseDir(release), f)) } : ctx.composeFor(release);
  const r = await ctx.run(composeResolvedConfigCommand(composeCtx), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) return undefined;
  const doc = parseYaml(r.stdout) as { services?: Record<string, unknown> };
  // Paths inside the release folder differ between releases by name only: compare them as one.
  const dir = ctx.layout.releaseDir(release);
  return new Map(Object.entries(doc.services ?? {}).map(([k, v]) => [k, createHash('sha256').update(JSON.stringify(v).split(dir).join('<release>')).digest('hex')]));
}

/**
 * Backup-before-apply: the stateful services whose definition (image, volumes, command,
 * environment) changes with this release need a fresh backup first, by the configured policy.
 */
async function backupBeforeApply(ctx: StepContext): Promise<StepOutcome | undefined> {
  const current = ctx.state().current;
  const stateful = statefulServices(ctx);
  if (current === undefined || current === ctx.release || stateful.length === 0) return undefined;
  const before = await serviceDefinitions(ctx, current, ctx.state().releases.find((r) => r.id === current)?.composeFiles);
  const after = await serviceDefinitions(ctx, ctx.release);
  const changed = stateful.filter((svc) => before === undefined || after === undefined || before.get(svc) !== after.get(svc));
  if (changed.length === 0) return undefined;
  const settings = resolveBackupSettings(ctx.config);
  ctx.log(`stateful service(s) changing: ${changed.join(', ')}; backup-before-apply policy ${settings.beforeApply}`);
  const res = await ensureFreshBackup({
    config: ctx.config,
    target: ctx.target,
    host: ctx.host,
    docker: ctx.docker,
    services: changed,
    maxAgeMs: settings.maxAgeMs,
    reuseWithinMs: settings.reuseWithinMs,
    policy: settings.beforeApply,
    ...(settings.beforeApplyReason ? { reason: settings.beforeApplyReason } : {}),
    onProgress: (l) => ctx.log(l),
  });
  if (!res.ok) {
    return {
      status: 'fail',
      reason: `backup-before-apply (${settings.beforeApply}) refused the change: ${res.decisions.filter((d) => d.outcome === 'refused' || d.outcome === 'failed').map((d) => `${d.service} ${d.outcome}`).join(', ')}`,
      observations: { changedStatefulServices: changed },
      more: res.results,
    };
  }
  return { status: 'pass', observations: { changedStatefulServices: changed, backups: res.decisions.map((d) => `${d.service}: ${d.outcome}`), safetyBackups: res.decisions.flatMap((d) => (d.backup ? [`${d.service}: ${d.backup.id}`] : [])) }, more: res.results };
}

export const STEPS: Step[] = [
  bundleSynced,
  envFilesPresent,
  hostEnvGates,
  keyImageBuilds,
  allImagesBuild,
  stackStarts,
  healthGateStep,
  proxyTls,
  backupRuns,
  restoreRehearsal,
];

/** Milestones whose failure has already changed the running stack: they trigger a rollback. */
export const ROLLBACK_FROM = new Set([6, 7, 8]);

export function stepByRef(ref: string): Step | undefined {
  return STEPS.find((s) => String(s.number) === ref || s.id === ref);
}

