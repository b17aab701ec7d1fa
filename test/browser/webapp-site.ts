// A real evidence ledger for the dashboard tests: examples/webapp deployed by the real CLI to the
// local target (all ten milestones), then a second release with a changed file, then a release
// whose migration fails and is rolled back. Secrets planted in .env are kept for the leak checks.
// With `offsite`, milestone 9 also copies each backup to a bucket of the test S3 server (radosgw).
import { removeComposeProject } from '../helpers/docker-cleanup.js';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingCli, type CliResult } from '../helpers/cli.js';
import { copyWebapp } from '../helpers/webapp-copy.js';
import type { S3Env } from '../helpers/s3-env.js';


export interface WebappSite {
  project: string;
  root: string;
  dir: string;
  appDir: string;
  home: string;
  https: number;
  evidenceDir: string;
  /** Planted secret values (and the forms a leak could take are derived by the tests). */
  secrets: string[];
  cli: (args: string[], timeoutMs?: number) => Promise<CliResult>;
  outputs: CliResult[];
}

export function makeWebappSite(o: { offsite?: { s3: S3Env; bucket: string } } = {}): WebappSite {
  const root = mkdtempSync(join(tmpdir(), 'shipproof-dash-'));
  const project = `sp-dash-${randomBytes(3).toString('hex')}`;
  const dir = join(root, 'project');
  const https = 22000 + Math.floor(Math.random() * 20000);
  const { password: pw, session } = copyWebapp(dir, { project, https });
  const appDir = join(root, 'server');
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
  - name: readyz
    url: https://localhost:${https}/readyz
    body: '"db":"ok"'
    insecure: true
domains: [localhost:${https}]
deploy:
  keyService: web
  healthTimeout: 150s
  healthInterval: 2s
backups:
  images:
    volume: shipproof-offline/busybox:1.35
${o.offsite ? `  offsite:\n    - s3: { endpoint: "${o.offsite.s3.endpoint}", bucket: ${o.offsite.bucket}, prefix: dash/, region: ${o.offsite.s3.region}, forcePathStyle: true, credentialsFile: s3-credentials.env }\n` : ''}`,
  );
  const secrets = [pw, session];
  if (o.offsite) {
    copyFileSync(o.offsite.s3.file, join(dir, 's3-credentials.env'));
    secrets.push(o.offsite.s3.secretAccessKey);
  }
  const home = join(root, 'home');
  // The CLI gets no AWS_* variables: the S3 keys come only from the credentials file.
  const { cli, outputs } = recordingCli({ cwd: dir, env: { SHIPPROOF_HOME: home, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }, timeoutMs: 600_000 });
  return { project, root, dir, appDir, home, https, evidenceDir: join(dir, 'docs', 'evidence'), secrets, cli, outputs };
}

/** Release 1 (all ten milestones), release 2 (a changed static file), a failed release 3 rolled back. */
export async function deployThreeReleases(site: WebappSite): Promise<void> {
  const first = await site.cli(['--json', 'deploy', '--yes']);
  if (first.code !== 0) throw new Error(`first deploy failed (${first.code}): ${first.stderr}${first.stdout}`);
  const page = join(site.dir, 'app', 'static', 'index.html');
  writeFileSync(page, `${readFileSync(page, 'utf8')}\n<!-- release two -->\n`);
  const second = await site.cli(['--json', 'deploy', '--yes']);
  if (second.code !== 0) throw new Error(`second deploy failed (${second.code}): ${second.stderr}${second.stdout}`);
  const broken = join(site.dir, 'app', 'migrations', '003_broken.sql');
  writeFileSync(broken, 'ALTER TABLE no_such_table ADD COLUMN x int;\n');
  try {
    const third = await site.cli(['--json', 'deploy', '--yes']);
    if (third.code !== 1) throw new Error(`the broken release was expected to be rolled back (exit 1), got ${third.code}: ${third.stderr}`);
  } finally {
    rmSync(broken, { force: true });
  }
}

export function removeWebappSite(site: WebappSite): void {
  removeComposeProject(site.project);
  rmSync(site.root, { recursive: true, force: true });
}
