// Named volumes, archived with tar in a helper container (src/backup/engines/tar-archive.ts).
import type { DataVolume } from './types.js';
import { tarArchiveCommand, tarArchiveEngine, tarExtractCommand } from './tar-archive.js';

export function volumeArchiveCommand(image: string, volumes: readonly DataVolume[], labels: Record<string, string>): string[] {
  return tarArchiveCommand(image, volumes, labels, 'volume');
}

/** Kept under its old name: restore --into and tests extract a volume archive with it. */
export const volumeExtractCommand = tarExtractCommand;

export const volumeEngine = tarArchiveEngine({ engine: 'volume', tested: true, kind: 'volume', what: 'the named volumes' });
