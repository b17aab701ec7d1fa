// Runs the production policy over a compose model: every rule, then the project's changes from
// the lint: settings (a rule switched off, for all or some services, or its severity changed),
// each change kept in the report with its reason so nothing is dropped silently.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { ComposeProject } from '../compose/model.js';
import { substituteDefaults } from '../compose/model.js';
import { detectStatefulServices, engineFromImage } from '../compose/stateful.js';
import { interpolate } from '../pin/image-ref.js';
import type { ImageLock } from '../pin/lock.js';
import type { Target } from '../targets/target.js';
import type { LintRuleId } from './rule-ids.js';
import { envFilesOnTarget } from './rules/env-files-exist.js';
import { LINT_RULES } from './rules/index.js';
import type { LintSection } from './schema.js';
import type { LintContext, LintFinding, LintRule, RuleFinding } from './types.js';

export interface LintOptions {
  config: ResolvedConfig;
  model: ComposeProject;
  settings: LintSection;
  lock?: ImageLock;
  /** For `${…}` in image names. Default: none set. */
  variables?: Readonly<Record<string, string>>;
  /** Check env files on this server (existence and mode) instead of next to the compose file. */
  target?: { resolved: ResolvedTarget; host: Target };
  rules?: readonly LintRule[];
}

export interface SwitchedOffRule {
  rule: LintRuleId;
  reason: string;
  /** Only for these services; undefined means the whole rule. */
  services?: string[];
  /** Findings it hid in this run. */
  hidden: number;
}

export interface LintReport {
  findings: LintFinding[];
  errors: number;
  warnings: number;
  switchedOff: SwitchedOffRule[];
  severityChanged: { rule: LintRuleId; severity: 'error' | 'warning'; reason: string }[];
  /** The target whose env files were checked, when one was. */
  target?: string;
}

export async function lintCompose(o: LintOptions): Promise<LintReport> {
  const variables = o.variables ?? {};
  const images = resolvedImages(o.model, variables);
  const engines = new Map(detectStatefulServices(o.model, o.config.stateful).map((s) => [s.service, s.engine]));
  // The compose model guesses engines from the image as written; `${DB_IMAGE:-postgres:16}` needs filling in first.
  for (const [service, image] of images) {
    if (engines.has(service) || o.config.stateful[service] === false) continue;
    const engine = engineFromImage(image);
    if (engine !== undefined) engines.set(service, engine);
  }
  const ctx: LintContext = {
    model: o.model,
    config: o.config,
    settings: o.settings,
    engines,
    ...(o.lock === undefined ? {} : { lock: o.lock }),
    variables,
    images,
  };
  const findings: LintFinding[] = [];
  const switchedOff: SwitchedOffRule[] = [];
  const severityChanged: LintReport['severityChanged'] = [];
  for (const rule of o.rules ?? LINT_RULES) {
    const setting = o.settings.rules[rule.id];
    const wholeRuleOff = setting?.off === true && setting.services === undefined;
    let raw: RuleFinding[] = [];
    if (!wholeRuleOff) {
      raw = rule.id === 'env-files-exist' && o.target !== undefined ? await envFilesOnTarget(ctx, o.target.resolved, o.target.host) : await rule.check(ctx);
    }
    let hidden = 0;
    for (const f of raw) {
      if (setting?.off === true && setting.services?.includes(f.service ?? '')) {
        hidden++;
        continue;
      }
      findings.push({ ...f, rule: rule.id, why: f.why ?? rule.why, severity: setting?.severity ?? f.severity });
    }
    if (setting?.off === true) {
      switchedOff.push({ rule: rule.id, reason: setting.reason, ...(setting.services === undefined ? {} : { services: setting.services }), hidden });
    } else if (setting?.severity !== undefined) {
      severityChanged.push({ rule: rule.id, severity: setting.severity, reason: setting.reason });
    }
  }
  findings.sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      (a.location.line ?? 0) - (b.location.line ?? 0) ||
      (a.location.column ?? 0) - (b.location.column ?? 0) ||
      a.rule.localeCompare(b.rule),
  );
  return {
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    switchedOff,
    severityChanged,
    ...(o.target === undefined ? {} : { target: o.target.resolved.name }),
  };
}

/** Each service's image with variables filled in; an unset one falls back to its `:-` default. */
export function resolvedImages(model: ComposeProject, variables: Readonly<Record<string, string>>): Map<string, string> {
  const images = new Map<string, string>();
  for (const service of model.services) {
    if (service.image === undefined) continue;
    const filled = interpolate(service.image, variables);
    images.set(service.name, filled.unresolved.length === 0 ? filled.text : substituteDefaults(service.image).text);
  }
  return images;
}
