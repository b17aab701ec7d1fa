// Referenced env files exist: compose refuses to start without a required one. Without a target the
// files are looked for next to the compose file; with a target, on the server, where they must also
// be readable by their owner only (0600). Only existence and mode are read, never the content.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedTarget } from '../../config/load.js';
import type { SourceLocation } from '../../errors.js';
import type { Target } from '../../targets/target.js';
import type { LintContext, LintRule, RuleFinding } from '../types.js';

export const envFilesExist: LintRule = {
  id: 'env-files-exist',
  title: 'Referenced env files exist (0600 on the target)',
  why: 'Compose refuses to start a service whose required env file is missing, so the deploy fails at the last step; a file others can read leaks every secret in it to every user of the server.',
  async check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      for (const ref of service.envFiles) {
        if (!ref.required) continue;
        const file = path.resolve(ctx.model.projectDir, ref.path);
        if (await isFile(file)) continue;
        findings.push({
          severity: 'error',
          service: service.name,
          location: ref.location,
          message: `Service "${service.name}" needs the env file ${ref.path}, which does not exist next to the compose file.`,
          fix: `Create ${ref.path} (mode 0600, listed in .gitignore), mark it \`required: false\` if the service can start without it, or run \`shipproof lint --target <server>\` to check the server's copy instead.`,
        });
      }
    }
    return findings;
  },
};

export interface RemoteEnvFile {
  /** Absolute path on the server. */
  path: string;
  /** As written, for messages. */
  written: string;
  service?: string;
  location: SourceLocation;
}

/** The env files the target must hold: compose's (under <appDir>/current) and shipproof.yaml's envFiles. */
export function remoteEnvFiles(ctx: LintContext, target: ResolvedTarget): RemoteEnvFile[] {
  const release = path.posix.join(target.appDir, 'current');
  const relProject = path.relative(ctx.config.rootDir, ctx.model.projectDir).split(path.sep).join('/');
  const composeDir = relProject === '' || relProject.startsWith('..') ? release : path.posix.join(release, relProject);
  const files: RemoteEnvFile[] = [];
  for (const service of ctx.model.services) {
    for (const ref of service.envFiles) {
      if (!ref.required) continue;
      const p = ref.path.startsWith('/') ? ref.path : path.posix.join(composeDir, ref.path);
      files.push({ path: p, written: ref.path, service: service.name, location: ref.location });
    }
  }
  ctx.config.envFiles.forEach((e, i) => {
    const p = e.path.startsWith('/') ? e.path : path.posix.join(target.appDir, e.path);
    files.push({ path: p, written: e.path, location: ctx.config.locate(['envFiles', i]) ?? { file: 'shipproof.yaml' } });
  });
  return files;
}

/** One line per path, in order: the octal mode, or "missing". */
export function envFileModesCommand(paths: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    'for f in "$@"; do if [ -f "$f" ]; then stat -L -c %a -- "$f"; else echo missing; fi; done',
    'shipproof-env-modes',
    ...paths,
  ];
}

export function parseEnvFileModes(stdout: string, count: number): (string | undefined)[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  return Array.from({ length: count }, (_, i) => lines[i]?.trim());
}

export async function envFilesOnTarget(ctx: LintContext, resolved: ResolvedTarget, target: Target): Promise<RuleFinding[]> {
  const files = remoteEnvFiles(ctx, resolved);
  if (files.length === 0) return [];
  const unique = [...new Set(files.map((f) => f.path))];
  const result = await target.exec(envFileModesCommand(unique), { timeoutMs: 30_000 });
  const modes = new Map(unique.map((p, i) => [p, parseEnvFileModes(result.stdout, unique.length)[i]]));
  const findings: RuleFinding[] = [];
  const modeReported = new Set<string>();
  for (const file of files) {
    const mode = modes.get(file.path);
    const who = file.service === undefined ? 'shipproof.yaml' : `Service "${file.service}"`;
    if (mode === undefined || mode === 'missing') {
      findings.push({
        severity: 'error',
        ...(file.service === undefined ? {} : { service: file.service }),
        location: file.location,
        message: `${who} needs the env file ${file.written}, which is missing on ${resolved.name} (${file.path}).`,
        fix: `Create it on the server with mode 0600: \`install -m 600 /dev/null ${file.path}\`, then fill in the values there.`,
      });
      continue;
    }
    // One finding per file for its mode, at its first reference: the fix is one chmod.
    if (/^[0-7]+$/.test(mode) && (parseInt(mode, 8) & 0o077) !== 0 && !modeReported.has(file.path)) {
      modeReported.add(file.path);
      findings.push({
        severity: 'error',
        ...(file.service === undefined ? {} : { service: file.service }),
        location: file.location,
        message: `The env file ${file.written} on ${resolved.name} has mode ${mode}, so other users can read or change it.`,
        fix: `Run \`chmod 600 ${file.path}\` on the server.`,
      });
    }
  }
  return findings;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
