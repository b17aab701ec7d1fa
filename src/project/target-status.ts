// `shipproof targets`: for each target, can we connect, run `true`, and which Docker and Compose
// does it have. Read-only.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { Docker } from '../docker/docker.js';
import { isShipproofError } from '../errors.js';
import { createTarget, type CreateTargetOptions } from '../targets/create.js';

export interface TargetStatus {
  name: string;
  kind: ResolvedTarget['kind'];
  description: string;
  isDefault: boolean;
  reachable: boolean;
  latencyMs?: number;
  docker?: { engine: string; api?: string; compose: string; composeFlavor: 'v1' | 'v2' };
  problem?: { code: string; message: string; hint?: string };
}

function problemOf(e: unknown): NonNullable<TargetStatus['problem']> {
  if (isShipproofError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'error', message: e instanceof Error ? e.message : String(e) };
}

export async function targetStatus(config: ResolvedConfig, t: ResolvedTarget, o: CreateTargetOptions = {}): Promise<TargetStatus> {
  const target = createTarget(t, o);
  const status: TargetStatus = {
    name: t.name,
    kind: t.kind,
    description: target.description,
    isDefault: config.defaultTarget === t.name,
    reachable: false,
  };
  try {
    const started = Date.now();
    await target.exec(['true'], { timeoutMs: 30_000 });
    status.latencyMs = Date.now() - started;
    status.reachable = true;
    const info = await new Docker(target).info();
    status.docker = {
      engine: info.engine.serverVersion,
      ...(info.engine.apiVersion ? { api: info.engine.apiVersion } : {}),
      compose: info.compose.version,
      composeFlavor: info.compose.flavor,
    };
  } catch (e) {
    status.problem = problemOf(e);
  } finally {
    await target.close();
  }
  return status;
}

/** Probes every target (or the named ones) in parallel. */
export async function targetsStatus(config: ResolvedConfig, names?: readonly string[], o: CreateTargetOptions = {}): Promise<TargetStatus[]> {
  const chosen = Object.values(config.targets).filter((t) => names === undefined || names.length === 0 || names.includes(t.name));
  return Promise.all(chosen.map((t) => targetStatus(config, t, o)));
}
