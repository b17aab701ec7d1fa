// Whether a stack's rollout is done, read from what Swarm itself reports: each service's
// UpdateStatus, spec image and tasks (state, node, container), and each running container's image
// id and health. Pure: the runtime (deploy.ts) feeds it the parsed `docker service inspect`,
// `docker inspect --type task` and `docker container inspect` output. Never the exit code of
// `docker stack deploy`, which is 0 after Swarm rolled a failed update back (docker/cli#6752).

export interface ServiceView {
  id: string;
  name: string;
  image: string;
  replicas: number;
  /** Absent on a service that was only created (never updated). */
  update?: { state: string; message?: string };
  hasHealthcheck: boolean;
}

export interface TaskView {
  id: string;
  serviceId: string;
  nodeId: string;
  image: string;
  state: string;
  desired: string;
  error?: string;
  containerId?: string;
}

export interface ContainerView {
  id: string;
  imageId: string;
  health?: string;
}

export interface Expected {
  /** The image reference each service's spec must name (pinned by shipproof). */
  image: string;
  /** The image id its containers must run. */
  imageId: string;
}

export type ServiceVerdict =
  | { service: string; state: 'converged'; tasks: number }
  | { service: string; state: 'pending'; why: string }
  | { service: string; state: 'failed'; why: string; rolledBack: boolean };

/** Task states after which a task will never run again. */
const ENDED = new Set(['failed', 'rejected', 'shutdown', 'complete', 'orphaned', 'remove']);

/** A service whose new tasks fail this often before one runs is called failed, without waiting for the timeout. */
export const MAX_FAILED_TASKS = 3;

export function judgeService(s: ServiceView, tasks: readonly TaskView[], containers: ReadonlyMap<string, ContainerView>, want: Expected): ServiceVerdict {
  const u = s.update;
  if (u !== undefined && (u.state === 'paused' || u.state === 'rollback_paused')) {
    return { service: s.name, state: 'failed', rolledBack: false, why: `Swarm paused the update (${u.state})${u.message ? `: ${u.message}` : ''}` };
  }
  if (u !== undefined && u.state.startsWith('rollback') && s.image !== want.image) {
    return u.state === 'rollback_completed'
      ? { service: s.name, state: 'failed', rolledBack: true, why: `Swarm rolled the update back (rollback_completed)${u.message ? `: ${u.message}` : ''}` }
      : { service: s.name, state: 'failed', rolledBack: true, why: `Swarm is rolling the update back (${u.state})${u.message ? `: ${u.message}` : ''}` };
  }
  if (s.image !== want.image) return { service: s.name, state: 'failed', rolledBack: false, why: `the service runs ${s.image}, not ${want.image}` };
  if (u !== undefined && (u.state === 'updating' || u.state === 'rollback_started')) return { service: s.name, state: 'pending', why: `update ${u.state}` };
  const mine = tasks.filter((t) => t.serviceId === s.id && t.image === want.image);
  const failed = mine.filter((t) => t.state === 'failed' || t.state === 'rejected');
  const rejected = failed.find((t) => t.state === 'rejected');
  if (rejected !== undefined) return { service: s.name, state: 'failed', rolledBack: false, why: `Swarm rejected a task: ${rejected.error ?? 'no reason given'}` };
  const running = mine.filter((t) => t.desired === 'running' && t.state === 'running');
  if (running.length < s.replicas && failed.length >= MAX_FAILED_TASKS) {
    return { service: s.name, state: 'failed', rolledBack: false, why: `${failed.length} tasks of the new image failed: ${failed[0]?.error ?? 'no reason given'}` };
  }
  const others = tasks.filter((t) => t.serviceId === s.id && t.image !== want.image && !ENDED.has(t.state) && t.desired === 'running');
  if (others.length > 0) return { service: s.name, state: 'pending', why: `${others.length} task(s) still run another image` };
  if (running.length < s.replicas) return { service: s.name, state: 'pending', why: `${running.length}/${s.replicas} tasks running` };
  for (const t of running) {
    const c = t.containerId === undefined ? undefined : containers.get(t.containerId);
    if (c === undefined) return { service: s.name, state: 'pending', why: `task ${t.id.slice(0, 12)} has no container to inspect yet` };
    if (c.imageId !== want.imageId) return { service: s.name, state: 'failed', rolledBack: false, why: `task ${t.id.slice(0, 12)} runs image ${c.imageId}, not the pinned ${want.imageId}` };
    if ((s.hasHealthcheck || c.health !== undefined) && c.health !== 'healthy') return { service: s.name, state: 'pending', why: `task ${t.id.slice(0, 12)} is ${c.health ?? 'without health'}` };
  }
  return { service: s.name, state: 'converged', tasks: running.length };
}

/** The stack's verdict: failed as soon as one service failed, converged when all did. */
export function judgeStack(verdicts: readonly ServiceVerdict[], missing: readonly string[]): { state: 'converged' | 'pending' | 'failed'; why?: string } {
  const failed = verdicts.filter((v) => v.state === 'failed');
  if (failed.length > 0) return { state: 'failed', why: failed.map((v) => `${v.service}: ${(v as { why: string }).why}`).join('; ') };
  if (missing.length > 0) return { state: 'pending', why: `no service yet for ${missing.join(', ')}` };
  const pending = verdicts.filter((v) => v.state === 'pending');
  if (pending.length > 0) return { state: 'pending', why: pending.map((v) => `${v.service}: ${(v as { why: string }).why}`).join('; ') };
  return { state: 'converged' };
}

// ---- parsers of docker's JSON (only the fields used) ----

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function parseServices(stdout: string): ServiceView[] {
  const list = JSON.parse(stdout) as unknown[];
  return list.map((raw) => {
    const s = obj(raw);
    const spec = obj(s.Spec);
    const cs = obj(obj(spec.TaskTemplate).ContainerSpec);
    const mode = obj(spec.Mode);
    const us = s.UpdateStatus === undefined || s.UpdateStatus === null ? undefined : obj(s.UpdateStatus);
    const hc = obj(cs.Healthcheck);
    const test = Array.isArray(hc.Test) ? (hc.Test as string[]) : [];
    return {
      id: str(s.ID) ?? '',
      name: str(spec.Name) ?? '',
      image: str(cs.Image) ?? '',
      replicas: typeof obj(mode.Replicated).Replicas === 'number' ? (obj(mode.Replicated).Replicas as number) : 1,
      ...(us === undefined ? {} : { update: { state: str(us.State) ?? '', ...(str(us.Message) ? { message: str(us.Message)! } : {}) } }),
      // A healthcheck of the image counts too; the containers' health says whether there is one.
      hasHealthcheck: test.length > 0 && test[0] !== 'NONE',
    };
  });
}

export function parseTasks(stdout: string): TaskView[] {
  const list = JSON.parse(stdout) as unknown[];
  return list.map((raw) => {
    const t = obj(raw);
    const status = obj(t.Status);
    const cid = str(obj(status.ContainerStatus).ContainerID);
    const err = str(status.Err);
    return {
      id: str(t.ID) ?? '',
      serviceId: str(t.ServiceID) ?? '',
      nodeId: str(t.NodeID) ?? '',
      image: str(obj(obj(t.Spec).ContainerSpec).Image) ?? '',
      state: str(status.State) ?? '',
      desired: str(t.DesiredState) ?? '',
      ...(err ? { error: err } : {}),
      ...(cid ? { containerId: cid } : {}),
    };
  });
}

export function parseContainers(stdout: string): ContainerView[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const c = obj(JSON.parse(line));
      const health = str(obj(obj(c.State).Health).Status);
      return { id: str(c.Id) ?? '', imageId: str(c.Image) ?? '', ...(health ? { health } : {}) };
    });
}
