// Per service, what a `compose up` will do and did: unchanged / recreated / started / removed,
// and why. The prediction compares compose's config hash (which covers the resolved config, the
// env values and, for Compose v1, the image id) with the label on the running container; the
// outcome compares container ids before and after. Pure, unit-tested.
import type { ContainerInfo } from '../docker/parse.js';

export type ServiceAction = 'unchanged' | 'recreated' | 'started' | 'removed';

export interface ServiceChange {
  service: string;
  action: ServiceAction;
  why: string;
}

const HASH_LABEL = 'com.docker.compose.config-hash';

/** Parses `compose config --hash '*'`: "<service> <hash>" per line. */
export function parseConfigHashes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+([0-9a-f]{16,})\s*$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export function planServices(hashes: ReadonlyMap<string, string>, running: readonly ContainerInfo[], imageIds: Readonly<Record<string, string | undefined>> = {}): ServiceChange[] {
  const out: ServiceChange[] = [];
  for (const [service, hash] of [...hashes].sort(([a], [b]) => a.localeCompare(b))) {
    const mine = running.filter((c) => c.service === service);
    if (mine.length === 0) {
      out.push({ service, action: 'started', why: 'no container yet' });
      continue;
    }
    const c = mine[0]!;
    const want = imageIds[service];
    if (c.labels[HASH_LABEL] !== hash) out.push({ service, action: 'recreated', why: 'its compose configuration, env values or image changed (config hash differs)' });
    else if (want !== undefined && c.imageId !== want) out.push({ service, action: 'recreated', why: `its image changed (${c.imageId.slice(7, 19)} -> ${want.slice(7, 19)})` });
    else if (c.state !== 'running' && c.state !== 'restarting') out.push({ service, action: 'started', why: `its container is ${c.state}` });
    else out.push({ service, action: 'unchanged', why: 'same config hash and image' });
  }
  for (const c of running) {
    if (c.service !== undefined && !hashes.has(c.service) && !out.some((o) => o.service === c.service)) out.push({ service: c.service, action: 'removed', why: 'not in this release' });
  }
  return out;
}

/** What `compose up` actually did, from container ids before and after. */
export function observedChanges(before: readonly ContainerInfo[], after: readonly ContainerInfo[]): ServiceChange[] {
  const services = [...new Set([...before, ...after].map((c) => c.service).filter((s): s is string => s !== undefined))].sort();
  return services.map((service) => {
    const b = before.filter((c) => c.service === service).map((c) => c.id).sort();
    const a = after.filter((c) => c.service === service).map((c) => c.id).sort();
    if (a.length === 0) return { service, action: 'removed' as const, why: 'no container after compose up' };
    if (b.length === 0) return { service, action: 'started' as const, why: 'new container' };
    if (a.join() === b.join()) {
      const wasRunning = before.filter((c) => c.service === service).every((c) => c.state === 'running');
      return { service, action: wasRunning ? ('unchanged' as const) : ('started' as const), why: wasRunning ? 'same container id' : 'same container, started again' };
    }
    return { service, action: 'recreated' as const, why: 'new container id' };
  });
}

export function describeChanges(changes: readonly ServiceChange[]): string[] {
  return changes.map((c) => `${c.service}: ${c.action} (${c.why})`);
}
