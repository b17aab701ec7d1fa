// `restore <backup> --into <service>` for a `files` backup: data in bind-mounted host folders (a
// game world, VPN keys) of a service whose engine is unknown, on real containers. The dry run
// changes nothing (containers, the folders, evidence); the restore stops every container that
// mounts those folders and the services that depend on it, empties each folder and extracts
// the archive, reads it back (fingerprint equal), starts them again and runs the health gate.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

requireTestEnv();
requireDocker();

const project = `sp-bkrf-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-backup-rf-'));
const local = join(root, 'project');
const appDir = join(root, 'server', 'app');
const home = join(root, 'home');
const c = (service: string) => `${project}_${service}_1`;

// `game` keeps its data in two bind-mounted folders; `viewer` mounts the world folder too (so it
// must be stopped as well); `web` depends on game.
const compose = `services:
  game:
    image: shipproof-offline/busybox:1.35
    command: ["sh", "-c", "exec sleep 100000"]
    volumes: ["./world:/srv/world", "./keys:/srv/keys"]
    stop_grace_period: 1s
  viewer:
    image: shipproof-offline/busybox:1.35
    command: ["sh", "-c", "exec sleep 100000"]
    volumes: ["./world:/view:ro"]
    stop_grace_period: 1s
  web:
    image: shipproof-offline/busybox:1.35
    command: ["sh", "-c", "exec sleep 100000"]
    depends_on: [game]
    stop_grace_period: 1s
`;
const config = `project: ${project}
evidence: evidence
defaultTarget: local
targets:
  local:
    host: local
    appDir: ${appDir}
backups:
  images:
    volume: shipproof-offline/busybox:1.35
stateful:
  viewer: false
`;

const { cli, json } = recordingCli({ cwd: local, env: { SHIPPROOF_HOME: home } });
function composeCli(...args: string[]): void {
  execFileSync('docker-compose', ['--project-name', project, '--file', join(local, 'compose.yaml'), ...args], { stdio: 'pipe' });
}
function startedAt(container: string): string {
  return execFileSync('docker', ['inspect', '--format', '{{.State.Running}} {{.State.StartedAt}}', container]).toString().trim();
}
/** Every file under a folder: path, mode, owner, content (what a restore must bring back). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const n of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const f = join(d, n.name);
      const st = statSync(f);
      const r = `${rel}${n.name}`;
      if (n.isDirectory()) {
        out.push(`${r}/ ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`);
        walk(f, `${r}/`);
      } else out.push(`${r} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${readFileSync(f).toString('base64')}`);
    }
  };
  walk(dir, '');
  return out;
}
/** What a dry run must leave as it was: containers (id, running, started at), both folders, server folder and evidence (name, size, mtime). */
function snapshot(): string {
  const ids = execFileSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean).sort();
  const lines = ids.map((id) => `${id} ${startedAt(id)}`);
  lines.push(...tree(join(local, 'world')), ...tree(join(local, 'keys')));
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const f = join(dir, n.name);
      if (n.isDirectory()) walk(f);
      else {
        const st = statSync(f);
        lines.push(`${f} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(join(root, 'server'));
  walk(join(local, 'evidence'));
  return lines.join('\n');
}

interface BackupJson {
  ok: boolean;
  backups: { service: string; engine: string; status: string; reason?: string; manifest?: { id: string; engine: string } }[];
}
interface RestoreJson {
  ok: boolean;
  safetyBackup: string | null;
  results: { id: string; status: string; reason?: string; observations?: Record<string, unknown> }[];
}

let backupId = '';
let original: { world: string[]; keys: string[] };

beforeAll(() => {
  mkdirSync(join(local, 'world', 'region'), { recursive: true });
  mkdirSync(join(local, 'keys'), { recursive: true });
  writeFileSync(join(local, 'compose.yaml'), compose);
  writeFileSync(join(local, 'shipproof.yaml'), config);
  writeFileSync(join(local, 'world', 'level.dat'), 'level one');
  writeFileSync(join(local, 'world', 'region', 'r.0.0.mca'), randomBytes(150_000));
  writeFileSync(join(local, 'keys', 'wg0.key'), 'private-key-material\n', { mode: 0o600 });
  chmodSync(join(local, 'keys'), 0o700);
  execFileSync('chown', ['-R', '1234:2345', join(local, 'keys')]);
  original = { world: tree(join(local, 'world')), keys: tree(join(local, 'keys')) };
  composeCli('up', '--detach');
}, 120_000);

afterAll(() => {
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('restore --into for bind-mounted folders (files)', () => {
  it('backs up the two folders as a files backup', async () => {
    const r = await cli(['--json', 'backup', 'run', 'game']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const b = json<BackupJson>(r).backups;
    expect(b.map((x) => [x.service, x.engine, x.status])).toEqual([['game', 'files', 'passed']]);
    backupId = b[0]?.manifest?.id as string;
    expect(backupId).toMatch(/^game-/);
  });

  it('--dry-run checks the backup and lists each step; containers, folders, server files and evidence are unchanged', async () => {
    writeFileSync(join(local, 'world', 'level.dat'), 'level two (changed after the backup)');
    const before = snapshot();
    const plan = await cli(['--json', 'restore', backupId, '--into', 'game', '--dry-run']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const p = json<{ dryRun: boolean; steps: { step: string; what: string }[] }>(plan);
    expect(p.dryRun).toBe(true);
    expect(p.steps.map((x) => x.step)).toEqual(['integrity', 'before-restore', 'dependents', 'restore', 'verify', 'health-gate']);
    expect(p.steps.find((x) => x.step === 'dependents')?.what).toMatch(/^stop web /);
    expect(p.steps.find((x) => x.step === 'restore')?.what).toMatch(/^stop the services using game's bind-mounted folders, replace their contents from game-.* with the helper image sha256:/);
    const human = await cli(['restore', backupId, '--into', 'game', '--dry-run']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/dry run: nothing changed/);
    expect(snapshot()).toEqual(before);
  });

  it('restores: the folders hold the backup again (content, modes, owners), every user stopped and started, health gate passed', async () => {
    // Changes since the backup: a file changed (above), one removed, one added, modes and owner changed.
    rmSync(join(local, 'world', 'region', 'r.0.0.mca'));
    writeFileSync(join(local, 'world', 'new-since-backup.txt'), 'should go');
    chmodSync(join(local, 'keys', 'wg0.key'), 0o644);
    execFileSync('chown', ['0:0', join(local, 'keys', 'wg0.key')]);
    const before = { game: startedAt(c('game')), viewer: startedAt(c('viewer')), web: startedAt(c('web')) };
    const r = await cli(['--json', 'restore', backupId, '--into', 'game', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RestoreJson>(r);
    expect(out.results.map((x) => [x.id, x.status])).toEqual([
      ['before-restore.backup.game', 'pass'],
      ['restore', 'pass'],
      ['verify', 'pass'],
      ['dependents', 'pass'],
      ['health-gate', 'pass'],
    ]);
    expect(out.results.find((x) => x.id === 'dependents')?.observations?.['stopped']).toEqual([c('web')]);
    expect(tree(join(local, 'world'))).toEqual(original.world);
    expect(tree(join(local, 'keys'))).toEqual(original.keys);
    expect(existsSync(join(local, 'world', 'new-since-backup.txt'))).toBe(false);
    // game and viewer (they mount the folders) and web (it depends on game) were stopped and run again.
    for (const s of ['game', 'viewer', 'web'] as const) {
      const now = startedAt(c(s));
      expect(now.startsWith('true '), s).toBe(true);
      expect(now, s).not.toBe(before[s]);
    }
    // The safety backup holds the state before the restore: restoring it brings the change back.
    expect(out.safetyBackup).toMatch(/^game-/);
    const undo = await cli(['--json', 'restore', out.safetyBackup as string, '--into', 'game', '--yes']);
    expect(undo.code, undo.stdout + undo.stderr).toBe(0);
    expect(readFileSync(join(local, 'world', 'new-since-backup.txt'), 'utf8')).toBe('should go');
    expect(readFileSync(join(local, 'world', 'level.dat'), 'utf8')).toBe('level two (changed after the backup)');
  });

  it('refuses a backup with a folder the service no longer mounts, in the dry run and before changing anything', async () => {
    writeFileSync(join(local, 'compose.yaml'), compose.replace('"./world:/srv/world", "./keys:/srv/keys"', '"./world:/srv/world"'));
    try {
      composeCli('up', '--detach');
      const before = snapshot();
      for (const args of [['--dry-run'], ['--yes']]) {
        const r = await cli(['--json', 'restore', backupId, '--into', 'game', ...args]);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expect(r.stdout).toBe('');
        const err = JSON.parse(r.stderr) as { error: { message: string } };
        expect(err.error.message).toMatch(/cannot be restored into game: the backup holds srv_keys, which game does not mount now \(it mounts srv_world\); nothing was changed/);
      }
      // Refused before consent and before the safety backup: nothing anywhere changed.
      expect(snapshot()).toEqual(before);
    } finally {
      writeFileSync(join(local, 'compose.yaml'), compose);
    }
  });
});
