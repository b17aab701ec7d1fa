import type { Command } from 'commander';
import { resolveTargetName } from '../../config/load.js';
import { loadCommandConfig } from '../config.js';
import { collect } from '../../collect/collect.js';
import { recordEvidence } from '../../evidence/record.js';
import { ExitCode } from '../../errors.js';
import { contextOf } from '../context.js';
import { table, type Output } from '../output.js';
import { Progress } from '../progress.js';

const STATUS_COLOR = { pass: 'green', fail: 'red', error: 'red', skipped: 'yellow' } as const;

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('run every read-only probe on the target in parallel and write one signed evidence record')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      const config = await loadCommandConfig(ctx);
      const target = resolveTargetName(config, options.target);
      const progress = new Progress(out, `collecting from ${target.name}`, options.json);
      const result = await collect({
        config,
        targetName: target.name,
        acceptNewHostKey: options.acceptNewHostKey,
        onProbeDone: (id, status) => progress.tick(`${id} ${status}`),
      }).finally(() => progress.stop());
      const { entry, statement } = await recordEvidence(result.statement, { config });
      const p = statement.predicate;
      out.result(
        () => render(out, p, entry.files.find((f) => f.name.endsWith('.md'))?.path ?? entry.record, entry.seq),
        { exitCode: result.exitCode, seq: entry.seq, record: entry.record, files: entry.files, status: p.status, summary: p.summary, results: p.results },
      );
      if (result.exitCode !== 0) process.exitCode = ExitCode.checkFailed;
    });
}

function render(out: Output, p: import('../../evidence/predicate-schema.js').EvidencePredicate, mdPath: string, seq: number): string {
  const rows = [['PROBE', 'GATE', 'STATUS', 'WHY']];
  for (const r of p.results) {
    rows.push([r.id, r.gate ? 'gate' : '', out.paint(STATUS_COLOR[r.status], r.status), r.reason ?? '']);
  }
  const s = p.summary;
  return [
    table(rows),
    '',
    `${out.paint(p.status === 'passed' ? 'green' : 'red', p.status)}: ${s.passed} passed, ${s.failed} failed, ${s.error} error, ${s.skipped} skipped`,
    `evidence #${seq}: ${mdPath}`,
  ].join('\n');
}
