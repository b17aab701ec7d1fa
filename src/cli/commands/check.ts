import type { Command } from 'commander';
import { checkProject } from '../../core/check.js';
import { formatLocation } from '../../errors.js';
import { loadCommandConfig } from '../config.js';
import { contextOf } from '../context.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('validate shipproof.yaml and the compose files locally, without touching a server')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      // Registers every secret the project holds first, so no error below can echo one.
      await loadCommandConfig(ctx);
      const report = await checkProject({ cwd: options.cwd, ...(options.config ? { configPath: options.config } : {}) });
      out.result(() => {
        const lines = [
          `${out.paint('green', 'ok')} ${report.configPath ?? 'embedded default (no shipproof.yaml)'}`,
          `   compose: ${report.composeFiles.join(', ')} (${report.services.length} services: ${report.services.join(', ')})`,
        ];
        for (const w of report.warnings) {
          lines.push(`${out.paint('yellow', 'warning')} ${w.location ? `${formatLocation(w.location)}: ` : ''}${w.message}`);
        }
        return lines.join('\n');
      }, report);
    });
}
