// What each engine class provides: its procedure, the pure argv builders for the dump, a
// fingerprint sink for the dump stream, and how a rehearsal restores it into a scratch container
// and reads it back. Orchestration (streams, files, evidence) is shared and lives outside.
import type { Engine } from '../../config/schema.js';
import type { StatefulService } from '../../compose/stateful.js';
import type { ExecResult, Target } from '../../targets/target.js';
import type { Fingerprint, FingerprintSink } from '../fingerprint/types.js';
import type { BackupManifest } from '../manifest.js';
import type { EngineProbes } from './inventory.js';
import type { Scratch } from '../scratch.js';
import type { BackupSettings } from '../settings.js';
import type { PipelineResult } from '../stream.js';
import type { CommandRecorder } from '../../probes/recorder.js';

export type MountKind = 'volume' | 'bind';

/** The kind of mount an engine's data is in. */
export function dataMountsOf(spec: Pick<EngineSpec, 'dataMounts'>): MountKind {
  return spec.dataMounts ?? 'volume';
}

export interface LiveContainer {
  id: string;
  name: string;
  image: string;
  imageId: string;
  running: boolean;
}

export interface DataVolume {
  /** Compose name (the key under `volumes:`). */
  name: string;
  /** Docker volume name. */
  volume: string;
  /** Where the service mounts it. */
  destination: string;
}

export interface LiveService {
  stateful: StatefulService;
  container: LiveContainer | undefined;
  volumes: DataVolume[];
}

export interface ImageRef {
  ref: string | null;
  id: string;
}

export interface BackupContext {
  live: LiveService;
  settings: BackupSettings;
  /** Labels for any helper container the dump starts. */
  labels: Record<string, string>;
  /** The helper image, when the engine runs its dump in one (resolved to an id). */
  helper?: ImageRef;
}

export interface SinkContext {
  host: Target;
  /** The image the fingerprint helper runs (same as a rehearsal would use). */
  image: ImageRef;
  labels: Record<string, string>;
  timeoutMs: number;
}

export interface RehearsalContext {
  host: Target;
  manifest: BackupManifest;
  scratch: Scratch;
  /** The image the restore runs in: the manifest's restoreImage, checked present. */
  image: string;
  /** Streams the backup (decrypted, decompressed) into the pipeline's first stage; the engine judges the result. */
  feed(stages: readonly (readonly string[])[], stageNames: readonly string[], step: string): Promise<PipelineResult>;
  /** Runs a pipeline and fingerprints its stdout; throws on failure. */
  fingerprintOf(stages: readonly (readonly string[])[], stageNames: readonly string[], sink: FingerprintSink, step: string): Promise<Fingerprint>;
  /** Runs a short command, recorded for the evidence. */
  exec(argv: readonly string[], timeoutMs?: number): Promise<ExecResult>;
  timeoutMs: number;
}

/** A scratch set as a plan names it (src/backup/plan.ts). */
export interface PlannedScratch {
  network: string;
  labels: Record<string, string>;
  name(suffix: string): string;
  /** The backup file a restore is fed from. */
  backupFile: string;
  /** The command `RehearsalContext.feed` runs for these stages (fed from the file, or on stdin when decrypted here). */
  feed(stages: readonly (readonly string[])[]): string[];
}

export interface EngineSpec {
  engine: Engine;
  /** Covered by an integration test; untested engines run only when asked to explicitly. */
  tested: boolean;
  /** One line for the audit. */
  procedure: string;
  format: string;
  /** What is checked before a backup counts. */
  validation: string[];
  /** The dump runs inside the service's running container. */
  needsRunningContainer: boolean;
  /** What the service's data is mounted as: named volumes (the default), or host folders it bind-mounts (`files`). */
  dataMounts?: MountKind;
  /** The helper image the dump runs in, when not the service's own container (the caller resolves it to an id). */
  helperImage?(live: LiveService, settings: BackupSettings, host: Target): Promise<string | undefined>;
  /** The argv (run on the host) whose stdout is the raw backup. Secrets stay inside the container. */
  dumpCommand(ctx: BackupContext): string[];
  /** Consumes the raw stream and describes it. */
  sink(ctx: SinkContext): FingerprintSink;
  /** Restores into scratch containers and returns the fingerprint read back; undefined = no rehearsal yet. */
  rehearse?(rc: RehearsalContext): Promise<Fingerprint>;
  /** What the read-only probes ask the engine in its container ({} = nothing of its own). */
  probes: EngineProbes;
  /** The commands `rehearse` runs, for a plan (`--dry-run` of milestone 10); placeholders for what only the server knows. */
  rehearsalCommands?(image: string, scratch: PlannedScratch): { argv: string[]; note?: string; when?: string }[];
  /** How a backup goes back into the live service (`restore --into`); undefined = not supported yet. */
  restoreInto?: LiveRestore;
}

/** What a restore into a live service gets from the orchestration (src/backup/restore.ts). */
export interface LiveRestoreContext {
  host: Target;
  service: string;
  live: LiveService;
  manifest: BackupManifest;
  /** The image helpers run (the manifest's restoreImage, by id). */
  image: string;
  recorder: CommandRecorder;
  progress(line: string): void;
  /** Streams the backup (decrypted, decompressed) into the stages; the result is recorded, the engine judges it. */
  feed(stages: readonly (readonly string[])[], stageNames: readonly string[]): Promise<PipelineResult>;
  /** Runs the stages and fingerprints their stdout; throws on failure. */
  readBack(stages: readonly (readonly string[])[], sink: FingerprintSink): Promise<Fingerprint>;
  /**
   * Runs `fn` with every running container of the project that mounts the service's data (its
   * volumes, or for `files` its host folders) stopped, and starts them again after; throws fn's
   * error, or the restart problem.
   */
  withDataUsersStopped<T>(fn: () => Promise<T>): Promise<T>;
}

export interface LiveRestore {
  /** The restore step in a sentence, for `restore --into --dry-run`. */
  describe(service: string, manifest: BackupManifest): string;
  /** Read-only: why this backup cannot go into the service as it runs now (before consent, and in a dry run); undefined = it can. */
  precheck?(service: string, live: LiveService, manifest: BackupManifest): string | undefined;
  /** Restores and returns the live service's fingerprint read back (compared with the backup's by the caller). */
  run(ctx: LiveRestoreContext): Promise<Fingerprint>;
}

export { RehearsalStepError } from '../rehearsal-error.js';

/** Cuts an engine's error line before anything that may quote data (values, SQL text). */
export function sanitizeErrorLine(line: string): string {
  const cut = line.search(/: "| '|=\(|\bDETAIL\b/);
  return (cut === -1 ? line : line.slice(0, cut)).trim().slice(0, 200);
}
