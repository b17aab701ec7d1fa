// Lint as part of milestone 3 (host and env gates): a lint error fails the gate, so a first
// deploy never passes a known production error silently. A rule is switched off per rule, with a
// reason, in the lint: section of shipproof.verify.yaml; what is switched off is recorded too.
import type { ResolvedConfig } from '../config/load.js';
import { formatLocation } from '../errors.js';
import type { CheckResult } from '../evidence/predicate-schema.js';
import { loadProjectSettings } from '../verify/settings.js';
import { lintProject } from './project.js';

const ENV_RULE = 'env-files-exist';

/**
 * The compose policy, linted here. Env files are left out: this milestone's env-files probe checks
 * them on the server, in the release being deployed (lint's own env check looks next to the compose
 * file, or under `current`, which is still the previous release).
 */
export async function lintGateResult(config: ResolvedConfig): Promise<CheckResult> {
  const started = Date.now();
  const done = (status: CheckResult['status'], reason: string | undefined, observations: CheckResult['observations']): CheckResult => ({
    id: 'lint',
    title: 'Production lint of the compose files',
    gate: true,
    status,
    ...(reason === undefined ? {} : { reason }),
    durationMs: Date.now() - started,
    observations,
    commands: [],
  });
  if (config.composeFiles.length === 0) return done('skipped', 'no compose file to lint', {});
  try {
    const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: config.rootDir });
    const report = await lintProject({ config, settings, cwd: config.rootDir });
    const findings = report.findings.filter((f) => f.rule !== ENV_RULE);
    const errors = findings.filter((f) => f.severity === 'error');
    const observations = {
      errors: errors.length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      findings: findings.slice(0, 100).map((f) => `${formatLocation(f.location)} ${f.severity} ${f.rule}`),
      switchedOff: report.switchedOff.map((s) => `${s.rule}${s.services === undefined ? '' : ` (${s.services.join(', ')})`}: ${s.reason}`),
    };
    if (errors.length > 0) {
      const listed = errors.slice(0, 5).map((f) => `${f.rule} at ${formatLocation(f.location)}`).join('; ');
      return done(
        'fail',
        `${errors.length} lint ${errors.length === 1 ? 'error' : 'errors'}: ${listed}${errors.length > 5 ? '; …' : ''} (run \`shipproof lint\`; switch a rule off with a reason under lint: in shipproof.verify.yaml)`,
        observations,
      );
    }
    return done('pass', undefined, observations);
  } catch (e) {
    return done('error', `lint could not run: ${e instanceof Error ? e.message : String(e)}`, {});
  }
}
