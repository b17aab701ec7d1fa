// Reads compose files into a ComposeProject without Docker, the way Compose reads them: the
// project's .env and the environment for interpolation, `include:`, `extends:`, several files
// merged in order (assemble.ts), profiles, and the checks Compose makes before it runs anything
// (validate.ts). Every part of the model keeps the file:line it was written at.
import path from 'node:path';
import { visit, type Scalar } from 'yaml';
import { nodePosition, throwIfErrors } from '../config/yaml-positions.js';
import type { SourceLocation } from '../errors.js';
import { assemble } from './assemble.js';
import { activeProfiles, projectEnv, type Env } from './dotenv.js';
import type { InterpolationMode } from './interpolate.js';
import { findInterpolations, refHasDefault, refIsRequired, type ComposeProject, type ComposeService, type InterpolationVariable } from './model.js';
import { normalizeProjectName } from './project-name.js';
import { readResources } from './resources.js';
import { buildService, Reader } from './service-reader.js';
import { ComposeSources, type ParsedFile } from './sources.js';
import { get, text, type PNode } from './tree.js';
import { validateProject } from './validate.js';

export interface LoadComposeOptions {
  /** Paths in locations are shown relative to this folder. Default: process.cwd(). */
  cwd?: string;
  /** The environment Compose would see. Default: process.env (plus the project's .env). */
  env?: NodeJS.ProcessEnv;
  /**
   * `keep-unresolved` (default): a value whose variable is unset locally stays as written and a
   * missing `${X:?…}` is a warning (the values often live only on the server). `compose`: exactly
   * what Compose does (unset is "", a missing `?` variable is an error).
   */
  interpolation?: InterpolationMode;
  /** Active profiles. Default: COMPOSE_PROFILES. */
  profiles?: string[];
  /** Default: the folder of the first file (Compose's rule). */
  projectDir?: string;
}

const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Reads and merges compose files, in order. Throws ConfigError (with `more`) for every problem found. */
export async function loadCompose(files: string[], opts: LoadComposeOptions = {}): Promise<ComposeProject> {
  const cwd = opts.cwd ?? process.cwd();
  if (files.length === 0) throw new Error('loadCompose: no files given');
  const absolute = files.map((f) => path.resolve(cwd, f));
  const projectDir = opts.projectDir === undefined ? path.dirname(absolute[0] as string) : path.resolve(cwd, opts.projectDir);
  const processEnv = definedOnly(opts.env ?? process.env);
  const env = await projectEnv(projectDir, processEnv);
  const sources = new ComposeSources(cwd, opts.interpolation ?? 'keep-unresolved');
  const tree = await assemble(absolute, projectDir, env, { sources, processEnv });

  const reader = new Reader();
  const all = readServices(tree, reader);
  const active = new Set(opts.profiles ?? activeProfiles(env));
  const enabled = all.filter((s) => s.profiles.length === 0 || active.has('*') || s.profiles.some((p) => active.has(p)));
  const name = text(get(tree, 'name'));
  const project: ComposeProject = {
    files: absolute,
    projectDir,
    ...(name === undefined ? {} : { name }),
    projectName: normalizeProjectName(env.COMPOSE_PROJECT_NAME || name || path.basename(projectDir)),
    services: enabled,
    volumes: readResources(tree, reader, 'volumes'),
    networks: readResources(tree, reader, 'networks'),
    interpolation: collectInterpolation(sources.files),
    warnings: [...sources.warnings, ...tagWarnings(sources.files)],
  };
  const first = sources.files[0];
  const firstLoc: SourceLocation = first === undefined ? { file: sources.display(absolute[0] as string) } : { file: first.display, line: 1, column: 1 };
  // A file that could not be read or followed would only add follow-on errors to the checks.
  throwIfErrors(sources.errors.length > 0 ? sources.errors : [...reader.errors, ...validateProject(project, all, firstLoc)]);
  return project;
}

function definedOnly(env: NodeJS.ProcessEnv): Env {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function readServices(tree: PNode, r: Reader): ComposeService[] {
  const services = get(tree, 'services');
  if (services === undefined || (services.kind === 'scalar' && services.value === null)) return [];
  const out: ComposeService[] = [];
  for (const { key: name, keyLoc, value } of r.map(services, 'services', 'a mapping of service names to services') ?? []) {
    if (!SERVICE_NAME.test(name)) {
      r.fail({ kind: 'scalar', value: null, loc: keyLoc }, `The service name "${name}" is not valid.`, 'Use letters, digits, ".", "-" and "_", starting with a letter or digit.');
    }
    out.push(buildService({ name, location: keyLoc, node: value.kind === 'scalar' && value.value === null ? { kind: 'map', entries: [], loc: value.loc } : value }, r));
  }
  return out;
}

/** `!reset` and `!override` are Compose v2.24+; v1 cannot read them. */
function tagWarnings(files: readonly ParsedFile[]): { message: string; location: SourceLocation }[] {
  const out: { message: string; location: SourceLocation }[] = [];
  for (const file of files) {
    visit(file.doc, {
      Node(_key, node) {
        const tag = (node as { tag?: string }).tag;
        if (tag === '!reset' || tag === '!override') {
          out.push({
            message: `${tag} needs Compose v2.24 or later; Compose v1 cannot read it. shipproof merges as the current specification says.`,
            location: { file: file.display, ...nodePosition(node as { range?: readonly number[] }, file.lineCounter) },
          });
        }
      },
    });
  }
  return out;
}

/** One entry per variable; locations point at the `$` when the scalar is written on one line. */
function collectInterpolation(files: readonly ParsedFile[]): InterpolationVariable[] {
  const byName = new Map<string, InterpolationVariable>();
  for (const reader of files) {
    visit(reader.doc, {
      Scalar(key, node) {
        if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
        for (const ref of findInterpolations(node.value)) {
          const variable = byName.get(ref.name) ?? { name: ref.name, hasDefault: true, required: false, locations: [] };
          variable.hasDefault &&= refHasDefault(ref);
          variable.required ||= refIsRequired(ref);
          variable.locations.push(refLocation(reader, node, ref.index));
          byName.set(ref.name, variable);
        }
      },
    });
  }
  return [...byName.values()];
}

function refLocation(reader: ParsedFile, node: Scalar, index: number): SourceLocation {
  const start = node.range?.[0] ?? 0;
  // Plain and single-quoted scalars on one line map character for character onto the source.
  const shift = node.type === 'PLAIN' ? 0 : node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : undefined;
  const line = reader.lineCounter.linePos(start).line;
  if (shift !== undefined && reader.lineCounter.linePos(start + shift + index).line === line) {
    return { file: reader.display, ...nodePosition({ range: [start + shift + index] }, reader.lineCounter) };
  }
  return { file: reader.display, ...nodePosition(node, reader.lineCounter) };
}

