// An HTTP healthcheck must fail when the app answers with an error. `curl` exits 0 on HTTP 500
// unless given -f/--fail; `… || true` or `… || exit 0` makes any check pass.
import { fieldLocation, type LintRule, type RuleFinding } from '../types.js';

/** Why this test passes on an HTTP error, or undefined when it does not. */
export function passesOnHttpError(test: readonly string[]): string | undefined {
  const [kind, ...rest] = test;
  if (kind === 'NONE' || rest.length === 0) return undefined;
  const text = kind === 'CMD-SHELL' ? rest.join(' ') : rest.join(' ');
  const words = text.split(/\s+/);
  if (/\|\|\s*(true|exit\s+0|:)\b/.test(text) && /\b(curl|wget|http)\b/.test(text)) return 'it ends in `|| true` / `|| exit 0`, so it passes whatever the request returns';
  for (const [i, word] of words.entries()) {
    if (!/(^|\/)curl$/.test(word)) continue;
    const args: string[] = [];
    for (const w of words.slice(i + 1)) {
      if (/^(\||&&|;|\|\|)$/.test(w)) break;
      args.push(w);
    }
    const fails = args.some((a) => a === '--fail' || a === '--fail-with-body' || /^-[a-zA-Z]*f[a-zA-Z]*$/.test(a));
    // A status written out and compared (`-w '%{http_code}' … | grep 200`) also checks it.
    const checksStatus = /http_code/.test(text) && /\b(grep|test|\[)\b/.test(text);
    if (!fails && !checksStatus) return 'curl without -f (--fail) exits 0 on HTTP 500, so an erroring app passes';
  }
  return undefined;
}

export const healthcheckFailsOnErrors: LintRule = {
  id: 'healthcheck-fails-on-errors',
  title: 'HTTP healthchecks fail on HTTP errors',
  why: 'A healthcheck that passes on an HTTP 500 reports a broken app as healthy: the health gate, rollbacks and service_healthy dependants all trust it.',
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const service of ctx.model.services) {
      const test = service.healthcheck?.test;
      if (test === undefined || service.healthcheck?.disabled) continue;
      const why = passesOnHttpError(test);
      if (why === undefined) continue;
      findings.push({
        severity: 'warning',
        service: service.name,
        location: fieldLocation(service, 'healthcheck'),
        message: `The healthcheck of "${service.name}" passes on HTTP errors: ${why}.`,
        fix: 'Use `curl -fsS http://127.0.0.1:<port>/healthz` (or `wget -q -O /dev/null …`, which fails on 4xx/5xx) and drop any `|| true`.',
      });
    }
    return findings;
  },
};
