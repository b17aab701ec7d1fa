// What the cut-over reads from `docker container inspect`. Pure.
import { parseContainerInspect, type ContainerInfo } from '../docker/parse.js';

export interface RunningContainer extends ContainerInfo {
  /** Network name -> IPv4 address on that network. */
  addresses: Record<string, string>;
  /** The process docker started: entrypoint/path followed by its arguments. */
  command: string[];
}

export function parseContainers(text: string): RunningContainer[] {
  const infos = parseContainerInspect(text);
  const raw = JSON.parse(text) as { NetworkSettings?: { Networks?: Record<string, { IPAddress?: unknown }> }; Path?: unknown; Args?: unknown }[];
  return infos.map((info, i) => {
    const r = raw[i] ?? {};
    const addresses: Record<string, string> = {};
    for (const [net, v] of Object.entries(r.NetworkSettings?.Networks ?? {})) {
      if (typeof v?.IPAddress === 'string' && v.IPAddress !== '') addresses[net] = v.IPAddress;
    }
    const args = Array.isArray(r.Args) ? r.Args.filter((a): a is string => typeof a === 'string') : [];
    return { ...info, addresses, command: [...(typeof r.Path === 'string' ? [r.Path] : []), ...args] };
  });
}

/** The container's address on a network it shares with the proxy; undefined when they share none. */
export function addressSeenBy(container: RunningContainer, proxy: RunningContainer): string | undefined {
  for (const [net, ip] of Object.entries(container.addresses)) {
    if (proxy.addresses[net] !== undefined) return ip;
  }
  return undefined;
}
