// Milestone 10's plan and its run come from one list: for every engine with a rehearsal, the
// commands its `rehearse` runs (against a recording fake target) are the commands its
// `rehearsalCommands` puts in the plan, in order, for the same scratch names and image. Only the
// conditional entries (`when`) may be missing from a run, and `<…>` marks what only the backup knows.
import { describe, expect, it } from 'vitest';
import { pipelineCommand } from '../../src/backup/commands.js';
import { PG_RESTORE_MARKER } from '../../src/backup/engines/postgres.js';
import { ENGINE_SPECS } from '../../src/backup/engines/index.js';
import type { PlannedScratch, RehearsalContext } from '../../src/backup/engines/types.js';
import type { Fingerprint } from '../../src/backup/fingerprint/types.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { Scratch } from '../../src/backup/scratch.js';
import { StderrScanner, type PipelineResult } from '../../src/backup/stream.js';
import { CommandRecorder } from '../../src/probes/recorder.js';
import { FakeTarget, matchesPlanned } from '../helpers/fake-target.js';

const IMAGE = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const BACKUP_FILE = '/srv/app/backups/db-20261202T000000Z.sql.gz';

function pipelineResult(argv: string[], markers: string[] = []): PipelineResult {
  return { argv, ok: true, stdoutText: '', stdoutSha256: '', stdoutBytes: 0, markers, stderr: new StderrScanner(), stages: [0], exitCode: 0, timedOut: false, durationMs: 1, record: { argv, exitCode: 0, durationMs: 1, attempts: 1, timedOut: false, stdout: { sha256: '', bytes: 0 }, stderr: { sha256: '', bytes: 0 } } };
}

/** Runs `rehearse` and returns every argv it ran, in order (the readiness poll's first answer is "ready"). */
async function ranBy(engine: keyof typeof ENGINE_SPECS, scratch: Scratch, host: FakeTarget, manifest: BackupManifest): Promise<string[][]> {
  const spec = ENGINE_SPECS[engine];
  const ran: string[][] = [];
  let seen = 0;
  // The scratch's commands go through the fake host, the pipelines through feed/fingerprintOf: one sequence.
  const flush = (): void => {
    for (; seen < host.calls.length; seen++) ran.push(host.calls[seen]!.argv);
  };
  const rc: RehearsalContext = {
    host,
    manifest,
    scratch,
    image: IMAGE,
    timeoutMs: 60_000,
    exec: (argv) => host.exec(argv, { reject: false }),
    feed: async (stages) => {
      flush();
      const argv = pipelineCommand(stages, { feedFrom: BACKUP_FILE });
      ran.push(argv);
      return pipelineResult(argv, [`${PG_RESTORE_MARKER}0 0 0`]);
    },
    fingerprintOf: async (stages) => {
      flush();
      ran.push(pipelineCommand(stages));
      return {} as Fingerprint;
    },
  };
  // The engines parse what the fake cannot produce (a fingerprint) only after their last command.
  await spec.rehearse!(rc).catch(() => undefined);
  flush();
  return ran;
}

const manifest = { fingerprint: { kind: 'sql', databases: ['app', 'shop'] } } as unknown as BackupManifest;

describe('milestone 10: each engine rehearses exactly what its plan shows', () => {
  const engines = (Object.keys(ENGINE_SPECS) as (keyof typeof ENGINE_SPECS)[]).filter((e) => ENGINE_SPECS[e].rehearse);

  it('covers every engine that has a rehearsal, and each of them has plan commands', () => {
    expect(engines).toEqual(['postgres', 'mariadb', 'redis', 'sqlite', 'volume', 'files', 'minio']);
    for (const e of engines) expect(ENGINE_SPECS[e].rehearsalCommands, e).toBeTypeOf('function');
  });

  it.each(engines)('%s: the commands run are the planned ones, in order', async (engine) => {
    const host = new FakeTarget().on(/ping$/, { stdout: 'mysqld is alive\n' });
    const scratch = new Scratch(host, new CommandRecorder(new AbortController().signal), { id: 'r1', now: new Date('2026-12-02T00:00:00Z') });
    const ran = await ranBy(engine, scratch, host, manifest);
    const sc: PlannedScratch = { network: scratch.network, labels: scratch.labels, name: (s) => scratch.name(s), backupFile: BACKUP_FILE, feed: (stages) => pipelineCommand(stages, { feedFrom: BACKUP_FILE }) };
    const planned = ENGINE_SPECS[engine].rehearsalCommands!(IMAGE, sc);
    expect(ran.length).toBeGreaterThan(0);
    // Each command run is the next planned one, skipping only conditional entries.
    let p = 0;
    for (const argv of ran) {
      // A readiness poll ("until it is ready") runs its planned command again until it answers.
      if (p > 0 && planned[p - 1]!.note?.startsWith('until') && matchesPlanned(planned[p - 1]!.argv, argv)) continue;
      while (p < planned.length && !matchesPlanned(planned[p]!.argv, argv) && planned[p]!.when) p++;
      expect(planned[p] && matchesPlanned(planned[p]!.argv, argv), `${engine} ran a command its plan does not show next: ${argv.join(' ')}`).toBe(true);
      p++;
    }
    // And nothing unconditional in the plan was left out.
    expect(planned.slice(p).filter((c) => !c.when)).toEqual([]);
  });

});
