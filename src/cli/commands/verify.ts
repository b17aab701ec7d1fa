import path from 'node:path';
import type { Command } from 'commander';
import { resolveTargetName } from '../../config/load.js';
import { operatorName } from '../../evidence/statement.js';
import { ExitCode } from '../../errors.js';
import { recordEvidence } from '../../evidence/record.js';
import { checkReportWritable, writeVerification } from '../../verify/report.js';
import { loadProjectSettings } from '../../verify/settings.js';
import { defaultReportPath, requireMustHaves, runVerify } from '../../verify/verify.js';
import { writeVerifyInit } from '../../verify/init.js';
import { loadCommandConfig } from '../config.js';
import { contextOf } from '../context.js';
import { Progress } from '../progress.js';

const STATUS_COLOR = { passed: 'green', gaps_found: 'red', human_needed: 'yellow' } as const;

export function registerVerify(program: Command): void {
  const verify = program.command('verify');
  verify
    .command('init')
    .description('write a commented shipproof.verify.yaml from the project: truths for the health endpoints, the proxy, the stateful services and the images; human items for what cannot be observed')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const config = await loadCommandConfig(ctx);
      const written = await writeVerifyInit(config);
      const f = written.facts;
      ctx.out.result(
        () =>
          [
            `wrote ${written.path}: ${f.health.length} health ${f.health.length === 1 ? 'probe' : 'probes'}, proxy ${f.proxies.join(', ') || 'none found'}, stateful ${f.stateful.map((s) => s.service).join(', ') || 'none found'}`,
            'edit it, then run `shipproof verify`',
          ].join('\n'),
        { path: written.path, facts: f },
      );
    });
  verify
    .description('check the must-haves (truths, artifacts, key links, spot-checks, probes, milestones, anti-patterns, human items); write the report and record it as evidence')
    .option('--must-haves <file>', 'the must-haves file (default: shipproof.verify.yaml next to shipproof.yaml)')
    .option('-o, --output <file>', 'where to write the Markdown report; the JSON goes next to it (default: <verify.output>/<phase>.md)')
    .option('--strict', 'exit 1 for human_needed too, not only for gaps_found')
    .option('--force', 'replace report files even if shipproof did not write them (or they were edited since)')
    .action(async (o: { mustHaves?: string; output?: string; strict?: boolean; force?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      const config = await loadCommandConfig(ctx);
      const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: options.cwd, ...(o.mustHaves === undefined ? {} : { file: o.mustHaves }) });
      const spec = requireMustHaves(settings);
      const target = resolveTargetName(config, options.target);
      const markdownPath = o.output === undefined ? defaultReportPath(config, spec) : path.resolve(options.cwd, o.output);
      // A report path that holds a person's file is refused before the run, not after it.
      await checkReportWritable(markdownPath, o.force);
      const progress = new Progress(out, `verifying ${spec.phase} against ${target.name}`, options.json);
      const run = await runVerify({
        config,
        settings,
        cwd: options.cwd,
        targetName: target.name,
        acceptNewHostKey: options.acceptNewHostKey,
        operator: operatorName(),
      }).finally(() => progress.stop());
      const { report, statement } = await writeVerification(run, { config, markdownPath, ...(o.force === undefined ? {} : { force: o.force }) });
      const { entry } = await recordEvidence(statement, { config });
      const v = run.verdict;
      out.result(
        () =>
          [
            `${out.paint(STATUS_COLOR[v.status], v.status)}: ${v.score.verified}/${v.score.total} must-haves verified, ${v.gaps.length} ${v.gaps.length === 1 ? 'gap' : 'gaps'}, ${v.open.length} open for a person`,
            ...v.gaps.map((g) => `  ${out.paint('red', 'gap')}: ${g}`),
            ...v.open.map((g) => `  ${out.paint('yellow', 'open')}: ${g}`),
            `report: ${report.markdownPath} (+ .json)`,
            `evidence #${entry.seq}: ${entry.record}`,
          ].join('\n'),
        { status: v.status, score: v.score, gaps: v.gaps, open: v.open, report: report.markdownPath, json: report.jsonPath, seq: entry.seq, record: entry.record },
      );
      if (v.status === 'gaps_found' || (o.strict === true && v.status === 'human_needed')) process.exitCode = ExitCode.checkFailed;
    });
}
