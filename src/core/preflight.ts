// What a deploy would reject after it had already changed the server, found on this machine
// first: `check` reports it, and every deploy runs it before it connects. Each problem is a
// ConfigError at the file:line that causes it (exit 2).
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { ComposeProject } from '../compose/model.js';
import { CONFIG_FILE_NAME, displayPath, type ResolvedConfig } from '../config/load.js';
import { PROJECT_NAME_PATTERN } from '../config/schema.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import { envFilePath } from '../probes/env-files.js';
import { describeWeakSecret, findWeakSecrets, WEAK_SECRET_HINT, type WeakSecret } from '../probes/secret-strength.js';

/** Docker's reference grammar: [registry[:port]/]path[:tag][@digest], path components lowercase. */
const IMAGE_REFERENCE =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function isImageReference(ref: string): boolean {
  // An interpolated image (`${REGISTRY}/app`) is resolved by Compose; judge only literal ones.
  return ref.includes('$') || IMAGE_REFERENCE.test(ref);
}

/** Why curl cannot fetch this URL as written (globbing characters, spaces, control bytes), or undefined. */
export function curlUrlProblem(url: string): string | undefined {
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return 'contains a space or a control character';
  // curl treats {a,b} and [1-3] as globs (IPv6 hosts aside): the gate would never fetch the URL meant.
  const withoutV6Host = url.replace(/^(\w+:\/\/(?:[^@/]*@)?)\[[0-9a-fA-F:.]+\]/, '$1');
  if (/[{}[\]]/.test(withoutV6Host)) return 'contains { } [ or ], which curl reads as a glob pattern';
  if (/[\\^`|<>"]/.test(url)) return 'contains a character that must be percent-encoded';
  try {
    const u = new URL(url);
    if (u.hostname === '') return 'has no host';
  } catch {
    return 'is not a valid URL';
  }
  return undefined;
}

/** The first byte that is not valid UTF-8, as a 1-based line and column, or undefined. */
export function invalidUtf8At(bytes: Buffer): { line: number; column: number } | undefined {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return undefined;
  } catch {
    // Find the offset by decoding growing prefixes line by line.
  }
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      const chunk = bytes.subarray(start, i);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(chunk);
      } catch {
        const okPrefix = Buffer.from(chunk.toString('utf8').split('\ufffd')[0] ?? '', 'utf8').length;
        return { line, column: okPrefix + 1 };
      }
      line++;
      start = i + 1;
    }
  }
  return { line: 1, column: 1 };
}

async function real(p: string): Promise<string | undefined> {
  return realpath(p).catch(() => undefined);
}

function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `abs` (as written) must resolve, through any symlinks, to a place inside the project. */
async function confinement(config: ResolvedConfig, abs: string, what: string, location: SourceLocation | undefined): Promise<ConfigError | undefined> {
  const rootReal = (await real(config.rootDir)) ?? config.rootDir;
  const shown = displayPath(config.rootDir, abs);
  if (!within(config.rootDir, abs)) {
    return new ConfigError(`${what} ${shown} is outside the project folder ${config.rootDir}, so it cannot be part of a release.`, {
      location,
      hint: 'Keep compose files, build contexts and mounted config files inside the folder that holds shipproof.yaml.',
    });
  }
  const target = await real(abs);
  if (target !== undefined && !within(rootReal, target)) {
    return new ConfigError(`${what} ${shown} is a symbolic link to ${target}, outside the project folder: it would be read from there and sent to the server.`, {
      location,
      hint: 'Copy the file into the project, or point the setting at a file inside it. Links that stay inside the project are fine.',
    });
  }
  return undefined;
}

async function readBytes(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch(() => undefined);
}

function nameLineOf(text: string): number | undefined {
  const i = text.split('\n').findIndex((l) => /^name[ \t]*:/.test(l));
  return i === -1 ? undefined : i + 1;
}

export async function preflightErrors(config: ResolvedConfig, compose: ComposeProject): Promise<ConfigError[]> {
  const errors: ConfigError[] = [];
  const add = (e: ConfigError | undefined) => {
    if (e !== undefined) errors.push(e);
  };
  const configShown = config.configPath === undefined ? CONFIG_FILE_NAME : displayPath(process.cwd(), config.configPath);

  // Text files that must be UTF-8 (Compose and the YAML reader would misread them otherwise).
  const textFiles: { file: string; what: string }[] = [
    ...(config.configPath ? [{ file: config.configPath, what: CONFIG_FILE_NAME }] : []),
    ...config.composeFiles.map((f) => ({ file: f, what: 'The compose file' })),
    ...config.envFiles.flatMap((e) => (e.source ? [{ file: e.source, what: 'The env file' }] : [])),
  ];
  for (const { file, what } of textFiles) {
    const bytes = await readBytes(file);
    if (bytes === undefined) continue;
    const bad = invalidUtf8At(bytes);
    if (bad !== undefined) {
      add(new ConfigError(`${what} ${displayPath(process.cwd(), file)} is not valid UTF-8.`, {
        location: { file: displayPath(process.cwd(), file), ...bad },
        hint: 'Save it as UTF-8 (iconv -f latin1 -t utf-8, or your editor\'s "save with encoding").',
      }));
    }
  }

  // Paths: compose files and build contexts inside the project, through symlinks too.
  for (const [i, f] of config.composeFiles.entries()) {
    const where = config.locate(['compose', i]) ?? config.locate(['compose']) ?? { file: displayPath(process.cwd(), f) };
    add(await confinement(config, f, 'The compose file', where));
  }
  for (const s of compose.services) {
    if (s.build !== undefined) {
      const ctx = path.resolve(compose.projectDir, s.build.context);
      add(await confinement(config, ctx, `The build context of ${s.name}`, s.build.location));
    }
    for (const v of s.volumes) {
      if (v.type !== 'bind' || v.source === undefined || v.source.includes('$')) continue;
      const abs = path.resolve(compose.projectDir, v.source);
      // Host paths outside the project (/var/run/docker.sock) are the server's own, not shipped.
      if (!within(config.rootDir, abs)) continue;
      add(await confinement(config, abs, `The bind-mounted path of ${s.name}`, v.location));
    }
    if (s.image !== undefined && !isImageReference(s.image)) {
      add(new ConfigError(`The image "${s.image}" of service ${s.name} is not a valid image reference.`, {
        location: s.fieldLocations.image ?? s.location,
        hint: 'An image is [registry/]name[:tag][@sha256:digest], the name in lowercase (e.g. ghcr.io/acme/web:1.4).',
      }));
    }
  }
  if (compose.name !== undefined && !compose.name.includes('$') && !PROJECT_NAME_PATTERN.test(compose.name)) {
    const first = config.composeFiles[0] as string;
    const text = (await readBytes(first))?.toString('utf8') ?? '';
    add(new ConfigError(`The compose project name "${compose.name}" is not valid: Compose accepts lowercase letters, digits, - and _, starting with a letter or digit.`, {
      location: { file: displayPath(process.cwd(), first), ...(nameLineOf(text) === undefined ? {} : { line: nameLineOf(text), column: 1 }) },
    }));
  }

  // Env files: confined to appDir unless absolute on purpose; sources exist; names are names.
  for (const [i, e] of config.envFiles.entries()) {
    const at = (key: string) => config.locate(['envFiles', i, key]) ?? config.locate(['envFiles', i]) ?? { file: configShown };
    if (!path.posix.isAbsolute(e.path)) {
      const appDir = '/app';
      const resolved = envFilePath(appDir, e.path);
      if (!within(appDir, resolved) || resolved === appDir) {
        add(new ConfigError(`The env file path "${e.path}" leaves the app folder on the server.`, {
          location: at('path'),
          hint: 'Relative paths are taken from the target\'s appDir and must stay inside it; write an absolute path if the file really lives elsewhere.',
        }));
      }
    }
    if (e.source !== undefined) {
      const bytes = await readBytes(e.source);
      if (bytes === undefined) {
        add(new ConfigError(`The env file source ${displayPath(config.rootDir, e.source)} does not exist or cannot be read.`, {
          location: at('source'),
          hint: 'Create it, or fix the path (relative to shipproof.yaml).',
        }));
        continue;
      }
      const text = bytes.toString('utf8').replace(/^\ufeff/, '');
      for (const [n, raw] of text.split('\n').entries()) {
        const line = raw.replace(/\r$/, '');
        if (/^\s*(#|$)/.test(line)) continue;
        const eq = line.indexOf('=');
        const key = (eq === -1 ? line : line.slice(0, eq)).replace(/^\s*export\s+/, '').trim();
        if (eq === -1 || !ENV_NAME.test(key)) {
          add(new ConfigError(`Line ${n + 1} of the env file ${displayPath(config.rootDir, e.source)} is not NAME=value${eq === -1 ? '' : ' (the name has a space or another character a variable name cannot hold)'}.`, {
            location: { file: displayPath(process.cwd(), e.source), line: n + 1, column: 1 },
            hint: 'Names are letters, digits and _ (not starting with a digit); the line is not shown, it may hold a secret.',
          }));
        }
      }
    }
  }

  // Deploy settings the gate would misread.
  if (config.deploy.healthIntervalMs >= config.deploy.healthTimeoutMs) {
    add(new ConfigError(`"deploy.healthInterval" must be shorter than "deploy.healthTimeout": the gate would check once and then give up.`, {
      location: config.locate(['deploy', 'healthInterval']) ?? config.locate(['deploy', 'healthTimeout']) ?? { file: configShown },
    }));
  }
  if (config.deploy.keyService !== undefined && !compose.services.some((s) => s.name === config.deploy.keyService)) {
    add(new ConfigError(`"deploy.keyService" names ${config.deploy.keyService}, which is not a service of the compose file.`, {
      location: config.locate(['deploy', 'keyService']) ?? { file: configShown },
      hint: `Services: ${compose.services.map((s) => s.name).join(', ')}.`,
    }));
  }
  for (const [i, h] of config.health.entries()) {
    const problem = curlUrlProblem(h.url);
    if (problem !== undefined) {
      add(new ConfigError(`The health URL of "${h.name}" ${problem}, so the gate could never fetch it.`, {
        location: config.locate(['health', i, 'url']) ?? { file: configShown },
        hint: 'Percent-encode special characters (a space is %20).',
      }));
    }
  }
  // Weak secrets: found here, before milestone 1 uploads anything, not first at milestone 3.
  errors.push(...weakSecretErrors(config, await findWeakSecrets(config, compose)));
  return errors;
}

/** Weak secrets shipproof.yaml does not allow (`secrets.allowWeak`): the redactor could not keep them out of the evidence. */
export function weakSecretErrors(config: ResolvedConfig, weak: readonly WeakSecret[]): ConfigError[] {
  return weak
    .filter((w) => w.allowed === undefined)
    .map((w) => new ConfigError(`${describeWeakSecret(w, config.rootDir).replace(/^the/, 'The')}, so it cannot be kept out of the evidence.`, {
      location: { file: displayPath(process.cwd(), w.file), ...(w.line === undefined ? {} : { line: w.line, column: 1 }) },
      hint: WEAK_SECRET_HINT,
    }));
}
