// Watches a stack converge, from Swarm's own state (observe.ts judges), until every service
// converged, one failed (rolled back, paused, rejected, crashing) or the timeout passed.
import * as cmd from './commands.js';
import { judgeService, judgeStack, parseContainers, parseServices, parseTasks, type ContainerView, type Expected, type ServiceVerdict, type TaskView } from './observe.js';
import type { Runner } from './runner.js';

export interface WatchResult {
  state: 'converged' | 'failed' | 'timed_out';
  why?: string;
  rolledBack: boolean;
  verdicts: ServiceVerdict[];
  tasks: TaskView[];
  containers: ContainerView[];
  polls: number;
  durationMs: number;
}

export interface StackSnapshot {
  services: ReturnType<typeof parseServices>;
  tasks: TaskView[];
  containers: ContainerView[];
}

/** One look at the stack: services, every task, the containers of the tasks on this node. */
export async function snapshot(r: Runner, stack: string, nodeId: string): Promise<StackSnapshot> {
  const ids = (await r.run(cmd.stackServices(stack), { reject: false })).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return { services: [], tasks: [], containers: [] };
  const services = parseServices((await r.run(cmd.serviceInspect(ids))).stdout);
  const taskIds = (await r.run(cmd.stackTasks(stack), { reject: false })).stdout.split('\n').filter(Boolean);
  const tasks = taskIds.length ? parseTasks((await r.run(cmd.taskInspect(taskIds), { reject: false })).stdout || '[]') : [];
  const local = tasks.filter((t) => t.nodeId === nodeId && t.containerId !== undefined && t.desired === 'running').map((t) => t.containerId!);
  const containers = local.length ? parseContainers((await r.run(cmd.containerInspect(local), { reject: false })).stdout) : [];
  return { services, tasks, containers };
}

export async function watchStack(r: Runner, o: { stack: string; nodeId: string; expected: Record<string, Expected>; timeoutMs: number; intervalMs?: number }): Promise<WatchResult> {
  const started = Date.now();
  let polls = 0;
  for (;;) {
    polls++;
    // Each poll records many reads; keep only the last poll's commands in the record.
    const before = r.commands.length;
    const snap = await snapshot(r, o.stack, o.nodeId);
    const byName = new Map(snap.services.map((s) => [s.name, s]));
    const containers = new Map(snap.containers.map((c) => [c.id, c]));
    const verdicts: ServiceVerdict[] = [];
    const missing: string[] = [];
    for (const [svc, want] of Object.entries(o.expected)) {
      const s = byName.get(`${o.stack}_${svc}`);
      if (s === undefined) missing.push(svc);
      else verdicts.push(judgeService(s, snap.tasks, containers, want));
    }
    const j = judgeStack(verdicts, missing);
    const done = j.state !== 'pending' || Date.now() - started > o.timeoutMs;
    if (!done) {
      r.commands.splice(before);
      await new Promise((res) => setTimeout(res, o.intervalMs ?? 1_000));
      continue;
    }
    const rolledBack = verdicts.some((v) => v.state === 'failed' && v.rolledBack);
    return {
      state: j.state === 'pending' ? 'timed_out' : j.state,
      ...(j.why ? { why: j.state === 'pending' ? `timed out after ${Math.round(o.timeoutMs / 1000)} s: ${j.why}` : j.why } : {}),
      rolledBack,
      verdicts,
      tasks: snap.tasks,
      containers: snap.containers,
      polls,
      durationMs: Date.now() - started,
    };
  }
}
