// Bind-mounted folders (a game world, a DNS filter's settings, VPN keys, an app's uploads),
// archived file by file with tar in a helper container that mounts them read-only: the `volume`
// engine's procedure over host folders instead of named volumes. Used for services whose data
// lives in bind mounts and whose engine is unknown or has no dump. The folders are the ones the
// running container really mounts (docker inspect), so the archive holds what the service sees.
import { helperRunCommand } from '../commands.js';
import { TarFingerprinter } from '../fingerprint/tar.js';
import type { DataVolume, EngineSpec } from './types.js';
import { ARCHIVE_ROOT } from './volume.js';

/** `volumes` here are bind mounts: `volume` holds the absolute host folder. */
export function filesArchiveCommand(image: string, folders: readonly DataVolume[], labels: Record<string, string>): string[] {
  if (folders.length === 0) throw new Error('filesArchiveCommand: no folders');
  return helperRunCommand({
    image,
    entrypoint: '',
    labels,
    mounts: folders.map((f) => ({ volume: f.volume, target: `${ARCHIVE_ROOT}/${f.name}`, readOnly: true, bind: true })),
    argv: ['tar', '-c', '-f', '-', '--numeric-owner', '-C', ARCHIVE_ROOT, '.'],
  });
}

export const filesEngine: EngineSpec = {
  engine: 'files',
  // No integration test covers it yet: `backup run` takes it only with --allow-untested.
  tested: false,
  procedure: 'tar of the bind-mounted data folders in a helper container (read-only mounts; the service is stopped first when stop: true), gzipped',
  format: 'tar',
  validation: [
    'every pipeline stage exited 0 (pipefail)',
    'gzip stream decompressed and its CRC checked while streaming',
    'every tar header checksum checked and the end-of-archive block seen',
    'the file on the server re-read and its sha256 compared',
  ],
  needsRunningContainer: false,
  helperImage: async (_live, settings) => settings.volumeImage,
  dumpCommand: (ctx) => filesArchiveCommand((ctx.helper as NonNullable<typeof ctx.helper>).id, ctx.live.volumes, ctx.labels),
  sink: () => new TarFingerprinter(),
};
