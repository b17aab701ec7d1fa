// A restore rehearsal: prove a backup restores. The file is checked against its manifest
// (sha256), decrypted when it is encrypted, restored into scratch containers of the image the
// manifest names (an internal network, no published ports, never the live service), read back,
// and its fingerprint compared with the one taken at backup time. Every scratch container,
// volume and network is removed afterwards and checked gone. The live service is never touched.
import { PassThrough } from 'node:stream';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { Docker } from '../docker/docker.js';
import { isShipproofError, UsageError } from '../errors.js';
import type { CheckResult, EvidenceStatement } from '../evidence/predicate-schema.js';
import { CommandRecorder } from '../probes/recorder.js';
import type { Observations } from '../probes/types.js';
import type { Target } from '../targets/target.js';
import { parseSha256Output, sha256Command } from './commands.js';
import { decryptError, decryptStream } from './crypto.js';
import { engineSpec } from './engines/index.js';
import { RehearsalStepError, type RehearsalContext } from './engines/types.js';
import { buildStatement } from '../evidence/statement.js';
import { NOT_COLLECTED } from './evidence.js';
import { compareFingerprints, summarizeMismatches } from './fingerprint/compare.js';
import { fingerprintCounts, fingerprintDigest, type Fingerprint, type FingerprintSink } from './fingerprint/types.js';
import type { RehearsalRecord } from './manifest.js';
import { Scratch, sweepExpiredRehearsals } from './scratch.js';
import { FanOut, runPipeline, StderrScanner, type PipelineResult } from './stream.js';
import { findBackup, readBackupsFolder, recordPaths, writeRecord, type ListedBackup } from './store.js';

export interface RehearseOptions {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
  /** Backup id, data file name, manifest name, or a path ending in one. */
  backup: string;
  /** The age identity (AGE-SECRET-KEY-1…) for an encrypted backup. */
  identity?: string;
  now?: Date;
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  operator?: string;
  /** Results recorded before this run's own (e.g. the fetch from an off-site copy). */
  prelude?: CheckResult[];
}

export interface RehearsalResult {
  ok: boolean;
  backup: ListedBackup;
  /** One per step: integrity, decrypt, restore, fingerprint, cleanup. */
  results: CheckResult[];
  /** Where the restored data differs from the backup (empty when it matches). */
  mismatches: string[];
  fingerprint?: Fingerprint;
  /** Scratch resources that could not be removed (should be empty). */
  leftovers: string[];
  statement: EvidenceStatement;
}

function message(e: unknown): string {
  return (isShipproofError(e) || e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
}

export async function rehearseRestore(o: RehearseOptions): Promise<RehearsalResult> {
  const started = new Date();
  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  const backup = findBackup(folder, o.backup);
  if (!backup) {
    throw new UsageError(`There is no backup "${o.backup}" in ${o.target.backupsDir} on ${o.target.name}.`, { hint: 'See `shipproof backup list`.' });
  }
  const m = backup.manifest;
  const spec = engineSpec(m.engine);
  const timeoutMs = o.timeoutMs ?? 6 * 3_600_000;
  const recorder = new CommandRecorder(o.signal ?? new AbortController().signal);
  const results: CheckResult[] = [...(o.prelude ?? [])];
  const step = (id: string, title: string, status: CheckResult['status'], observations: Observations, reason: string | undefined, t0: number, commands = recorder.records.splice(0)): void => {
    results.push({ id, title, gate: true, status, ...(reason ? { reason } : {}), durationMs: Date.now() - t0, observations, commands });
  };
  let mismatches: string[] = [];
  let fingerprint: Fingerprint | undefined;
  let leftovers: string[] = [];

  // 1. The file is the one the manifest describes.
  let t0 = Date.now();
  o.onProgress?.(`${m.id}: checking the file`);
  let intact = false;
  if (!backup.complete) {
    step('integrity', 'Backup file matches its manifest', 'fail', { file: m.file }, `the backup is incomplete: ${backup.problem ?? 'unknown problem'}`, t0);
  } else {
    const r = await recorder.run(o.host, sha256Command(backup.path), { timeoutMs });
    const actual = parseSha256Output(r.stdout);
    intact = actual === m.sha256;
    step(
      'integrity',
      'Backup file matches its manifest',
      intact ? 'pass' : 'fail',
      { file: m.file, bytes: m.bytes, sha256: actual ?? null, manifestSha256: m.sha256 },
      intact ? undefined : actual === undefined ? 'the file could not be read' : 'the sha256 of the file differs from its manifest: the file was changed or damaged after the backup',
      t0,
    );
  }

  let canRestore = intact;
  if (canRestore && m.encryption !== null && o.identity === undefined) {
    step('decrypt', 'Backup decrypts', 'fail', { recipients: m.encryption.recipients.length }, 'the backup is encrypted (age); pass the identity (--identity <file>) to rehearse it', Date.now());
    canRestore = false;
  }
  if (canRestore && !spec.rehearse) {
    // Not "skipped": a rehearsal that could not restore has proved nothing.
    step('restore', 'Restore into a scratch container', 'error', { engine: m.engine }, `there is no rehearsal procedure for ${m.engine} yet, so this backup is not proved`, Date.now());
    canRestore = false;
  }

  if (canRestore && spec.rehearse) {
    await sweepExpiredRehearsals(o.host, o.now).catch(() => undefined);
    const scratch = new Scratch(o.host, recorder, { ...(o.now ? { now: o.now } : {}) });
    t0 = Date.now();
    let restoreStep = 'restore';
    let decryptFailed: string | undefined;
    try {
      const image = m.restoreImage.id;
      const present = await recorder.run(o.host, ['docker', 'image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 60_000 });
      if (present.exitCode !== 0) {
        throw new RehearsalStepError('restore', `the image ${m.restoreImage.ref ?? image} (${image.slice(0, 19)}) the backup was taken with is no longer on ${o.host.description}`);
      }
      await scratch.open();
      const rc: RehearsalContext = {
        host: o.host,
        manifest: m,
        scratch,
        image,
        timeoutMs,
        exec: (argv, ms) => recorder.run(o.host, argv, { timeoutMs: ms ?? 120_000 }),
        feed: async (stages, names, stepName) => {
          restoreStep = stepName;
          o.onProgress?.(`${m.id}: ${stepName}`);
          const r = await feedBackup(o.host, backup, o.identity, stages, names, timeoutMs, o.signal);
          recorder.records.push(r.record);
          if (r.decryptError) decryptFailed = r.decryptError;
          return r;
        },
        fingerprintOf: async (stages, names, sink, stepName) => {
          restoreStep = stepName;
          o.onProgress?.(`${m.id}: ${stepName}`);
          return fingerprintOutput(o.host, stages, names, sink, timeoutMs, stepName, (rec) => recorder.records.push(rec), o.signal);
        },
      };
      fingerprint = await spec.rehearse(rc);
      if (m.encryption !== null) step('decrypt', 'Backup decrypts', 'pass', { recipients: m.encryption.recipients.length }, undefined, t0, []);
      step('restore', 'Restore into a scratch container', 'pass', { image: image.slice(0, 71), network: 'internal, no published ports' }, undefined, t0);
      t0 = Date.now();
      mismatches = compareFingerprints(m.fingerprint, fingerprint);
      const counts = fingerprintCounts(fingerprint);
      step(
        'fingerprint',
        'Restored data matches the backup fingerprint',
        mismatches.length === 0 ? 'pass' : 'fail',
        {
          expectedDigest: m.fingerprintDigest,
          restoredDigest: fingerprintDigest(fingerprint),
          mismatches: mismatches.length,
          ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [`restored.${k}`, v])),
          ...(mismatches.length ? { where: summarizeMismatches(mismatches) } : {}),
        },
        mismatches.length === 0 ? undefined : `the restored data differs from the backup: ${summarizeMismatches(mismatches, 3).join('; ')}`,
        t0,
        [],
      );
    } catch (e) {
      if (decryptFailed !== undefined) {
        step('decrypt', 'Backup decrypts', 'fail', {}, decryptFailed, t0);
      } else {
        const where = e instanceof RehearsalStepError ? e.step : restoreStep;
        step(where === 'read back' ? 'fingerprint' : 'restore', where === 'read back' ? 'Read the restored copy back' : 'Restore into a scratch container', 'fail', {}, message(e), t0);
      }
    } finally {
      t0 = Date.now();
      o.onProgress?.(`${m.id}: removing the scratch containers`);
      leftovers = await scratch.close().catch((e: unknown) => [`could not check: ${message(e)}`]);
      step('cleanup', 'Scratch containers, volumes and network removed', leftovers.length === 0 ? 'pass' : 'fail', { leftovers }, leftovers.length ? `left behind: ${leftovers.join(', ')}` : undefined, t0);
    }
  }

  const ok = results.length > 0 && results.every((r) => r.status === 'pass');
  const record: RehearsalRecord = {
    schemaVersion: 1,
    id: m.id,
    status: ok ? 'passed' : 'failed',
    at: (o.now ?? new Date()).toISOString(),
    imageId: m.restoreImage.id || null,
    fingerprintDigest: fingerprint ? fingerprintDigest(fingerprint) : null,
    mismatches: mismatches.length,
    ...(ok ? {} : { reason: (results.find((r) => r.status !== 'pass')?.reason ?? 'failed').slice(0, 300) }),
  };
  const notes: string[] = [];
  await writeRecord(o.host, recordPaths(o.target.backupsDir, m.id).rehearsal, record).catch((e: unknown) => notes.push(`could not write the rehearsal record: ${message(e)}`));
  const statement = buildStatement({
    project: o.config.project,
    target: { name: o.target.name, description: o.host.description },
    notCollected: NOT_COLLECTED,
    kind: 'restore',
    title: `Restore rehearsal of ${m.id} on ${o.target.name}`,
    startedAt: started,
    finishedAt: new Date(),
    results,
    subjects: [{ name: m.file, digest: { sha256: m.sha256 } }],
    notes,
    ...(o.operator ? { operator: o.operator } : {}),
  });
  return { ok, backup, results, mismatches, ...(fingerprint ? { fingerprint } : {}), leftovers, statement };
}

/** Streams the backup into a pipeline on the host: decompressed there, and decrypted here first when encrypted. */
async function feedBackup(
  host: Target,
  backup: ListedBackup,
  identity: string | undefined,
  stages: readonly (readonly string[])[],
  names: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PipelineResult & { decryptError?: string }> {
  if (backup.manifest.encryption === null) {
    return runPipeline({ host, stages, stageNames: names, options: { feedFrom: backup.path }, timeoutMs, ...(signal ? { signal } : {}) });
  }
  const cipher = new PassThrough({ highWaterMark: 1 << 20 });
  const reading = host.getStream(backup.path, cipher, { timeoutMs }).catch((e: unknown) => {
    cipher.destroy(e as Error);
  });
  let plain;
  try {
    plain = await decryptStream(cipher, identity as string);
  } catch (e) {
    cipher.destroy();
    await reading;
    return notRun(message(e));
  }
  let decryptProblem: string | undefined;
  plain.on('error', (e) => {
    decryptProblem = message(decryptError(e));
  });
  const r = await runPipeline({ host, stages, stageNames: names, options: { feedStdin: true }, stdin: plain, timeoutMs, ...(signal ? { signal } : {}) });
  await reading;
  if (decryptProblem !== undefined) return { ...r, ok: false, reason: decryptProblem, decryptError: decryptProblem };
  return r;
}

/** The result of a pipeline that never started because decryption failed first. */
function notRun(reason: string): PipelineResult & { decryptError: string } {
  const empty = { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', bytes: 0 };
  return {
    argv: [],
    ok: false,
    reason,
    decryptError: reason,
    stdoutText: '',
    stdoutSha256: empty.sha256,
    stdoutBytes: 0,
    markers: [],
    stderr: new StderrScanner(),
    stages: undefined,
    exitCode: null,
    timedOut: false,
    durationMs: 0,
    record: { argv: ['age-decrypt'], exitCode: null, durationMs: 0, attempts: 1, timedOut: false, stdout: empty, stderr: empty },
  };
}

/** Runs a pipeline and fingerprints its stdout. */
async function fingerprintOutput(
  host: Target,
  stages: readonly (readonly string[])[],
  names: readonly string[],
  sink: FingerprintSink,
  timeoutMs: number,
  step: string,
  record: (r: PipelineResult['record']) => void,
  signal?: AbortSignal,
): Promise<Fingerprint> {
  const fan = new FanOut([sink.input]);
  const r = await runPipeline({ host, stages, stageNames: names, stdout: fan, timeoutMs, ...(signal ? { signal } : {}) });
  record(r.record);
  if (!r.ok) throw new RehearsalStepError(step, `${step} failed: ${r.reason ?? 'unknown reason'}`);
  try {
    return await sink.result(r.markers);
  } catch (e) {
    throw new RehearsalStepError(step, `${step}: ${message(e)}`);
  }
}

