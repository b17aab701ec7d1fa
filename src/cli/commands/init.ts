import type { Command } from 'commander';
import { initProject } from '../../core/init.js';
import { contextOf } from '../context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented shipproof.yaml guessed from the compose file here')
    .option('-f, --force', 'overwrite an existing shipproof.yaml')
    .option('--compose <file>', 'a compose file to read (repeat for several, merged in order)', (v: string, acc: string[] = []) => [...acc, v])
    .action(async (opts: { force?: boolean; compose?: string[] }, cmd: Command) => {
      const { options, out } = contextOf(cmd);
      const written = await initProject({ cwd: options.cwd, force: opts.force === true, ...(opts.compose ? { composeFiles: opts.compose } : {}) });
      out.result(
        () => `${out.paint('green', 'wrote')} ${written.path}\nReview it, then run \`shipproof check\`.`,
        { written: written.path },
      );
    });
}
