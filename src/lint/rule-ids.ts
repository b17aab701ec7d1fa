// The ids of the lint rules, in the order they are documented. Kept apart from the rule modules so
// the settings schema can name them without loading the rules.
export const LINT_RULE_IDS = [
  'db-no-published-ports',
  'proxy-only-public-ports',
  'healthcheck-required',
  'healthcheck-fails-on-errors',
  'restart-policy-required',
  'stateful-named-volumes',
  'image-pinned',
  'no-secret-literals',
  'env-files-exist',
  'depends-on-healthy',
] as const;

export type LintRuleId = (typeof LINT_RULE_IDS)[number];
