import type { Command } from 'commander';
import { configJsonSchema } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { evidenceJsonSchema } from '../../evidence/predicate-schema.js';
import { settingsJsonSchema } from '../../verify/settings.js';
import { contextOf } from '../context.js';

/** Every JSON Schema shipproof exports, each generated from the schema the code validates with. */
const SCHEMAS: Record<string, { what: string; build: () => object }> = {
  config: { what: 'shipproof.yaml', build: configJsonSchema },
  evidence: { what: 'an evidence record (<record>.json, an in-toto Statement v1)', build: evidenceJsonSchema },
  verify: { what: 'shipproof.verify.yaml (must-haves, lint and handover settings)', build: settingsJsonSchema },
};

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print a JSON Schema: of shipproof.yaml (default), an evidence record, or shipproof.verify.yaml')
    .argument('[which]', `config | evidence | verify`, 'config')
    .action((which: string, _opts: unknown, cmd: Command) => {
      const { out } = contextOf(cmd);
      const schema = SCHEMAS[which];
      if (schema === undefined) {
        throw new UsageError(`There is no schema called "${which}".`, { hint: `Choose one of: ${Object.keys(SCHEMAS).join(', ')}.` });
      }
      out.raw(`${JSON.stringify(schema.build(), null, 2)}\n`);
    });
}
