import type { Command } from 'commander';
import { loadCommandConfig } from '../config.js';
import { planProbes } from '../../collect/collect.js';
import { shellJoin } from '../../shell/quote.js';
import { contextOf } from '../context.js';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('print what collect would run where: each probe and its exact read-only commands (connects to nothing)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      const config = await loadCommandConfig(ctx);
      const plan = await planProbes(config, options.target);
      const where = plan.target.kind === 'local' ? 'this machine' : `${plan.target.user}@${plan.target.host}:${plan.target.port}`;
      out.result(
        () => {
          const lines = [
            `Read-only collection plan for ${config.project} on target ${plan.target.name} (${where})`,
            `Evidence will be written to ${config.evidenceDir}`,
            '',
          ];
          plan.probes.forEach(({ probe, commands }, i) => {
            lines.push(`${String(i + 1).padStart(2)}. ${out.paint('bold', probe.id)}${probe.gate ? ' [gate]' : ''}: ${probe.title}`);
            lines.push(`    reads: ${probe.reads}`);
            if (probe.neverRecords.length) lines.push(`    never records: ${probe.neverRecords.join(', ')}`);
            for (const c of commands) lines.push(`    ${c.where === 'target' ? '$' : 'local$'} ${shellJoin(c.argv)}`);
            if (commands.length === 0) lines.push('    (nothing to run with this configuration)');
          });
          return lines.join('\n');
        },
        {
          project: config.project,
          target: plan.target.name,
          evidenceDir: config.evidenceDir,
          probes: plan.probes.map(({ probe, commands }) => ({
            id: probe.id,
            title: probe.title,
            gate: probe.gate,
            reads: probe.reads,
            neverRecords: probe.neverRecords,
            commands,
          })),
        },
      );
    });
}
