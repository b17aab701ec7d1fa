import type { Command } from 'commander';
import { resolveTargetName } from '../../config/load.js';
import { loadCommandConfig } from '../config.js';
import { targetsStatus, type TargetStatus } from '../../project/target-status.js';
import { ExitCode } from '../../errors.js';
import { contextOf } from '../context.js';
import { table, type Output } from '../output.js';

function render(out: Output, statuses: TargetStatus[]): string {
  const rows = [['TARGET', 'WHERE', 'REACHABLE', 'DOCKER', 'COMPOSE']];
  const problems: string[] = [];
  for (const s of statuses) {
    rows.push([
      s.isDefault ? `${s.name} (default)` : s.name,
      s.description,
      s.reachable ? out.paint('green', `yes (${s.latencyMs ?? '?'} ms)`) : out.paint('red', 'no'),
      s.docker?.engine ?? '-',
      s.docker ? `${s.docker.compose} (${s.docker.composeFlavor === 'v2' ? 'docker compose' : 'docker-compose'})` : '-',
    ]);
    if (s.problem) problems.push(`${out.paint('red', s.name)}: ${s.problem.message}${s.problem.hint ? `\n  hint: ${s.problem.hint}` : ''}`);
  }
  return [table(rows), ...(problems.length ? ['', ...problems] : [])].join('\n');
}

export function registerTargets(program: Command): void {
  program
    .command('targets')
    .description('show each target and whether it is reachable, with its Docker and Compose versions (read-only)')
    .argument('[names...]', 'only these targets')
    .action(async (names: string[], _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      const config = await loadCommandConfig(ctx);
      const wanted = names.length > 0 ? names : options.target ? [options.target] : undefined;
      // An unknown name is a usage error (exit 2) that lists the known ones.
      for (const n of wanted ?? []) resolveTargetName(config, n);
      const statuses = await targetsStatus(config, wanted, { acceptNewHostKey: options.acceptNewHostKey });
      out.result(() => render(out, statuses), { targets: statuses });
      // Unreachable targets or missing Docker make this a failed check.
      if (statuses.some((s) => s.problem)) process.exitCode = ExitCode.checkFailed;
    });
}
