// Milestone 3: the host and env gates (read-only probes).
import { composeProbe, dockerDaemonProbe, dockerEngineProbe } from '../../probes/docker.js';
import { diskProbe } from '../../probes/disk.js';
import { dnsProbe } from '../../probes/dns.js';
import { envFilesProbe } from '../../probes/env-files.js';
import { hostProbe } from '../../probes/host.js';
import { secretStrengthProbe } from '../../probes/secret-strength.js';
import { lintGateResult } from '../../lint/gate.js';
import type { Step } from '../context.js';
import { fromResults, meta, probeResults } from './shared.js';

const GATES = [hostProbe, diskProbe, dockerEngineProbe, dockerDaemonProbe, composeProbe, envFilesProbe, dnsProbe, secretStrengthProbe];

export const hostEnvGates: Step = {
  ...meta(3),
  changes: false,
  plan: (ctx) => GATES.flatMap((p) => p.plan({ config: ctx.config, target: ctx.target, compose: ctx.compose }).map((c) => ({ argv: c.argv }))),
  async run(ctx) {
    const lint = lintGateResult(ctx.config); // lint errors fail this gate (src/lint/gate.ts) // lint errors fail this gate (src/lint/gate.ts)
    return fromResults([...(await probeResults(ctx, GATES)), await lint]);
  },
};
