import type { Command } from 'commander';
import { lintProject } from '../../lint/project.js';
import { renderLintReport } from '../../lint/render.js';
import { ExitCode, formatLocation } from '../../errors.js';
import { loadProjectSettings } from '../../verify/settings.js';
import { loadCommandConfig } from '../config.js';
import { contextOf } from '../context.js';

export function registerLint(program: Command): void {
  program
    .command('lint')
    .description('check the compose files against the production policy; exit 1 on errors (with --target: env files on that server too)')
    .option('--settings <file>', 'the must-haves and lint settings file (default: shipproof.verify.yaml next to shipproof.yaml)')
    .action(async (o: { settings?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      const config = await loadCommandConfig(ctx);
      const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: options.cwd, ...(o.settings === undefined ? {} : { file: o.settings }) });
      const report = await lintProject({
        config,
        settings,
        cwd: options.cwd,
        acceptNewHostKey: options.acceptNewHostKey,
        // Env files are checked on a server only when one is named: lint is offline otherwise.
        ...(options.target === undefined ? {} : { targetName: options.target }),
      });
      out.result(
        () => renderLintReport(report, (color, s) => out.paint(color, s)),
        { ...report, findings: report.findings.map((f) => ({ ...f, at: formatLocation(f.location) })) },
      );
      if (report.errors > 0) process.exitCode = ExitCode.checkFailed;
    });
}
