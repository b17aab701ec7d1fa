// Reading compose files from disk for one load: each file parsed once (with positions), its tree
// interpolated with the environment in force where it is used, and every problem collected with
// the place that caused it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import { displayPath } from '../config/load.js';
import { parseYaml } from '../config/yaml-positions.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import type { Env } from './dotenv.js';
import { interpolateTree, type InterpolationMode } from './interpolate.js';
import { toTree, type PNode } from './tree.js';

export interface ParsedFile {
  /** Absolute. */
  abs: string;
  /** Relative to the cwd, for messages. */
  display: string;
  doc: Document;
  lineCounter: LineCounter;
  /** Before interpolation. */
  tree: PNode;
}

export interface Warning {
  message: string;
  location: SourceLocation;
}

export class ComposeSources {
  readonly errors: ConfigError[] = [];
  readonly warnings: Warning[] = [];
  /** Every file read, in the order first read (for the interpolation inventory). */
  readonly files: ParsedFile[] = [];
  /** Cycles already reported, so one cycle is one error. */
  readonly reported = new Set<string>();
  private readonly cache = new Map<string, ParsedFile | 'missing'>();

  constructor(
    readonly cwd: string,
    readonly mode: InterpolationMode,
  ) {}

  display(abs: string): string {
    return displayPath(this.cwd, abs);
  }

  /**
   * The interpolated tree of `abs`, or undefined when it cannot be read; the problem is then
   * recorded at `from` (the include or extends that names it), or thrown for a top-level file.
   */
  async tree(abs: string, env: Env, from?: { location: SourceLocation; what: string }): Promise<PNode | undefined> {
    const parsed = await this.parse(abs, from);
    if (parsed === undefined) return undefined;
    return interpolateTree(parsed.tree, env, this.mode, this);
  }

  private async parse(abs: string, from?: { location: SourceLocation; what: string }): Promise<ParsedFile | undefined> {
    const cached = this.cache.get(abs);
    if (cached === 'missing') return undefined;
    if (cached !== undefined) return cached;
    const display = this.display(abs);
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const said = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
      this.cache.set(abs, 'missing');
      if (from === undefined) {
        throw new ConfigError(code === 'ENOENT' ? `Compose file ${display} does not exist.` : `Cannot read compose file ${display} (${code}).`, {
          location: { file: display },
          cause: error,
        });
      }
      this.errors.push(new ConfigError(`${from.what} names ${display}, which ${said}.`, { location: from.location, hint: 'Its path is relative to the folder of the file that names it.' }));
      return undefined;
    }
    const { doc, lineCounter, aliases } = parseYaml(text, display);
    const parsed: ParsedFile = { abs, display, doc, lineCounter, tree: toTree(doc, lineCounter, display, aliases) };
    this.cache.set(abs, parsed);
    this.files.push(parsed);
    return parsed;
  }
}
