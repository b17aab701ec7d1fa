// `shipproof status` on a swarm target: per service its update state and image, per task its node,
// state, pinned image, the image id its container runs (on the manager's node) and health.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { layout } from '../deploy/layout.js';
import { createTarget } from '../targets/create.js';
import * as cmd from './commands.js';
import { Runner } from './runner.js';
import { readSwarmState } from './state.js';
import { snapshot } from './watch.js';

export interface SwarmStatus {
  target: string;
  current?: string;
  lastGood?: string;
  nodes: { id: string; hostname: string; status: string; availability: string; manager: string }[];
  services: { name: string; image: string; replicas: number; update: string | null; tasks: { id: string; node: string; state: string; image: string; imageId: string | null; health: string | null; error?: string }[] }[];
}

export async function swarmStatus(o: { config: ResolvedConfig; target: ResolvedTarget; acceptNewHostKey?: boolean }): Promise<SwarmStatus> {
  const manager = createTarget(o.target, { acceptNewHostKey: o.acceptNewHostKey === true });
  try {
    const r = new Runner(manager);
    const info = JSON.parse((await r.run(cmd.swarmInfo())).stdout) as { NodeID?: string };
    const nodes = (await r.run(cmd.nodeList())).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { ID: string; Hostname: string; Status: string; Availability: string; ManagerStatus: string })
      .map((n) => ({ id: n.ID, hostname: n.Hostname, status: n.Status, availability: n.Availability, manager: n.ManagerStatus || '-' }));
    const hostOf = new Map(nodes.map((n) => [n.id, n.hostname]));
    const snap = await snapshot(r, o.config.project, info.NodeID ?? '');
    const containers = new Map(snap.containers.map((c) => [c.id, c]));
    const state = await readSwarmState(manager, layout(o.target.appDir));
    return {
      target: o.target.name,
      ...(state.current ? { current: state.current } : {}),
      ...(state.lastGood ? { lastGood: state.lastGood } : {}),
      nodes,
      services: snap.services.map((s) => ({
        name: s.name,
        image: s.image,
        replicas: s.replicas,
        update: s.update?.state ?? null,
        tasks: snap.tasks
          .filter((t) => t.serviceId === s.id && t.desired === 'running')
          .map((t) => {
            const c = t.containerId ? containers.get(t.containerId) : undefined;
            return { id: t.id.slice(0, 12), node: hostOf.get(t.nodeId) ?? t.nodeId, state: t.state, image: t.image, imageId: c?.imageId ?? null, health: c?.health ?? null, ...(t.error ? { error: t.error } : {}) };
          }),
      })),
    };
  } finally {
    await manager.close();
  }
}
