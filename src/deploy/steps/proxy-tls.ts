// Milestone 8: the reverse proxy serves the domains over TLS.
import { httpHealthProbe } from '../../probes/http-health.js';
import { tlsProbe } from '../../probes/tls.js';
import type { Step } from '../context.js';
import { fromResults, meta, probeResults } from './shared.js';

export const proxyTls: Step = {
  ...meta(8),
  changes: false,
  // What run executes: nothing without domains; else the TLS check and the HTTP health probes.
  plan: (ctx) => (ctx.config.domains.length === 0 ? [] : [tlsProbe, httpHealthProbe].flatMap((p) => p.plan({ config: ctx.config, target: ctx.target, compose: ctx.compose }).map((c) => ({ argv: c.argv, note: p.id })))),
  async run(ctx) {
    if (ctx.config.domains.length === 0) return { status: 'skipped', reason: 'no domains are declared in shipproof.yaml, so no TLS was checked', observations: {} };
    return fromResults(await probeResults(ctx, [tlsProbe, httpHealthProbe]));
  },
};
