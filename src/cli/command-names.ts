// The CLI's top-level commands, by the module that registers them, in help order. Pure data, so
// the program can load one module per run and other commands (handover's runbook) can still know
// every command there is. test/unit/cli-program.test.ts holds it true against the registrations.
export const COMMAND_GROUPS = {
  init: ['init'],
  check: ['check'],
  schema: ['schema'],
  targets: ['targets'],
  plan: ['plan'],
  collect: ['collect'],
  evidence: ['evidence'],
  deploy: ['deploy', 'run', 'rollback', 'status', 'lock'],
  verify: ['verify'],
  lint: ['lint'],
  pin: ['pin'],
  handover: ['handover'],
  backup: ['backup'],
  restore: ['restore'],
  down: ['down'],
  dashboard: ['dashboard'],
} as const satisfies Record<string, readonly string[]>;

export type CommandModule = keyof typeof COMMAND_GROUPS;

/** Every top-level command name. */
export const ALL_COMMANDS: readonly string[] = Object.values(COMMAND_GROUPS).flat();
