// The top-level `volumes:` and `networks:` mappings: each entry's key, whether it is external,
// the Docker name when `name:` (or the old `external: { name: x }`) sets one, and its driver.
// Keys the specification does not list for the kind are refused at file:line, as Compose does
// ("does not match any of the regexes: '^x-'"), with a did-you-mean.
import { suggestionHint } from '../config/did-you-mean.js';
import type { ComposeResource } from './model.js';
import type { Reader } from './service-reader.js';
import { get, type PNode } from './tree.js';

export type ResourceKind = 'volumes' | 'networks';

/** The attributes the compose specification defines for each kind. */
const ATTRIBUTES: Record<ResourceKind, readonly string[]> = {
  volumes: ['driver', 'driver_opts', 'external', 'labels', 'name'],
  networks: ['driver', 'driver_opts', 'attachable', 'enable_ipv6', 'external', 'ipam', 'internal', 'labels', 'name'],
};

const WHAT: Record<ResourceKind, string> = { volumes: 'a volume name', networks: 'a network name' };

export function readResources(tree: PNode, reader: Reader, kind: ResourceKind): ComposeResource[] {
  const node = get(tree, kind);
  const out: ComposeResource[] = [];
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return out;
  for (const { key: name, keyLoc, value } of reader.map(node, kind, `a mapping of ${kind.slice(0, -1)} names`) ?? []) {
    const resource: ComposeResource = { name, external: false, location: keyLoc };
    for (const { key, keyLoc: attrLoc, value: v } of value.kind === 'scalar' && value.value === null ? [] : (reader.map(value, `${kind}.${name}`, 'a mapping') ?? [])) {
      const where = `${kind}.${name}.${key}`;
      if (key === 'external') {
        // `external: { name: x }` is the old spelling of `external: true` plus `name: x`.
        const legacy = v.kind === 'map' ? v.entries.find((e) => e.key === 'name') : undefined;
        resource.external = legacy !== undefined || (reader.bool(v, where) ?? false);
        const legacyName = legacy === undefined ? undefined : reader.string(legacy.value, `${where}.name`, WHAT[kind]);
        if (legacyName !== undefined) resource.externalName = legacyName;
      } else if (key === 'name') {
        const t = reader.string(v, where, WHAT[kind]);
        if (t !== undefined) resource.externalName = t;
      } else if (key === 'driver') {
        const t = reader.string(v, where, 'a driver name');
        if (t !== undefined) resource.driver = t;
      } else if (!key.startsWith('x-') && !ATTRIBUTES[kind].includes(key)) {
        reader.fail({ kind: 'scalar', value: null, loc: attrLoc }, `Unknown key "${key}" under "${kind}.${name}".`, suggestionHint(key, ATTRIBUTES[kind]));
      }
    }
    out.push(resource);
  }
  return out;
}
