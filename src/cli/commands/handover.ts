import type { Command } from 'commander';
import { ALL_COMMANDS } from '../command-names.js';
import { writeHandover } from '../../handover/handover.js';
import { loadProjectSettings } from '../../verify/settings.js';
import { loadCommandConfig } from '../config.js';
import { contextOf } from '../context.js';

export function registerHandover(program: Command): void {
  program
    .command('handover')
    .description('write HANDOVER.md from the evidence ledger, lint and the image lock: where things stand, how to operate, what to watch, what is next')
    .option('-o, --output <file>', 'where to write it (default: handover.path in shipproof.verify.yaml, else HANDOVER.md next to shipproof.yaml)')
    .option('--settings <file>', 'the must-haves and lint settings file (default: shipproof.verify.yaml next to shipproof.yaml)')
    .option('--force', 'replace the file even if shipproof did not write it (or it was edited since)')
    .action(async (o: { output?: string; settings?: string; force?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      const config = await loadCommandConfig(ctx);
      const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: options.cwd, ...(o.settings === undefined ? {} : { file: o.settings }) });
      const written = await writeHandover({
        config,
        settings,
        cwd: options.cwd,
        ...(options.target === undefined ? {} : { targetName: options.target }),
        ...(options.config === undefined ? {} : { configFlag: options.config }),
        // Every command the CLI has, not only the one module loaded for this run.
        commands: ALL_COMMANDS,
        ...(o.output === undefined ? {} : { output: o.output }),
        ...(o.force === undefined ? {} : { force: o.force }),
      });
      const f = written.facts;
      const here = f.standing.find((x) => x.target === f.target.name);
      const current = here?.current === undefined ? 'no release recorded' : here.current.value === null ? 'nothing serves' : `release ${here.current.value}`;
      out.result(
        () => `wrote ${written.path}: ${f.target.name} ${current}, ${f.events.length} ${f.events.length === 1 ? 'event' : 'events'} since the last handover, ${f.entries.length} evidence record(s) read`,
        {
          path: written.path,
          current: here?.current?.value ?? null,
          lastGood: here?.lastGood?.value ?? null,
          events: f.events.map((e) => ({ kind: e.kind, time: e.time, text: e.text, records: e.records.map((r) => r.seq) })),
          records: f.entries.length,
        },
      );
    });
}
