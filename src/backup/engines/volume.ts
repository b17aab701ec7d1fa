// Named volumes, archived file by file with tar in a helper container that mounts them read-only
// (optionally with the service stopped, as docker-volume-backup's stop label does). The
// fingerprint lists every entry with size, mode and sha256, read from the tar stream itself.
// Rehearsal: extract into a labelled scratch volume, archive that again, compare the lists.
import { helperRunCommand } from '../commands.js';
import { TarFingerprinter } from '../fingerprint/tar.js';
import { RehearsalStepError, type DataVolume, type EngineSpec } from './types.js';

export const ARCHIVE_ROOT = '/backup';
export const RESTORE_ROOT = '/restore';

export function volumeArchiveCommand(image: string, volumes: readonly DataVolume[], labels: Record<string, string>): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    labels,
    mounts: volumes.map((v) => ({ volume: v.volume, target: `${ARCHIVE_ROOT}/${v.name}`, readOnly: true })),
    argv: ['tar', '-c', '-f', '-', '--numeric-owner', '-C', ARCHIVE_ROOT, '.'],
  });
}

export function volumeExtractCommand(image: string, volume: string, o: { labels: Record<string, string>; network: string }): string[] {
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

export function volumeReadBackCommand(image: string, volume: string, o: { labels: Record<string, string>; network: string }): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    labels: o.labels,
    network: o.network,
    mounts: [{ volume, target: RESTORE_ROOT, readOnly: true }],
    argv: ['tar', '-c', '-f', '-', '--numeric-owner', '-C', RESTORE_ROOT, '.'],
  });
}

export const volumeEngine: EngineSpec = {
  engine: 'volume',
  tested: true,
  procedure: 'tar of the named volumes in a helper container (read-only mounts; the service is stopped first when stop: true), gzipped',
  format: 'tar',
  validation: [
    'every pipeline stage exited 0 (pipefail)',
    'gzip stream decompressed and its CRC checked while streaming',
    'every tar header checksum checked and the end-of-archive block seen',
    'the file on the server re-read and its sha256 compared',
  ],
  needsRunningContainer: false,
  helperImage: async (_live, settings) => settings.volumeImage,
  dumpCommand: (ctx) => volumeArchiveCommand((ctx.helper as NonNullable<typeof ctx.helper>).id, ctx.live.volumes, ctx.labels),
  sink: () => new TarFingerprinter(),
  async rehearse(rc) {
    const volume = await rc.scratch.createVolume('data');
    const labels = rc.scratch.labels;
    const r = await rc.feed([volumeExtractCommand(rc.image, volume, { labels, network: rc.scratch.network })], ['tar extract'], 'restore');
    if (!r.ok) throw new RehearsalStepError('restore', `the archive did not extract into a scratch volume: ${r.reason ?? 'unknown reason'}`);
    return rc.fingerprintOf([volumeReadBackCommand(rc.image, volume, { labels, network: rc.scratch.network })], ['tar of the scratch copy'], new TarFingerprinter(), 'read back');
  },
};
