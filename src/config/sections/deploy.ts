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
      pull: z
        .enum(['missing', 'always', 'never'], { error: 'missing, always or never' })
        .default('missing')
        .meta({ description: 'When published images are pulled before the release is decided: missing (only absent ones), always (a moved tag upstream makes a new release), never.' }),
      drainTimeout: duration('How long the cut-over waits for in-flight requests of the old containers').prefault('30s'),
      stopFirst: z
        .array(nonEmpty('a compose service name'), { error: 'a list of compose service names' })
        .default([])
        .meta({ description: 'Services cut over stop-first (old stopped before the new starts), e.g. a job runner that must not run twice.' }),
    },
    { error: 'an object with keepReleases:, healthTimeout:, healthInterval:, stableChecks:, keyService:, pull:, drainTimeout:, stopFirst:' },
  )
  .prefault({})
  .meta({ title: 'Deploy', description: 'Releases and the health gate.' });
