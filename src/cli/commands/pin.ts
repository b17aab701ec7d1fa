import type { Command } from 'commander';
import { resolveTargetName } from '../../config/load.js';
import { loadCompose } from '../../compose/load.js';
import { Docker } from '../../docker/docker.js';
import { ExitCode, formatLocation } from '../../errors.js';
import { checkImageLock } from '../../pin/check.js';
import { interpolationVariables } from '../../pin/image-ref.js';
import { LOCK_FILE_NAME, writeImageLock } from '../../pin/lock.js';
import { resolveImageLock, type PinProblem } from '../../pin/resolve.js';
import { createTarget } from '../../targets/create.js';
import { loadCommandConfig } from '../config.js';
import { contextOf } from '../context.js';
import { table, type Output } from '../output.js';

export function registerPin(program: Command): void {
  program
    .command('pin')
    .description(`resolve every compose image to its digest on the target and write ${LOCK_FILE_NAME}; --check compares the lock with the compose files`)
    .option('--check', `change nothing: exit 1 when ${LOCK_FILE_NAME} and the compose files disagree`)
    .option('--force', `replace ${LOCK_FILE_NAME} even if shipproof did not write it (or it was edited since)`)
    .action(async (o: { check?: boolean; force?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      const config = await loadCommandConfig(ctx);
      const model = await loadCompose(config.composeFiles, { cwd: options.cwd });

      if (o.check === true) {
        const check = await checkImageLock(config, model, { cwd: options.cwd });
        out.result(
          () => (check.ok ? `${out.paint('green', 'ok')}: ${LOCK_FILE_NAME} pins every image the compose files use (${check.lock?.images.length ?? 0}).` : problems(out, check.problems, `${LOCK_FILE_NAME} and the compose files disagree`)),
          { ok: check.ok, lockFile: check.lockFile, problems: check.problems.map(json) },
        );
        if (!check.ok) process.exitCode = ExitCode.checkFailed;
        return;
      }

      const target = resolveTargetName(config, options.target);
      const host = createTarget(target, { acceptNewHostKey: options.acceptNewHostKey });
      let result;
      try {
        result = await resolveImageLock({
          model,
          project: config.project,
          targetName: target.name,
          docker: new Docker(host),
          variables: await interpolationVariables(model.projectDir),
        });
      } finally {
        await host.close();
      }
      if (result.lock === undefined) {
        out.result(() => problems(out, result.problems, `Nothing written: not every image could be pinned on ${target.name}`), { written: false, problems: result.problems.map(json) });
        process.exitCode = ExitCode.checkFailed;
        return;
      }
      const written = await writeImageLock(config.rootDir, result.lock, o.force);
      out.result(() => {
        const rows = [['IMAGE', 'SERVICES', 'SOURCE', 'PINNED']];
        for (const i of result.lock?.images ?? []) rows.push([i.image, i.services.join(','), i.source, i.pinned]);
        const notes = (result.lock?.images ?? []).filter((i) => i.note !== undefined).map((i) => `note: ${i.image}: ${i.note}`);
        return [table(rows), ...notes, '', written.changed ? `wrote ${written.path}` : `${written.path} is unchanged`].join('\n');
      }, { written: written.changed, path: written.path, lock: result.lock });
    });
}

function problems(out: Output, list: readonly PinProblem[], headline: string): string {
  return [`${out.paint('red', headline)}:`, ...list.map((p) => `  ${formatLocation(p.location)}: ${p.message}`), '', `Run \`shipproof pin\` to rewrite ${LOCK_FILE_NAME} from the images on the target.`].join('\n');
}

function json(p: PinProblem): Record<string, unknown> {
  return { ...p, at: formatLocation(p.location) };
}
