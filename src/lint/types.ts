// What a lint rule sees and what it reports. Rules read the compose model (every field with its
// file:line:column) and never values of environment variables: the model does not hold them.
import type { ResolvedConfig } from '../config/load.js';
import type { Engine } from '../config/schema.js';
import type { ComposeProject, ComposeService } from '../compose/model.js';
import type { SourceLocation } from '../errors.js';
import type { ImageLock } from '../pin/lock.js';
import type { LintRuleId } from './rule-ids.js';
import type { LintSection } from './schema.js';

export type LintSeverity = 'error' | 'warning';

/** One problem as a rule reports it. */
export interface RuleFinding {
  severity: LintSeverity;
  /** What is wrong, one sentence, naming the service. Never a value from the file. */
  message: string;
  /** How to fix it. */
  fix: string;
  /** Why it matters, when it differs from the rule's general reason. */
  why?: string;
  service?: string;
  location: SourceLocation;
}

/** A finding as lint prints it: the rule id and its reason attached. */
export interface LintFinding extends RuleFinding {
  rule: LintRuleId;
  why: string;
}

export interface LintContext {
  model: ComposeProject;
  config: ResolvedConfig;
  settings: LintSection;
  /** Service name → engine, from detectStatefulServices (image, label, shipproof.yaml). */
  engines: ReadonlyMap<string, Engine>;
  /** shipproof.lock, when there is one. */
  lock?: ImageLock;
  /** Variables for `${…}` in image names: the project's .env, then the environment. */
  variables: Readonly<Record<string, string>>;
  /** Each service's image with `${…}` filled in (defaults where a variable is unset). */
  images: ReadonlyMap<string, string>;
}

export interface LintRule {
  id: LintRuleId;
  title: string;
  /** Why the rule exists, for every finding that does not say more. */
  why: string;
  check(ctx: LintContext): RuleFinding[] | Promise<RuleFinding[]>;
}

/** The location of a service's key (`image:`, `ports:`), else of the service itself. */
export function fieldLocation(service: ComposeService, field: string): SourceLocation {
  return service.fieldLocations[field] ?? service.location;
}
