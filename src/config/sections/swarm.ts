// swarm: — how a `kind: swarm` target rolls a release out (Swarm's update_config, set on every
// service of the stack file shipproof writes) and how long shipproof watches it converge.
import { z } from 'zod';
import { duration } from './common.js';

export const swarmSchema = z
  .strictObject(
    {
      order: z
        .enum(['start-first', 'stop-first'], { error: 'start-first or stop-first' })
        .default('start-first')
        .meta({ description: 'update_config.order: start-first starts a new task before the old one stops (no downtime for a replicated service).' }),
      failureAction: z
        .enum(['rollback', 'pause'], { error: 'rollback or pause' })
        .default('rollback')
        .meta({ description: 'update_config.failure_action. Either way shipproof calls the release failed and returns the whole stack to the last good release.' }),
      monitor: duration('update_config.monitor: how long Swarm watches each updated task before it counts it as a success').prefault('10s'),
      parallelism: z.number({ error: 'a whole number of at least 1' }).int().min(1).default(1).meta({ description: 'update_config.parallelism.' }),
      delay: duration('update_config.delay between batches').optional().meta({ description: 'Default: none (0 s).' }),
      convergeTimeout: duration('How long shipproof waits for every service to finish its update').prefault('180s'),
    },
    { error: 'an object with order:, failureAction:, monitor:, parallelism:, delay:, convergeTimeout:' },
  )
  .prefault({})
  .meta({ title: 'Swarm', description: 'Rolling updates on a kind: swarm target.' });

export type SwarmSection = z.output<typeof swarmSchema>;
