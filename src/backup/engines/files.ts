// Bind-mounted folders (a game world, a DNS filter's settings, VPN keys, an app's uploads),
// archived with tar in a helper container that mounts them read-only: the `volume` engine's
// procedure (src/backup/engines/tar-archive.ts) over host folders instead of named volumes. Used
// for services whose data lives in bind mounts and whose engine is unknown or has no dump. The
// folders are the ones the running container really mounts (docker inspect), so the archive
// holds what the service sees; a rehearsal extracts it into a scratch volume, as for a volume.
import type { DataVolume } from './types.js';
import { tarArchiveCommand, tarArchiveEngine } from './tar-archive.js';

/** `folders` here are bind mounts: `volume` holds the absolute host folder. */
export function filesArchiveCommand(image: string, folders: readonly DataVolume[], labels: Record<string, string>): string[] {
  return tarArchiveCommand(image, folders, labels, 'bind');
}

export const filesEngine = tarArchiveEngine({ engine: 'files', tested: true, kind: 'bind', what: 'the bind-mounted data folders' });
