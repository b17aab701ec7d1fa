// Env files and bind-mounted files as versioned Swarm secrets and configs. Swarm refuses to change
// an object's data ("only updates to Labels are allowed"), so a changed value gets a new name
// (content hash) and the stack file points at it. Values go to `docker secret create name -` on
// stdin: never on a command line, in the stack file, or in evidence (only names are recorded).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ComposeService } from '../compose/model.js';
import { parseDotenv } from '../compose/dotenv.js';
import * as cmd from './commands.js';
import type { Runner } from './runner.js';
import { shellEnvFile, versionedName } from './stack.js';

export interface SwarmObjects {
  envSecrets: Record<string, string>;
  fileConfigs: Record<string, Record<string, string>>;
  created: string[];
}

const labels = (stack: string): Record<string, string> => ({ 'dev.shipproof.stack': stack });

async function ensure(r: Runner, kind: 'secret' | 'config', name: string, content: Buffer | string, stack: string, created: string[]): Promise<void> {
  const there = await r.run(kind === 'secret' ? cmd.secretInspect(name) : cmd.configInspect(name), { reject: false });
  if (there.exitCode === 0) return;
  await r.run(kind === 'secret' ? cmd.secretCreate(name, labels(stack)) : cmd.configCreate(name, labels(stack)), { stdin: content });
  created.push(name);
}

export async function ensureObjects(r: Runner, o: { stack: string; projectDir: string; services: ComposeService[] }): Promise<SwarmObjects> {
  const out: SwarmObjects = { envSecrets: {}, fileConfigs: {}, created: [] };
  for (const s of o.services) {
    if (s.envFiles.length > 0) {
      const values: Record<string, string> = {};
      for (const f of s.envFiles) {
        const file = path.resolve(o.projectDir, f.path);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (e) {
          if (!f.required) continue;
          throw new Error(`env file ${f.path} of ${s.name} cannot be read: ${(e as Error).message}`);
        }
        Object.assign(values, parseDotenv(text));
      }
      const content = shellEnvFile(values);
      const name = versionedName(o.stack, `${s.name}_env`, content);
      await ensure(r, 'secret', name, content, o.stack, out.created);
      out.envSecrets[s.name] = name;
    }
    for (const v of s.volumes.filter((x) => x.type === 'bind')) {
      const file = path.resolve(o.projectDir, v.source!);
      const content = await readFile(file).catch((e: Error) => {
        throw new Error(`${s.name} bind-mounts ${v.source}, which is not a readable file (a folder cannot become a Swarm config): ${e.message}`);
      });
      const name = versionedName(o.stack, path.basename(file), content);
      await ensure(r, 'config', name, content, o.stack, out.created);
      (out.fileConfigs[s.name] ??= {})[v.target] = name;
    }
  }
  return out;
}

/** Removes this stack's secrets and configs that none of `keep` names (in use ones are refused by Swarm and stay). */
export async function pruneObjects(r: Runner, stack: string, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const kind of ['secret', 'config'] as const) {
    const names = (await r.run(cmd.listByLabel(kind, stack), { reject: false })).stdout.split('\n').filter((n) => n !== '' && !keep.has(n));
    if (names.length === 0) continue;
    await r.run(cmd.removeObjects(kind, names), { reject: false });
    removed.push(...names);
  }
  return removed;
}
