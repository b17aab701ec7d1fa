// What the `volume` and `files` engines share: a tar of mounted folders in a helper container
// that mounts them read-only (optionally with the service stopped, as docker-volume-backup's stop
// label does), fingerprinted entry by entry (size, mode, sha256) from the tar stream itself.
// Rehearsal: extract into a labelled scratch volume, archive that again, compare the lists. The
// two engines differ only in what is mounted: named volumes, or the host folders a service
// bind-mounts. Restore into the live service: with every container that mounts the data stopped,
// each folder is emptied and the archive extracted into it, then archived again and compared.
import { ShipproofError } from '../../errors.js';
import { helperRunCommand, pipelineCommand, volumeCreateCommand } from '../commands.js';
import { TarFingerprinter } from '../fingerprint/tar.js';
import { RehearsalStepError, type DataVolume, type EngineSpec, type LiveRestore, type LiveService, type MountKind, type PlannedScratch, type RehearsalContext } from './types.js';
import type { Fingerprint, FilesFingerprint } from '../fingerprint/types.js';
import type { BackupManifest } from '../manifest.js';

export const ARCHIVE_ROOT = '/backup';
export const RESTORE_ROOT = '/restore';

export type ArchiveSource = MountKind;

/** Each source is mounted read-only at /backup/<name>; tar's stdout is the archive. */
export function tarArchiveCommand(image: string, sources: readonly DataVolume[], labels: Record<string, string>, kind: ArchiveSource): string[] {
  if (sources.length === 0) throw new Error('tarArchiveCommand: nothing to archive');
  return helperRunCommand({
    image,
    entrypoint: '',
    labels,
    mounts: sources.map((s) => ({ volume: s.volume, target: `${ARCHIVE_ROOT}/${s.name}`, readOnly: true, ...(kind === 'bind' ? { bind: true } : {}) })),
    argv: ['tar', '-c', '-f', '-', '--numeric-owner', '-C', ARCHIVE_ROOT, '.'],
  });
}

export function tarExtractCommand(image: string, volume: string, o: { labels: Record<string, string>; network: string }): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    interactive: true,
    labels: o.labels,
    network: o.network,
    mounts: [{ volume, target: RESTORE_ROOT }],
    argv: ['tar', '-x', '-f', '-', '--numeric-owner', '-C', RESTORE_ROOT],
  });
}

export function tarReadBackCommand(image: string, volume: string, o: { labels: Record<string, string>; network: string }): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    labels: o.labels,
    network: o.network,
    mounts: [{ volume, target: RESTORE_ROOT, readOnly: true }],
    argv: ['tar', '-c', '-f', '-', '--numeric-owner', '-C', RESTORE_ROOT, '.'],
  });
}

/** Empties each mounted folder, then extracts the archive (stdin) over them: /restore/<name> is each source. */
export function tarReplaceCommand(image: string, sources: readonly DataVolume[], kind: ArchiveSource, labels: Record<string, string>): string[] {
  if (sources.length === 0) throw new Error('tarReplaceCommand: nothing to restore into');
  return helperRunCommand({
    image,
    entrypoint: '',
    interactive: true,
    labels,
    mounts: sources.map((s) => ({ volume: s.volume, target: `${RESTORE_ROOT}/${s.name}`, ...(kind === 'bind' ? { bind: true } : {}) })),
    argv: ['sh', '-c', `set -e; for d in ${RESTORE_ROOT}/*/; do find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; done; tar -x -f - --numeric-owner -C ${RESTORE_ROOT}`],
  });
}

/** The top-level folders an archive holds (each one mounted source), from its fingerprint. */
export function archivedSources(fp: FilesFingerprint): string[] {
  return [...new Set(fp.files.map((f) => f.path.replace(/^\.\//, '').split('/')[0] ?? '').filter((n) => n !== '' && n !== '.'))].sort();
}

/** Restores a tar archive into the live mounts of one kind. */
export function tarLiveRestore(kind: ArchiveSource): LiveRestore {
  const what = kind === 'bind' ? 'bind-mounted folders' : 'volumes';
  const precheck = (service: string, live: LiveService, m: BackupManifest): string | undefined => {
    if (live.volumes.length === 0) return `the ${what} of ${service} are not known${kind === 'bind' ? ' (they are read from its container, and it is not there; start it once)' : ''}`;
    const mounted = new Set(live.volumes.map((v) => v.name));
    const missing = archivedSources(m.fingerprint as FilesFingerprint).filter((n) => !mounted.has(n));
    if (missing.length) return `the backup holds ${missing.join(', ')}, which ${service} does not mount now (it mounts ${[...mounted].join(', ')})`;
    return undefined;
  };
  return {
    describe: (service, m) =>
      `stop the services using ${service}'s ${what}, replace their contents from ${m.file} with the helper image ${m.restoreImage.id.slice(0, 19)}, start them again`,
    precheck,
    async run(ctx) {
      const m = ctx.manifest;
      const problem = precheck(ctx.service, ctx.live, m);
      if (problem !== undefined) throw new ShipproofError(problem);
      return ctx.withDataUsersStopped(async () => {
        const r = await ctx.feed([tarReplaceCommand(ctx.image, ctx.live.volumes, kind, { 'shipproof.restore': 'live' })], [`replace the ${what}' contents`]);
        if (!r.ok) throw new ShipproofError(`replacing the ${what}' contents failed: ${r.reason ?? 'unknown reason'}`);
        return ctx.readBack([tarArchiveCommand(ctx.image, ctx.live.volumes, { 'shipproof.restore': m.id }, kind)], new TarFingerprinter());
      });
    },
  };
}

export const TAR_VALIDATION = [
  'every pipeline stage exited 0 (pipefail)',
  'gzip stream decompressed and its CRC checked while streaming',
  'every tar header checksum checked and the end-of-archive block seen',
  'the file on the server re-read and its sha256 compared',
];

/** Extracts the archive into a scratch volume and fingerprints a tar of that copy. */
export async function rehearseTarArchive(rc: RehearsalContext): Promise<Fingerprint> {
  const volume = await rc.scratch.createVolume('data');
  const labels = rc.scratch.labels;
  const r = await rc.feed([tarExtractCommand(rc.image, volume, { labels, network: rc.scratch.network })], ['tar extract'], 'restore');
  if (!r.ok) throw new RehearsalStepError('restore', `the archive did not extract into a scratch volume: ${r.reason ?? 'unknown reason'}`);
  return rc.fingerprintOf([tarReadBackCommand(rc.image, volume, { labels, network: rc.scratch.network })], ['tar of the scratch copy'], new TarFingerprinter(), 'read back');
}

/** The commands rehearseTarArchive runs, for a plan. */
export function tarRehearsalCommands(image: string, sc: PlannedScratch): { argv: string[]; note?: string }[] {
  const volume = sc.name('data');
  const o = { labels: sc.labels, network: sc.network };
  return [
    { argv: volumeCreateCommand(volume, sc.labels), note: 'a scratch volume' },
    { argv: sc.feed([tarExtractCommand(image, volume, o)]), note: 'the archive extracted into it' },
    { argv: pipelineCommand([tarReadBackCommand(image, volume, o)]), note: 'a tar of the scratch copy, fingerprinted here and compared with the backup' },
  ];
}

/** An engine that archives its service's mounts of one kind with tar. */
export function tarArchiveEngine(o: { engine: 'volume' | 'files'; tested: boolean; kind: ArchiveSource; what: string }): EngineSpec {
  return {
    engine: o.engine,
    tested: o.tested,
    procedure: `tar of ${o.what} in a helper container (read-only mounts; the service is stopped first when stop: true), gzipped`,
    format: 'tar',
    validation: TAR_VALIDATION,
    needsRunningContainer: false,
    dataMounts: o.kind,
    helperImage: async (_live, settings) => settings.volumeImage,
    dumpCommand: (ctx) => tarArchiveCommand((ctx.helper as NonNullable<typeof ctx.helper>).id, ctx.live.volumes, ctx.labels, o.kind),
    sink: () => new TarFingerprinter(),
    // A helper container takes the archive: nothing to ask the service itself.
    probes: {},
    rehearse: rehearseTarArchive,
    rehearsalCommands: tarRehearsalCommands,
    restoreInto: tarLiveRestore(o.kind),
  };
}
