// The command-line layer: parses arguments and prints. Decisions live in the use-case folders
// (src/deploy, src/collect, src/backup, src/verify, src/handover, src/project).
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { COMMAND_GROUPS, type CommandModule } from './command-names.js';
import { handleError } from './handle-error.js';

type Register = (program: Command) => void;

/**
 * Every command, in help order, each loaded only when asked for: a command's module pulls in its
 * whole engine (deploy, backup, the dashboard…), and loading all of them cost every start about a
 * second of CPU, `--version` included.
 */
const LOADERS: Record<CommandModule, () => Promise<Register>> = {
  init: async () => (await import('./commands/init.js')).registerInit,
  check: async () => (await import('./commands/check.js')).registerCheck,
  schema: async () => (await import('./commands/schema.js')).registerSchema,
  targets: async () => (await import('./commands/targets.js')).registerTargets,
  plan: async () => (await import('./commands/plan.js')).registerPlan,
  collect: async () => (await import('./commands/collect.js')).registerCollect,
  evidence: async () => (await import('./commands/evidence.js')).registerEvidence,
  deploy: async () => (await import('./commands/deploy.js')).registerDeploy,
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  lint: async () => (await import('./commands/lint.js')).registerLint,
  pin: async () => (await import('./commands/pin.js')).registerPin,
  handover: async () => (await import('./commands/handover.js')).registerHandover,
  backup: async () => (await import('./commands/backup.js')).registerBackup,
  restore: async () => (await import('./commands/restore.js')).registerRestore,
  down: async () => (await import('./commands/down.js')).registerDown,
  dashboard: async () => (await import('./commands/dashboard.js')).registerDashboard,
};
const COMMANDS = (Object.keys(COMMAND_GROUPS) as CommandModule[]).map((m) => [COMMAND_GROUPS[m] as readonly string[], LOADERS[m]] as const);

/** Global options that take a value: the word after them is not the command. */
const VALUE_OPTIONS = new Set(['-c', '--config', '-t', '--target', '--log-file']);

/** The command word in argv (after node and the script), or undefined before any. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The commands `argv` needs: the one it names, or all (help, a typo's suggestions, no command). */
async function registrations(argv: readonly string[]): Promise<Register[]> {
  const word = commandWord(argv.slice(2));
  if (word === undefined && (argv.includes('--version') || argv.includes('-V'))) return [];
  const named = COMMANDS.find(([names]) => word !== undefined && names.includes(word));
  const wanted = named && !argv.includes('--help') && !argv.includes('-h') ? [named] : COMMANDS;
  return Promise.all(wanted.map(([, load]) => load()));
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('shipproof')
    .description('Evidence-first deploys for self-hosted Docker Compose stacks.')
    .version(TOOL_VERSION, '-V, --version')
    .option('-c, --config <file>', 'path to shipproof.yaml (default: ./shipproof.yaml, else the embedded default)')
    .option('-t, --target <name>', 'target to act on (default: the config\'s default target, else "local")')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addOption(new Option('--accept-new-host-key', 'trust an SSH host key seen for the first time (after checking its fingerprint)'))
    .option('--log-file <path>', 'append a structured JSON log (phase, action, duration) to this file')
    .option('--debug', 'show stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of await registrations(argv)) register(program);
  return program;
}

/** Runs the CLI and returns the exit code (the caller sets process.exitCode). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
  const wantsJson = argv.includes('--json');
  // With --json a usage error is printed as JSON below, not as commander's text.
  const output = { writeErr: (s: string) => (wantsJson ? true : process.stderr.write(s)) };
  // Subcommands copied the output settings when they were created: set them on every one.
  const configure = (c: Command): void => {
    c.configureOutput(output);
    c.commands.forEach(configure);
  };
  configure(program);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too.
      if (e.exitCode === 0) return ExitCode.ok;
      if (wantsJson) return handleError(new UsageError(e.message.replace(/^error: /, '')), { json: true, debug });
      return ExitCode.badInput;
    }
    return handleError(e, { json: wantsJson, debug });
  }
}
