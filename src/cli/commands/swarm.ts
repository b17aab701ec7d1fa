// `deploy` and `status` on a `kind: swarm` target go to the swarm runtime (src/swarm).
import { resolveTargetName } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { swarmDeploy } from '../../swarm/deploy.js';
import { swarmStatus } from '../../swarm/status.js';
import { loadCommandConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { table } from '../output.js';

export async function runSwarm(ctx: CommandContext, flags: { yes?: boolean; dryRun?: boolean }): Promise<void> {
  if (flags.dryRun) throw new UsageError('--dry-run is not available on swarm targets yet.');
  if (!flags.yes) throw new UsageError('A swarm deploy changes the stack: pass --yes.', { hint: 'Consent prompts are not wired for swarm targets yet.' });
  const config = await loadCommandConfig(ctx);
  const target = resolveTargetName(config, ctx.options.target);
  const r = await swarmDeploy({ config, target, acceptNewHostKey: ctx.options.acceptNewHostKey, log: (l) => ctx.out.note(l) });
  ctx.out.result(() => {
    const rows = [['#', 'MILESTONE', 'STATUS', 'WHY'], ...r.milestones.map((m) => [String(m.number), m.id, m.status, m.reason ?? ''])];
    const verdict =
      r.outcome === 'rolled-back'
        ? r.rollback?.healthy
          ? `release ${r.release} failed on ${r.target}; rolled back the whole stack to ${r.rollback.to}: ${r.rollback.to} serves`
          : `release ${r.release} failed on ${r.target}; the rollback to ${r.rollback?.to ?? '?'} did not pass: ${r.rollback?.reason ?? ''}`
        : r.outcome === 'failed'
          ? `release ${r.release} failed on ${r.target}${r.rollback ? ' and there is no earlier healthy release' : ''}`
          : r.outcome === 'unchanged'
            ? `release ${r.release} is already current and healthy on ${r.target}`
            : `deployed release ${r.release} to ${r.target} (swarm)`;
    return [table(rows), '', ctx.out.paint(r.exitCode === 0 ? 'green' : 'red', verdict), ...r.notes.map((n) => `note: ${n}`)].join('\n');
  }, r);
  process.exitCode = r.exitCode;
}

export async function printSwarmStatus(ctx: CommandContext): Promise<void> {
  const config = await loadCommandConfig(ctx);
  const target = resolveTargetName(config, ctx.options.target);
  const s = await swarmStatus({ config, target, acceptNewHostKey: ctx.options.acceptNewHostKey });
  ctx.out.result(() => {
    const nodes = [['NODE', 'STATUS', 'AVAILABILITY', 'MANAGER'], ...s.nodes.map((n) => [n.hostname, n.status, n.availability, n.manager])];
    const tasks = [['SERVICE', 'UPDATE', 'TASK', 'NODE', 'STATE', 'IMAGE', 'IMAGE ID', 'HEALTH']];
    for (const svc of s.services) for (const t of svc.tasks) tasks.push([svc.name, svc.update ?? '-', t.id, t.node, t.state, t.image, t.imageId?.slice(7, 19) ?? '?', t.health ?? '-']);
    return [`Swarm stack ${config.project} on ${s.target}: current ${s.current ?? 'none'}, last good ${s.lastGood ?? 'none'}`, '', table(nodes), '', table(tasks)].join('\n');
  }, s);
}
