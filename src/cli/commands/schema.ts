import type { Command } from 'commander';
import { configJsonSchema } from '../../config/schema.js';
import { contextOf } from '../context.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of shipproof.yaml, for editors')
    .action((_opts: unknown, cmd: Command) => {
      const { out } = contextOf(cmd);
      out.raw(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
