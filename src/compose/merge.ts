// Merging compose trees as the Compose specification's merge rules say: a later file (or the
// service that `extends` another) is laid over the earlier one. Mappings merge key by key;
// command, entrypoint and healthcheck.test are replaced; environment, labels and their kin merge
// by variable name whichever of the list or mapping forms each side uses; volumes merge by
// container path; depends_on and networks merge by name; other lists are appended without
// duplicates. `!reset` removes a value, `!override` replaces it whole.
//
// Compose v1 (1.29) knows neither tag and sorts merged ports; where it differs we follow the spec.
import { parseVolumeSpec } from './model.js';
import { text, type PEntry, type PMap, type PNode, type PScalar, type PSeq } from './tree.js';

type Rule = 'replace' | 'key-value' | 'by-target' | 'by-name' | 'append';

const SERVICE_RULES: Record<string, Rule> = {
  command: 'replace',
  entrypoint: 'replace',
  environment: 'key-value',
  labels: 'key-value',
  annotations: 'key-value',
  sysctls: 'key-value',
  extra_hosts: 'key-value',
  volumes: 'by-target',
  devices: 'by-target',
  secrets: 'by-target',
  configs: 'by-target',
  depends_on: 'by-name',
  networks: 'by-name',
  links: 'append',
};

/** Rules below a service key ("build.args"). */
const NESTED_RULES: Record<string, Rule> = {
  'build.args': 'key-value',
  'build.labels': 'key-value',
  'deploy.labels': 'key-value',
  'healthcheck.test': 'replace',
  'logging.options': 'replace',
};

/** `over` laid on `base` at the top level of a compose file. */
export function mergeFiles(base: PNode, over: PNode): PNode {
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  return mergeMaps(base, over, (key, b, o) => {
    if (key === 'services' && b.kind === 'map' && o.kind === 'map') {
      // A service keeps the place it was first defined; its keys point at their last writer.
      return mergeMaps(b, o, (_name, bs, os) => mergeService(bs, os), true);
    }
    if ((key === 'volumes' || key === 'networks' || key === 'secrets' || key === 'configs') && b.kind === 'map' && o.kind === 'map') {
      return mergeMaps(b, o, (_name, bv, ov) => mergeGeneric(bv, ov));
    }
    return mergeGeneric(b, o);
  });
}

/** `over` (a later file's service, or the extending service) laid on `base`. */
export function mergeService(base: PNode, over: PNode): PNode {
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  return mergeMaps(base, over, (key, b, o) => mergeByRule(SERVICE_RULES[key], key, b, o));
}

function mergeByRule(rule: Rule | undefined, path: string, b: PNode, o: PNode): PNode {
  switch (rule) {
    case 'replace':
      return o;
    case 'key-value':
      return mergeMaps(keyValueMap(b), keyValueMap(o), (_k, _bv, ov) => ov);
    case 'by-name':
      return mergeMaps(nameMap(b), nameMap(o), (_k, bv, ov) => mergeGeneric(bv, ov));
    case 'by-target':
      return b.kind === 'seq' && o.kind === 'seq' ? mergeByTarget(b, o) : o;
    case 'append':
      return b.kind === 'seq' && o.kind === 'seq' ? appendUnique(b, o) : o;
    default:
      if (b.kind === 'map' && o.kind === 'map') {
        return mergeMaps(b, o, (key, bv, ov) => mergeByRule(NESTED_RULES[`${path}.${key}`], `${path}.${key}`, bv, ov));
      }
      return b.kind === 'seq' && o.kind === 'seq' ? appendUnique(b, o) : o;
  }
}

function mergeGeneric(b: PNode, o: PNode): PNode {
  if (b.kind === 'map' && o.kind === 'map') return mergeMaps(b, o, (_k, bv, ov) => mergeGeneric(bv, ov));
  if (b.kind === 'seq' && o.kind === 'seq') return appendUnique(b, o);
  return o;
}

/** Key by key; `!reset` drops a key, `!override` takes the later value whole. */
function mergeMaps(base: PMap, over: PMap, both: (key: string, b: PNode, o: PNode) => PNode, keepBaseKeys = false): PMap {
  const out: PEntry[] = [...base.entries];
  for (const entry of over.entries) {
    const at = out.findIndex((e) => e.key === entry.key);
    if (entry.value.tag === '!reset') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    const untagged = stripTag(entry.value);
    if (at < 0 || entry.value.tag === '!override') {
      if (at < 0) out.push({ ...entry, value: untagged });
      else out[at] = { ...entry, value: untagged };
      continue;
    }
    const existing = out[at] as PEntry;
    out[at] = { key: entry.key, keyLoc: keepBaseKeys ? existing.keyLoc : entry.keyLoc, value: both(entry.key, existing.value, untagged) };
  }
  return { kind: 'map', entries: out, loc: over.loc };
}

function stripTag<T extends PNode>(node: T): T {
  if (node.tag === undefined) return node;
  const { tag: _tag, ...rest } = node;
  return rest as T;
}

/** `["A=1", "B"]` or `{A: 1, B: null}` as a mapping; each list item keeps its line. */
export function keyValueMap(node: PNode): PMap {
  if (node.kind === 'map') return node;
  if (node.kind !== 'seq') return { kind: 'map', entries: [], loc: node.loc };
  const entries: PEntry[] = [];
  for (const item of node.items) {
    const t = text(item);
    if (t === undefined) continue;
    const eq = t.indexOf('=');
    const written = item.kind === 'scalar' ? item.written : undefined;
    const writtenEq = written?.indexOf('=') ?? -1;
    const value: PScalar =
      eq < 0
        ? { kind: 'scalar', value: null, loc: item.loc }
        : {
            kind: 'scalar',
            value: t.slice(eq + 1),
            loc: item.loc,
            ...(written !== undefined && writtenEq >= 0 ? { written: written.slice(writtenEq + 1) } : {}),
          };
    const key = eq < 0 ? t : t.slice(0, eq);
    const at = entries.findIndex((e) => e.key === key);
    const next = { key, keyLoc: item.loc, value };
    if (at >= 0) entries[at] = next;
    else entries.push(next);
  }
  return { kind: 'map', entries, loc: node.loc };
}

/** `[a, b]` or `{a: {…}}` as a mapping of names. */
function nameMap(node: PNode): PMap {
  if (node.kind === 'map') return node;
  if (node.kind !== 'seq') return { kind: 'map', entries: [], loc: node.loc };
  return {
    kind: 'map',
    loc: node.loc,
    entries: node.items.flatMap((item) => {
      const t = text(item);
      return t === undefined ? [] : [{ key: t, keyLoc: item.loc, value: { kind: 'scalar' as const, value: null, loc: item.loc } }];
    }),
  };
}

/** Mounts keyed by container path: a later mount of the same path replaces the earlier one. */
function mergeByTarget(b: PSeq, o: PSeq): PSeq {
  const out = [...b.items];
  for (const item of o.items) {
    const key = mountTarget(item);
    const at = key === undefined ? -1 : out.findIndex((x) => mountTarget(x) === key);
    if (at >= 0) out[at] = item;
    else out.push(item);
  }
  return { ...o, items: out };
}

function mountTarget(node: PNode): string | undefined {
  if (node.kind === 'map') return text(node.entries.find((e) => e.key === 'target')?.value) ?? text(node.entries.find((e) => e.key === 'source')?.value);
  const t = text(node);
  if (t === undefined) return undefined;
  const spec = parseVolumeSpec(t);
  return typeof spec === 'string' ? t : spec.target;
}

function appendUnique(b: PSeq, o: PSeq): PSeq {
  const out = [...b.items];
  for (const item of o.items) {
    const t = text(item);
    if (t !== undefined && out.some((x) => text(x) === t)) continue;
    out.push(item);
  }
  return { ...o, items: out };
}
