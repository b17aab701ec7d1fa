// deploy: — releases kept and the health gate's timing.
import { z } from 'zod';
import { duration, nonEmpty } from './common.js';

export const deploySchema = z
  .strictObject(
    {
      keepReleases: z
        .number({ error: 'a whole number of at least 1' })
        .int()
        .min(1)
        .default(5)
        .meta({ description: 'Releases kept on the server; the current and the last known good are never pruned.' }),
      healthTimeout: duration('How long the health gate may take').prefault('120s'),
      healthInterval: duration('Pause between health checks').prefault('2s'),
      stableChecks: z
        .number({ error: 'a whole number of at least 1' })
        .int()
        .min(1)
        .default(3)
        .meta({ description: 'Consecutive checks a service without a healthcheck must stay running.' }),
      keyService: nonEmpty('a compose service name')
        .optional()
        .meta({ description: 'The service whose image is built first (milestone 4). Default: the first service with build:.' }),
    },
    { error: 'an object with keepReleases:, healthTimeout:, healthInterval:, stableChecks:, keyService:' },
  )
  .prefault({})
  .meta({ title: 'Deploy', description: 'Releases and the health gate.' });
