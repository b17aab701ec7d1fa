// The command-line layer: parses arguments and prints. Decisions live in the use-case folders
// (src/deploy, src/collect, src/backup, src/verify, src/handover, src/project).
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { registerCheck } from './commands/check.js';
import { registerInit } from './commands/init.js';
import { registerSchema } from './commands/schema.js';
import { registerTargets } from './commands/targets.js';
import { registerPlan } from './commands/plan.js';
import { registerCollect } from './commands/collect.js';
import { registerEvidence } from './commands/evidence.js';
import { registerDeploy } from './commands/deploy.js';
import { registerVerify } from './commands/verify.js';
import { registerLint } from './commands/lint.js';
import { registerPin } from './commands/pin.js';
import { registerHandover } from './commands/handover.js';
import { registerBackup } from './commands/backup.js';
import { registerRestore } from './commands/restore.js';
import { registerDown } from './commands/down.js';
import { registerDashboard } from './commands/dashboard.js';
import { handleError } from './handle-error.js';

export function buildProgram(): Command {
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
  for (const register of [registerInit, registerCheck, registerSchema, registerTargets, registerPlan, registerCollect, registerEvidence, registerDeploy, registerVerify, registerLint, registerPin, registerHandover, registerBackup, registerRestore, registerDown]) register(program);
  registerDashboard(program);
  return program;
}

/** Runs the CLI and returns the exit code (the caller sets process.exitCode). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
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
