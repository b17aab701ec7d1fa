// Milestone 10 with an encrypted backup: no identity on the operator's machine is human_needed
// (with the reason), never a failure; where the identity comes from, in order.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { operatorIdentity, rehearseForDeploy } from '../../src/backup/deploy-rehearsal.js';
import { newIdentity } from '../../src/backup/crypto.js';
import type { ResolvedConfig, ResolvedTarget } from '../../src/config/load.js';
import type { Target } from '../../src/targets/target.js';

const H = (c: string) => c.repeat(64);
const id = 'db-postgres-20260520T000000Z';
const manifest = {
  schemaVersion: 1, id, project: 'p', target: 'local', service: 'db', engine: 'postgres', procedure: 'pg_dumpall', tested: true,
  createdAt: '2026-05-20T00:00:00.000Z', finishedAt: '2026-05-20T00:00:00.000Z', durationMs: 1,
  image: { ref: 'postgres:15', id: `sha256:${H('1')}`, repoDigests: [] }, restoreImage: { ref: 'postgres:15', id: `sha256:${H('1')}` },
  container: 'p_db_1', volumes: [], command: ['docker'], format: 'sql', compression: 'gzip',
  encryption: { kind: 'age', recipients: ['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq'] },
  file: `${id}.sql.gz.age`, bytes: 100, sha256: H('a'), contentSha256: H('b'), rawBytes: 1000,
  fingerprint: { kind: 'opaque' }, fingerprintDigest: H('d'), validation: [], stopped: [], toolVersion: '0.1.0',
};
const host = {
  description: 'fake',
  exec: async () => ({ exitCode: 0, stdout: [`F\t100\t${manifest.file}`, `J\t${id}.manifest.json\t${JSON.stringify(manifest)}`].join('\n'), stderr: '' }),
} as unknown as Target;
const config = { project: 'p', backups: {} } as unknown as ResolvedConfig;
const target = { name: 'local', backupsDir: '/srv/backups' } as unknown as ResolvedTarget;

describe('rehearseForDeploy', () => {
  it('is human_needed, not failed, when an encrypted backup has no identity here', async () => {
    const r = await rehearseForDeploy({ config, target, host, docker: {} as never, ids: [id], env: {} });
    expect(r.status).toBe('skipped');
    expect(r.humanNeeded).toBe(true);
    expect(r.reason).toMatch(/^human_needed: db-postgres-20260520T000000Z is encrypted \(age\) and no identity is available.*backups\.identity/);
    expect(r.more).toEqual([]);
  });
});

describe('operatorIdentity', () => {
  it('takes SHIPPROOF_AGE_IDENTITY, then SHIPPROOF_AGE_IDENTITY_FILE, then backups.identity, and never names the key', async () => {
    const a = await newIdentity();
    const b = await newIdentity();
    const dir = mkdtempSync(join(tmpdir(), 'sp-ident-'));
    writeFileSync(join(dir, 'b.txt'), `# created: now\n${b.identity}\n`);
    const withFile = { ...config, backups: { identity: join(dir, 'b.txt') } } as unknown as ResolvedConfig;
    expect(await operatorIdentity(withFile, { SHIPPROOF_AGE_IDENTITY: a.identity })).toEqual({ identity: a.identity, source: '$SHIPPROOF_AGE_IDENTITY' });
    expect(await operatorIdentity(config, { SHIPPROOF_AGE_IDENTITY_FILE: join(dir, 'b.txt') })).toEqual({ identity: b.identity, source: join(dir, 'b.txt') });
    expect(await operatorIdentity(withFile, {})).toEqual({ identity: b.identity, source: join(dir, 'b.txt') });
    expect(await operatorIdentity(config, {})).toBeUndefined();
  });
});
