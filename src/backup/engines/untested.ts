// Engines declared with their procedure but not yet covered by a test: the audit marks them
// untested, and `backup run` runs them only when asked explicitly (--allow-untested). Their
// backups are opaque to shipproof (size and sha256 only), and no rehearsal exists for them yet.
import { Writable } from 'node:stream';
import { dockerExecCommand } from '../commands.js';
import type { Fingerprint, FingerprintSink } from '../fingerprint/types.js';
import { exitsZero } from './inventory.js';
import type { EngineSpec } from './types.js';
import { volumeArchiveCommand, volumeEngine } from './volume.js';

class OpaqueSink extends Writable implements FingerprintSink {
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
  get input(): Writable {
    return this;
  }
  async result(): Promise<Fingerprint> {
    return { kind: 'opaque' };
  }
}

/** mongodump to stdout; the root password goes into a 0600 config file inside the container, never argv. */
export const MONGODB_DUMP_SCRIPT = [
  'set -e',
  'u="${MONGO_INITDB_ROOT_USERNAME:-}"',
  'if [ -n "$u" ]; then',
  '  umask 077; f="$(mktemp)"; trap \'rm -f "$f"\' EXIT',
  '  printf "password: %s\\n" "${MONGO_INITDB_ROOT_PASSWORD:-}" > "$f"',
  '  mongodump --quiet --archive --username "$u" --authenticationDatabase admin --config "$f"',
  'else',
  '  mongodump --quiet --archive',
  'fi',
].join('\n');

/** A raft snapshot with the token from the container's environment (VAULT_TOKEN), never printed. */
export const VAULT_SNAPSHOT_SCRIPT = [
  'set -e',
  '[ -n "${VAULT_TOKEN:-}" ] || { echo "VAULT_TOKEN is not set in the container" >&2; exit 3; }',
  'f="$(mktemp)"; trap \'rm -f "$f"\' EXIT',
  'vault operator raft snapshot save "$f" >/dev/null',
  'cat -- "$f"',
].join('\n');

const opaqueValidation = ['every pipeline stage exited 0 (pipefail)', 'gzip stream decompressed and its CRC checked while streaming', 'the file on the server re-read and its sha256 compared'];

export const mongodbEngine: EngineSpec = {
  engine: 'mongodb',
  tested: false,
  procedure: 'mongodump --archive inside the service container, gzipped (untested)',
  format: 'archive',
  validation: opaqueValidation,
  needsRunningContainer: true,
  dumpCommand: (ctx) => dockerExecCommand((ctx.live.container as NonNullable<typeof ctx.live.container>).name, ['sh', '-c', MONGODB_DUMP_SCRIPT, 'shipproof-mongodump']),
  sink: () => new OpaqueSink(),
  probes: {
    readiness: { argv: ['mongosh', '--quiet', '--eval', 'db.runCommand({ ping: 1 }).ok'], ready: (exitCode, stdout) => exitCode === 0 && stdout.trim() === '1' },
    dumpTool: ['mongodump', '--version'],
  },
};

export const vaultEngine: EngineSpec = {
  engine: 'vault',
  tested: false,
  procedure: 'vault operator raft snapshot save with VAULT_TOKEN from the container environment, gzipped (untested)',
  format: 'snap',
  validation: opaqueValidation,
  needsRunningContainer: true,
  dumpCommand: (ctx) => dockerExecCommand((ctx.live.container as NonNullable<typeof ctx.live.container>).name, ['sh', '-c', VAULT_SNAPSHOT_SCRIPT, 'shipproof-vault-snapshot']),
  sink: () => new OpaqueSink(),
  probes: { readiness: { argv: ['vault', 'status', '-format=json'], ready: exitsZero }, dumpTool: ['vault', 'version'] },
};

/** MinIO: an archive of its data volumes (stop: true recommended); `mc mirror` is not wired yet. */
export const minioEngine: EngineSpec = {
  ...volumeEngine,
  engine: 'minio',
  tested: false,
  procedure: 'tar of the data volumes in a helper container (stop: true recommended; mc mirror not wired yet), gzipped (untested)',
  dumpCommand: (ctx) => volumeArchiveCommand((ctx.helper as NonNullable<typeof ctx.helper>).id, ctx.live.volumes, ctx.labels),
  probes: { dumpTool: ['mc', '--version'] },
};
