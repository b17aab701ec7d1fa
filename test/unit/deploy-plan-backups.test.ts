// One plan for milestones 8-10: against the recording fake target with canned backup output (a
// pg_dumpall stream, its read-back sha256, the rehearsal's restore markers and redump), every
// command milestone 8 (proxy and TLS), 9 (backup run) and 10 (restore rehearsal) ran is one the
// dry run's plan shows. Milestone 10 runs after 9, on the backup 9 wrote into the fake server.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config/load.js';
import { planDeploy, runMilestone } from '../../src/deploy/deploy.js';
import { layout } from '../../src/deploy/layout.js';
import { emptyState } from '../../src/deploy/state.js';
import { containerJson, dockerHost, FakeTarget, matchesPlanned } from '../helpers/fake-target.js';

const APP = '/srv/app';
const BACKUPS = '/srv/backups';
let config: ResolvedConfig;

const DUMP = ['--', '-- PostgreSQL database cluster dump', '--', '', 'SET default_transaction_read_only = off;', '', '--', '-- PostgreSQL database cluster dump complete', '--', ''].join('\n');
const GZ = gzipSync(Buffer.from(DUMP));
const GZ_SHA = createHash('sha256').update(GZ).digest('hex');

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipproof-plan-backups-'));
  process.env.SHIPPROOF_HOME = join(root, 'home');
  const dir = join(root, 'project');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: app:1\n  db:\n    image: postgres:15\n');
  writeFileSync(
    join(dir, 'shipproof.yaml'),
    `project: shop\ndefaultTarget: prod\ntargets:\n  prod:\n    host: ssh://deploy@server.example:22\n    appDir: ${APP}\n    backupsDir: ${BACKUPS}\ndomains: [shop.example]\nhealth:\n  - name: home\n    url: https://shop.example/\n`,
  );
  config = await loadConfig({ cwd: dir });
});

const script = (a: readonly string[]): string => (a[0] === 'bash' && a[3] === 'shipproof-pipeline' ? (a[2] ?? '') : '');

/** A server with one running postgres container; its backups folder is the fake's files. */
function server(): FakeTarget {
  const t = dockerHost(new FakeTarget());
  t.files.set(layout(APP).stateFile, JSON.stringify(emptyState()));
  const listing = (): string => {
    const lines: string[] = [];
    for (const [path, text] of t.files) {
      if (!path.startsWith(`${BACKUPS}/`)) continue;
      const name = path.slice(BACKUPS.length + 1);
      if (name.endsWith('.partial')) continue;
      lines.push(`F\t${text.length}\t${name}`);
      if (name.endsWith('.json')) lines.push(`J\t${name}\t${text.replace(/\n/g, '')}`);
      if (name.endsWith('.manifest.json')) {
        const m = JSON.parse(text) as { file: string; bytes: number };
        lines.push(`F\t${m.bytes}\t${m.file}`);
      }
    }
    return lines.join('\n');
  };
  return t
    .on('docker ps', { stdout: 'c1\nc2\n' })
    .on('docker container inspect', { stdout: containerJson('shop', [{ id: 'c1', service: 'web' }, { id: 'c2', service: 'db', imageId: 'sha256:2222' }]) })
    .on('docker image inspect', { stdout: JSON.stringify([{ Id: 'sha256:2222', RepoTags: ['postgres:15'], RepoDigests: [] }]) })
    .on((a) => a[3] === 'shipproof-list', () => ({ stdout: listing() }))
    .on('sha256sum', (a) => ({ stdout: `${GZ_SHA}  ${a[2]}\n` }))
    // Milestone 9: the dump, gzipped and written by tee on the server; 10: the restore and the redump of the scratch copy.
    .on((a) => script(a).includes('POSTGRES_USER'), { stdout: GZ, stderr: 'SHIPPROOF-STAGES 0 0 0\n' })
    .on((a) => script(a).includes('shipproof-pg-restore'), { stderr: 'SHIPPROOF-PG-RESTORE 0 0 0\nSHIPPROOF-STAGES 0 0\n' })
    .on((a) => script(a).includes('pg_dumpall --username=postgres'), { stdout: DUMP, stderr: 'SHIPPROOF-STAGES 0\n' });
}

async function ranAndPlanned(t: FakeTarget, n: number): Promise<{ ran: string[][]; planned: string[][]; outcome: string }> {
  let from = -1;
  let to = -1;
  let outcome = '';
  const log = (line: string): void => {
    if (line.startsWith(`milestone ${n}:`)) from = t.calls.length;
    else if (from >= 0 && to < 0 && /^ {2}(pass|fail|error|skipped)/.test(line)) {
      to = t.calls.length;
      outcome = line;
    }
  };
  await runMilestone({ config, target: t, yes: true, noSignalHandlers: true, milestone: String(n), forceReason: 'unit test', log });
  const plan = await planDeploy({ config, target: t, noSignalHandlers: true });
  return { ran: t.calls.slice(from, to).map((c) => c.argv), planned: plan.steps.find((s) => s.step.number === n)!.commands.map((c) => c.argv), outcome };
}

function expectInPlan(r: { ran: string[][]; planned: string[][]; outcome: string }): void {
  expect(r.ran.length, r.outcome).toBeGreaterThan(0);
  const outside = r.ran.filter((argv) => !r.planned.some((p) => matchesPlanned(p, argv)));
  expect(outside, `${r.outcome}\nplanned:\n${r.planned.map((p) => p.join(' ')).join('\n')}`).toEqual([]);
}

describe('one plan: milestones 8-10 run only what their plans show', () => {
  it('milestone 8: the TLS check and the HTTP probes of the declared domains', async () => {
    expectInPlan(await ranAndPlanned(server(), 8));
  });

  it('milestone 9 takes a backup, and milestone 10 rehearses it, each within its plan', async () => {
    const t = server();
    const nine = await ranAndPlanned(t, 9);
    expect(nine.outcome).toMatch(/^ {2}pass/);
    expectInPlan(nine);
    // The dump ran inside the container; no secret travelled on argv.
    expect(nine.ran.some((a) => script(a).includes('docker exec shop_db_1 sh -c'))).toBe(true);
    const ten = await ranAndPlanned(t, 10);
    expect(ten.outcome).toMatch(/^ {2}pass/);
    expectInPlan(ten);
  });
});
