// shipproof.verify.yaml: the must-haves (`verify:`), the lint policy changes (`lint:`) and where the
// handover goes (`handover:`). Its own file for now; the sections are shaped to move into
// shipproof.yaml unchanged. A missing file means: no must-haves, the default lint policy.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { displayPath } from '../config/load.js';
import { ConfigError, UsageError } from '../errors.js';
import { handoverSectionSchema, type HandoverSection } from '../handover/schema.js';
import { lintSectionSchema, type LintSection } from '../lint/schema.js';
import { verifySectionSchema, type VerifySection } from './schema.js';
import { parseYamlWithSchema, type Locate } from '../config/yaml-schema.js';

export const SETTINGS_FILE_NAME = 'shipproof.verify.yaml';

export const settingsFileSchema = z
  .strictObject(
    {
      verify: verifySectionSchema.optional(),
      lint: lintSectionSchema.prefault({}),
      handover: handoverSectionSchema.prefault({}),
    },
    { error: 'a mapping with verify:, lint: and handover:' },
  )
  .meta({ title: SETTINGS_FILE_NAME, description: 'Must-haves, lint policy changes and handover settings of shipproof.' });

export interface ProjectSettings {
  /** Absolute path of the file read; undefined when there is none. */
  path?: string;
  /** As shown to people (relative to cwd when inside it). */
  shownPath?: string;
  /** sha256 of the file's bytes, for reports that name what they were judged against. */
  sha256?: string;
  verify?: VerifySection;
  lint: LintSection;
  handover: HandoverSection;
  locate: Locate;
}

export interface LoadSettingsOptions {
  /** The project folder (the config's rootDir). */
  rootDir: string;
  cwd: string;
  /** A file named on the command line; relative to cwd. Must exist. */
  file?: string;
}

export async function loadProjectSettings(o: LoadSettingsOptions): Promise<ProjectSettings> {
  const explicit = o.file !== undefined;
  const file = explicit ? path.resolve(o.cwd, o.file as string) : path.join(o.rootDir, SETTINGS_FILE_NAME);
  const shown = displayPath(o.cwd, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) {
      const defaults = settingsFileSchema.parse({});
      return { ...defaults, locate: () => ({ file: shown }) };
    }
    if (code === 'ENOENT') {
      throw new UsageError(`The must-haves file ${shown} does not exist.`, {
        hint: `Check the path, or write ${SETTINGS_FILE_NAME} next to shipproof.yaml (see \`shipproof verify --help\`).`,
      });
    }
    throw new ConfigError(`Cannot read ${shown} (${code ?? 'unknown error'}).`, { location: { file: shown }, cause: error });
  }
  const parsed = parseYamlWithSchema(bytes.toString('utf8'), shown, settingsFileSchema);
  return {
    ...parsed.data,
    path: file,
    shownPath: shown,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    locate: parsed.locate,
  };
}

/** The JSON Schema of shipproof.verify.yaml, for editors (as configJsonSchema does for shipproof.yaml). */
export function settingsJsonSchema(): object {
  return z.toJSONSchema(settingsFileSchema, { io: 'input', target: 'draft-2020-12' });
}
