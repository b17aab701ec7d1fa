// The example stack (examples/webapp) through what an operator does in a week — a deploy, a
// no-op redeploy, a deploy that fails and is rolled back, a backup, a restore into the live
// database and a restore rehearsal — then HANDOVER.md is checked line by line against the
// ledger: every statement names a record that exists (or says it has none), the live restore is
// not called a rehearsal, the failure and the rollback are there. Then `verify init` writes
// must-haves that verify finds human_needed for the human items only.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { copyWebapp } from '../helpers/webapp-copy.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';
import { shipproof } from '../fixtures/verify/cli.js';

requireTestEnv();
requireDocker();

const project = `sp-truth-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-handover-truth-'));
const dir = join(root, 'project');
const appDir = join(root, 'server');
const home = join(root, 'home');
const https = 22000 + Math.floor(Math.random() * 20000);
const password = `pw-${randomBytes(12).toString('hex')}`;
const session = randomBytes(24).toString('hex');
const evidenceDir = join(dir, 'docs', 'evidence');
const outputs: CliResult[] = [];

async function cli(args: string[]): Promise<CliResult> {
  const r = await shipproof(args, { cwd: dir, env: { SHIPPROOF_HOME: home }, timeoutMs: 900_000 });
  outputs.push(r);
  return r;
}

function evidenceSize(): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const f of readdirSync(evidenceDir)) {
    files++;
    bytes += statSync(join(evidenceDir, f)).size;
  }
  return { files, bytes };
}

interface Entry {
  seq: number;
  record: string;
  kind: string;
  status: string;
  release?: string;
}

let first = '';
let firstDeploy: CliResult;
const growth: Record<string, { files: number; bytes: number }> = {};

beforeAll(async () => {
  copyWebapp(dir, { project, https, password, session });
  writeFileSync(
    join(dir, 'shipproof.yaml'),
    `project: ${project}
defaultTarget: here
targets:
  here:
    host: local
    appDir: ${appDir}
envFiles:
  - path: .env
    source: .env
    required: [POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, DATABASE_URL, SESSION_SECRET, DOMAIN, TLS_MODE]
health:
  - name: healthz
    url: https://localhost:${https}/healthz
    body: '"status":"ok"'
    insecure: true
deploy:
  keyService: web
  healthTimeout: 150s
  healthInterval: 2s
backups:
  images:
    volume: shipproof-offline/busybox:1.35
`,
  );
  firstDeploy = await cli(['--json', 'deploy', '--yes']);
  expect(firstDeploy.code, firstDeploy.stderr + firstDeploy.stdout).toBe(0);
  first = (JSON.parse(firstDeploy.stdout) as { release: string }).release;
  growth.firstDeploy = evidenceSize();
}, 900_000);

afterAll(() => {
  // The figures the README quotes: how much the evidence folder grows.
  console.log(`evidence growth: ${JSON.stringify(growth)}`);
  try {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'pipe' });
    const vols = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
    if (vols.length) execFileSync('docker', ['volume', 'rm', '-f', ...vols], { stdio: 'pipe' });
    const images = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']).toString().split('\n').filter((i) => i.includes(project));
    if (images.length) execFileSync('docker', ['rmi', '-f', ...images], { stdio: 'pipe' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('a week on the example stack', { timeout: 900_000 }, () => {
  it('the end of the deploy names the URLs that answered and the records written', () => {
    const out = JSON.parse(firstDeploy.stdout) as { summary: { answered: { url: string }[]; records: { record: string }[] } };
    expect(out.summary.answered.map((a) => a.url)).toContain(`https://localhost:${https}/healthz`);
    expect(out.summary.records.map((r) => r.record)).toEqual(expect.arrayContaining([expect.stringMatching(/-here-m06-stack-starts$/), expect.stringMatching(/-here-deploy$/)]));
    for (const r of out.summary.records) expect(readdirSync(evidenceDir)).toContain(`${r.record}.md`);
  });

  it('a no-op redeploy writes one small record, and none with --quiet-noop; the no-op line is printed once', async () => {
    const before = evidenceSize();
    const r = await cli(['deploy', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect((r.stdout + r.stderr).match(/nothing (changed|to change)/g)).toHaveLength(1);
    const after = evidenceSize();
    expect(after.files - before.files).toBe(3);
    growth.noop = { files: after.files - before.files, bytes: after.bytes - before.bytes };
    const quiet = await cli(['deploy', '--yes', '--quiet-noop']);
    expect(quiet.code).toBe(0);
    expect(evidenceSize().files).toBe(after.files);
  });

  it('a deploy whose migration fails is rolled back, and says so plainly', async () => {
    const before = evidenceSize();
    writeFileSync(join(dir, 'app', 'migrations', '003_broken.sql'), 'ALTER TABLE no_such_table ADD COLUMN x int;\n');
    try {
      const r = await cli(['deploy', '--yes']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`rolled back from \\S+ to ${first}: ${first} serves`));
      expect(r.stdout).not.toContain(`rolled back to ${first}, which`);
      const records = readdirSync(evidenceDir).filter((f) => f.endsWith('-here-rollback.md'));
      expect(records).toHaveLength(1);
      const md = readFileSync(join(evidenceDir, records[0]!), 'utf8');
      expect(md).toContain(`: ${first} serves.**`);
      expect(md).not.toMatch(/— \d+ passed, 1 failed/);
    } finally {
      rmSync(join(dir, 'app', 'migrations', '003_broken.sql'), { force: true });
    }
    const after = evidenceSize();
    growth.failedDeployWithRollback = { files: after.files - before.files, bytes: after.bytes - before.bytes };
  });

  it('backs up, restores into the live database, and rehearses a restore', async () => {
    const b = await cli(['--json', 'backup', 'run']);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const id = (JSON.parse(b.stdout) as { backups: { service: string; manifest?: { id: string } }[] }).backups.find((x) => x.service === 'postgres')?.manifest?.id as string;
    expect(id).toBeTruthy();
    const live = await cli(['--json', 'restore', id, '--into', 'postgres', '--yes']);
    expect(live.code, live.stdout + live.stderr).toBe(0);
    const rehearsal = await cli(['--json', 'restore', id, '--rehearse']);
    expect(rehearsal.code, rehearsal.stdout + rehearsal.stderr).toBe(0);
  });

  it('HANDOVER.md: every statement names a record of the ledger, and says what really happened', async () => {
    const h = await cli(['handover']);
    expect(h.code, h.stderr).toBe(0);
    const text = readFileSync(join(dir, 'HANDOVER.md'), 'utf8');
    const entries = (JSON.parse((await cli(['--json', 'evidence', 'list'])).stdout) as { entries: Entry[] }).entries;
    const bySeq = new Map(entries.map((e) => [e.seq, e]));
    const links = [...text.matchAll(/\[#(\d+) `([^`]+)`\]\(([^)]+)\)/g)];
    expect(links.length).toBeGreaterThan(5);
    for (const m of links) {
      const e = bySeq.get(Number(m[1]));
      expect(e?.record, m[0]).toBe(m[2]);
      expect(m[3]).toBe(`docs/evidence/${m[2]}.md`);
    }
    const recordOf = (line: string) => bySeq.get(Number(/\[#(\d+) /.exec(line)?.[1]));
    // Where things stand and what happened: each line is backed by a record or says it is not.
    const stand = text.split('## Where things stand')[1]!.split('## Operating essentials')[0]!;
    for (const line of stand.split('\n').filter((l) => /^\s*- /.test(l))) {
      if (line.trim() === '- **App URLs:**') continue;
      expect(line.includes('[#') || line.includes('_(no record)_'), line).toBe(true);
    }
    const happened = text.split('## What happened')[1]!.split('## Operating essentials')[0]!.split('\n').filter((l) => l.startsWith('- '));
    const find = (re: RegExp) => {
      const l = happened.find((x) => re.test(x));
      expect(l, `${re} in:\n${happened.join('\n')}`).toBeDefined();
      return l as string;
    };
    expect(recordOf(find(new RegExp(`Release \`${first}\` was deployed`)))?.kind).toBe('deploy');
    expect(recordOf(find(/redeploys? of release .* changed nothing/))?.kind).toBe('deploy');
    const failed = find(/A deploy of release `\S+` failed at milestone \d/);
    expect(failed).toContain('**');
    expect(recordOf(find(new RegExp(`Rolled back automatically from \`\\S+\` to \`${first}\`: \`${first}\` serves`)))?.kind).toBe('rollback');
    expect(recordOf(find(/^- \S+ Backup taken \(postgres passed/))?.kind).toBe('backup');
    const liveLine = find(/Restore into the live service `postgres`/);
    expect(liveLine).not.toMatch(/rehears/i);
    expect(recordOf(liveLine)?.kind).toBe('restore');
    const rehearsalLine = find(/Restore rehearsal of backup/);
    expect(recordOf(rehearsalLine)?.kind).toBe('restore');
    expect(recordOf(rehearsalLine)?.seq).toBeGreaterThan(recordOf(liveLine)?.seq ?? Infinity);
    // Where things stand: the release that serves, the URL that answered, the stale health after the live restore.
    expect(stand).toMatch(new RegExp(`- \\*\\*Current release:\\*\\* \`${first}\` — \\[#`));
    expect(stand).toMatch(new RegExp(`- \\*\\*Last good release:\\*\\* \`${first}\` — \\[#`));
    expect(stand).toMatch(new RegExp(`https://localhost:${https}/healthz \\(health probe healthz\\): answered .* — \\[#`));
    expect(stand).toContain('**Stale:** something changed after it');
    expect(stand).toMatch(/last restore into a live service passed at .* — \[#/);
    // Operating essentials name the folders and the off-site state.
    expect(text).toContain('- **Evidence folder:** `docs/evidence`');
    expect(text).toContain(`- **Backups folder:** \`${join(appDir, 'backups')}\``);
    expect(text).toContain('- **Off-site copies:** none configured in shipproof.yaml');
    // Next steps: no milestone that did not apply (no domains: milestone 8) is listed.
    const next = text.split('## Next steps')[1]!;
    expect(next).not.toMatch(/proxy-tls \(skipped\)/);
    for (const secret of [password, session]) expect(text).not.toContain(secret);
  });

  it('verify init writes must-haves that verify finds human_needed only for the human items', async () => {
    const init = await cli(['verify', 'init']);
    expect(init.code, init.stderr + init.stdout).toBe(0);
    expect(readFileSync(join(dir, 'shipproof.verify.yaml'), 'utf8')).toMatch(/^# shipproof\.verify\.yaml/);
    const again = await cli(['verify', 'init']);
    expect(again.code).toBe(2);
    const r = await cli(['--json', 'verify']);
    const out = JSON.parse(r.stdout) as { status: string; gaps: string[]; open: string[] };
    expect(out.gaps).toEqual([]);
    expect(out.status).toBe('human_needed');
    expect(out.open.length).toBeGreaterThan(0);
    for (const o of out.open) expect(o).toMatch(/^Human item /);
    expect(r.code).toBe(0);
  });

  it('evidence verify prints the signing key fingerprint, and no output holds a secret', async () => {
    const v = await cli(['evidence', 'verify']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/signing key: sha256:[0-9a-f]{64} \(signing-key\.pub/);
    for (const o of outputs) for (const secret of [password, session]) expect(o.stdout + o.stderr).not.toContain(secret);
  });
});
