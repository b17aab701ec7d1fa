// Milestone 1: the release's files on the server, verified by sha256, with its metadata and its
// bind-mounted files at their content-addressed paths.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { materializeMountsCommand, mkdirsCommand, releaseChecksumsCommand, unpackReleaseCommand } from '../commands.js';
import type { PlanContext, Step, StepContext } from '../context.js';
import { bundleMounts, mountPairs, mountsOverride, MOUNTS_OVERRIDE } from '../mounts.js';
import { upsertRelease, type ReleaseRecord } from '../state.js';
import { checksumMismatches, parseChecksums, uploadBundle } from '../sync.js';
import { putFileCommand } from '../../targets/file-commands.js';
import { meta } from './shared.js';

function mountsOf(ctx: PlanContext) {
  return bundleMounts(ctx.compose, ctx.bundle, ctx.layout);
}

/** The compose files of a release, relative to its folder: the project's, then shipproof's mounts override. */
export function releaseComposeFiles(ctx: PlanContext): string[] {
  const files = ctx.config.composeFiles.map((f) => posix.relative(ctx.config.rootDir, f));
  return mountsOf(ctx).length ? [...files, MOUNTS_OVERRIDE] : files;
}

export const bundleSynced: Step = {
  ...meta(1),
  changes: true,
  plan: (ctx) => {
    const dir = ctx.layout.releaseDir(ctx.release);
    const pairs = mountPairs(mountsOf(ctx), dir);
    return [
      { argv: releaseChecksumsCommand(dir) },
      { argv: mkdirsCommand([ctx.layout.releasesDir]), when: 'when files differ' },
      { argv: mkdirsCommand([ctx.layout.metaDir], 0o700), when: 'when files differ' },
      { argv: unpackReleaseCommand(dir), note: `stdin: tar of ${ctx.bundle.files.length} files`, when: 'when files differ' },
      { argv: putFileCommand(ctx.layout.releaseMeta(ctx.release), 0o644, true), note: 'stdin: release.json, every file with its sha256 and mode' },
      { argv: putFileCommand(posix.join(dir, '.shipproof', 'bundle.sha256'), 0o644, false), note: `stdin: ${ctx.bundle.sha256}` },
      ...(pairs.length ? [{ argv: putFileCommand(posix.join(dir, MOUNTS_OVERRIDE), 0o644, false), note: 'stdin: bind mounts at content-addressed paths' }, { argv: materializeMountsCommand(pairs) }] : []),
      { argv: putFileCommand(ctx.layout.stateFile, 0o600, true), note: 'stdin: state.json' },
      { argv: releaseChecksumsCommand(dir) },
    ];
  },
  async run(ctx: StepContext) {
    const dir = ctx.layout.releaseDir(ctx.release);
    const before = parseChecksums((await ctx.run(releaseChecksumsCommand(dir), { timeoutMs: 120_000, read: true })).stdout);
    let uploaded = false;
    if (checksumMismatches(ctx.bundle, before).length > 0 || before.size !== ctx.bundle.files.length) {
      await ctx.confirm(`upload release ${ctx.release} (${ctx.bundle.files.length} files) to ${dir}`);
      await ctx.run(mkdirsCommand([ctx.layout.releasesDir]));
      await ctx.run(mkdirsCommand([ctx.layout.metaDir], 0o700));
      try {
        await uploadBundle(ctx.host, ctx.bundle, dir);
      } catch (e) {
        // The retry rule: read the server's state, then continue. The unpack works in
        // <release>.partial and replaces the release folder only when complete, so a failed
        // upload changed nothing that counts; if the files are still not there, upload once more.
        const now = parseChecksums((await ctx.run(releaseChecksumsCommand(dir), { timeoutMs: 120_000, read: true })).stdout);
        if (checksumMismatches(ctx.bundle, now).length > 0 || now.size !== ctx.bundle.files.length) {
          ctx.log(`the upload failed (${e instanceof Error ? e.message : String(e)}); the server has no complete copy, so it is sent once more`);
          await uploadBundle(ctx.host, ctx.bundle, dir);
        }
      }
      uploaded = true;
    }
    const existing = ctx.state().releases.find((r) => r.id === ctx.release);
    const mounts = mountsOf(ctx);
    const record: ReleaseRecord = {
      id: ctx.release,
      bundleSha256: ctx.bundle.sha256,
      uploadedAt: existing?.uploadedAt ?? new Date().toISOString(),
      status: existing?.status ?? 'uploaded',
      images: existing?.images ?? {},
      composeFiles: releaseComposeFiles(ctx),
      mounts: [...new Set(mounts.map((m) => m.path))],
    };
    await ctx.host.putStream(
      Readable.from([Buffer.from(`${JSON.stringify({ id: ctx.release, bundleSha256: ctx.bundle.sha256, files: ctx.bundle.files.map((f) => ({ path: f.rel, sha256: f.sha256, mode: f.mode.toString(8) })) }, null, 2)}\n`)]),
      ctx.layout.releaseMeta(ctx.release),
      { mkdirs: true, mode: 0o644 },
    );
    await ctx.host.putStream(Readable.from([Buffer.from(`${ctx.bundle.sha256}\n`)]), posix.join(dir, '.shipproof', 'bundle.sha256'), { mode: 0o644 });
    const override = mountsOverride(mounts);
    if (override) {
      await ctx.host.putStream(Readable.from([Buffer.from(override)]), posix.join(dir, MOUNTS_OVERRIDE), { mode: 0o644 });
      const m = await ctx.run(materializeMountsCommand(mountPairs(mounts, dir)), { timeoutMs: 120_000 });
      if (m.exitCode !== 0) return { status: 'fail', reason: 'could not place the bind-mounted files at their content-addressed paths', observations: {} };
    }
    await ctx.saveState(upsertRelease(ctx.state(), record));
    const after = parseChecksums((await ctx.run(releaseChecksumsCommand(dir), { timeoutMs: 120_000, read: true })).stdout);
    const mismatched = checksumMismatches(ctx.bundle, after);
    const observations = {
      release: ctx.release,
      bundleSha256: ctx.bundle.sha256,
      files: ctx.bundle.files.length,
      bytes: ctx.bundle.files.reduce((n, f) => n + f.size, 0),
      uploaded,
      mounts: mounts.map((m) => `${m.service}:${m.target} <- ${m.path}`),
      mismatched: mismatched.slice(0, 50),
    };
    if (mismatched.length) return { status: 'fail', reason: `${mismatched.length} file(s) differ on the server after the upload`, observations };
    return { status: 'pass', reason: uploaded ? 'uploaded and verified by sha256' : 'already on the server, verified by sha256', observations };
  },
};
