// Reading project files for the file checks: relative to the project folder, shown with "/".
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export type ReadResult = { state: 'ok'; text: string } | { state: 'missing' } | { state: 'folder' } | { state: 'unreadable'; code: string };

export async function readProjectFile(rootDir: string, file: string): Promise<ReadResult> {
  const abs = path.resolve(rootDir, file);
  try {
    const s = await stat(abs);
    if (s.isDirectory()) return { state: 'folder' };
    return { state: 'ok', text: await readFile(abs, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error';
    return code === 'ENOENT' || code === 'ENOTDIR' ? { state: 'missing' } : { state: 'unreadable', code };
  }
}

/** 1-based line of a character offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
