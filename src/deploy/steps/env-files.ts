// Milestone 2: every env file present on the server (uploaded 0600 from its local source when it
// differs), its required keys set, and the release's OWN copy of it (0600) inside the release
// folder: a rollback runs with the env the release was deployed with, never a shared file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { envFileCommand, envFilePath, modeProblem, parseEnvReport } from '../../probes/env-files.js';
import { copyPrivateFileCommand } from '../commands.js';
import type { Step, StepOutcome } from '../context.js';
import { putFileCommand } from '../../targets/file-commands.js';
import { meta } from './shared.js';
import { fileHashCommand, foreignEnvFileError, mayReplace, parseHash, parseUploaded, readUploadedCommand, recordUploaded, writeUploadedCommand } from '../env-ownership.js';

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

export const envFilesPresent: Step = {
  ...meta(2),
  changes: true,
  plan: (ctx) =>
    ctx.config.envFiles.flatMap((e) => {
      const path = envFilePath(ctx.target.appDir, e.path);
      return [
        ...(e.source
          ? [
              { argv: ['sha256sum', '--', path], note: `compare with ${e.source}` },
              { argv: readUploadedCommand(ctx.layout), note: 'what shipproof uploaded before', when: 'when it differs' },
              { argv: fileHashCommand(path), note: 'replaced only if shipproof uploaded it and it is unchanged (or --overwrite)', when: 'when it differs' },
              { argv: putFileCommand(path, 0o600, true), note: `stdin: ${e.source}`, when: 'when it differs' },
              { argv: writeUploadedCommand(ctx.layout), note: 'stdin: the sha256 of each env file uploaded, by path', when: 'after an upload' },
            ]
          : []),
        { argv: envFileCommand(path) },
        ...(e.path.startsWith('/') ? [] : [{ argv: copyPrivateFileCommand(path, posix.join(ctx.layout.releaseDir(ctx.release), e.path)), note: "the release's own copy" }]),
      ];
    }),
  async run(ctx) {
    if (ctx.config.envFiles.length === 0) return { status: 'skipped', reason: 'no env files are declared in shipproof.yaml', observations: {} };
    const observations: StepOutcome['observations'] = {};
    const problems: string[] = [];
    for (const [i, e] of ctx.config.envFiles.entries()) {
      const path = envFilePath(ctx.target.appDir, e.path);
      if (e.source) {
        const local = await sha256File(e.source).catch(() => undefined);
        if (local === undefined) {
          problems.push(`the local source of ${e.path} cannot be read`);
          continue;
        }
        const remote = await ctx.run(['sha256sum', '--', path], { timeoutMs: 30_000, read: true });
        // Compared in memory only; neither hash is recorded (a bare hash of a secret file is not evidence).
        if (remote.exitCode !== 0 || remote.stdout.split(' ')[0] !== local) {
          // The deploy refused a file shipproof did not write before it started; this is the same rule under the lock.
          if (ctx.overwrite !== true) {
            const recorded = parseUploaded((await ctx.run(readUploadedCommand(ctx.layout), { timeoutMs: 30_000, read: true })).stdout);
            const existing = parseHash((await ctx.run(fileHashCommand(path), { timeoutMs: 30_000, read: true })).stdout);
            if (!mayReplace(existing, recorded.get(path))) {
              problems.push(foreignEnvFileError(e.path, path).message);
              continue;
            }
          }
          await ctx.confirm(`upload ${e.path} (mode 0600) to ${path}`);
          await ctx.host.putStream(createReadStream(e.source), path, { mode: 0o600, mkdirs: true });
          await recordUploaded(ctx.layout, ctx.run, new Map([[path, local]]));
          observations[`file${i}.uploaded`] = true;
        } else {
          observations[`file${i}.uploaded`] = false;
        }
      }
      const r = await ctx.run(envFileCommand(path), { timeoutMs: 30_000, read: true });
      const report = parseEnvReport(r.stdout);
      observations[`file${i}.path`] = path;
      observations[`file${i}.exists`] = report.exists;
      if (!report.exists) {
        problems.push(`${e.path} is missing on the server${e.source ? '' : ' (create it there, or set `source:` to upload it)'}`);
        continue;
      }
      observations[`file${i}.mode`] = report.mode ?? null;
      const mp = modeProblem(report.mode);
      if (mp) problems.push(`${e.path} ${mp}`);
      const missing = e.required.filter((k) => !report.keys.has(k));
      const empty = e.required.filter((k) => report.keys.get(k) === 'empty');
      observations[`file${i}.missing`] = missing;
      observations[`file${i}.empty`] = empty;
      if (missing.length) problems.push(`${e.path} lacks ${missing.join(', ')}`);
      if (empty.length) problems.push(`${e.path} has empty ${empty.join(', ')}`);
      if (!e.path.startsWith('/')) {
        const own = posix.join(ctx.layout.releaseDir(ctx.release), e.path);
        const c = await ctx.run(copyPrivateFileCommand(path, own), { timeoutMs: 30_000 });
        if (c.exitCode !== 0) problems.push(`could not copy ${e.path} into the release`);
        else observations[`file${i}.releaseCopy`] = own;
      }
    }
    return problems.length ? { status: 'fail', reason: problems.join('; '), observations } : { status: 'pass', observations };
  },
};
