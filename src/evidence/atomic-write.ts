// Crash-safe file writes: a reader (or a verify after a crash) sees the old file or the whole new
// file, never half of one. Temp file in the same folder (same filesystem, so rename is atomic),
// write, fsync, then rename (or link, to never replace), then fsync the folder so the new name lasts.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file. Default 0o644. */
  mode?: number;
  /** Fail with EEXIST instead of replacing an existing file. */
  exclusive?: boolean;
}

/** The temp-file name pattern; verify reports leftovers matching it as interrupted writes. */
export const TEMP_FILE_PATTERN = /^\..+\.[0-9a-f]{12}\.tmp$/;

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

export async function writeFileAtomic(path: string, data: Buffer | string, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o644;
  const tmp = tempPathFor(path);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    try {
      await fh.writeFile(data);
      // open() applies the umask; set the exact mode asked for (0600 must stay 0600, 0644 must not shrink).
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (options.exclusive) {
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** Makes a rename/link/unlink in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch (e) {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}
