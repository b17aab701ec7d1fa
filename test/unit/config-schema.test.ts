import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configSchema, parseSshUrl } from '../../src/config/schema.js';

const TOP_LEVEL = ['project', 'compose', 'evidence', 'defaultTarget', 'targets', 'envFiles', 'health', 'domains', 'secrets', 'stateful', 'backups', 'deploy', 'swarm'];
const JSON_TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

/** Structural checks of the JSON Schema keywords used, recursively; returns the problems found. */
function schemaProblems(node: unknown, at = '#'): string[] {
  if (typeof node === 'boolean') return [];
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [`${at} is not a schema`];
  const s = node as Record<string, unknown>;
  const problems: string[] = [];
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  for (const t of types) if (!JSON_TYPES.has(t as string)) problems.push(`${at}.type has "${String(t)}"`);
  if (s.properties !== undefined) {
    for (const [key, sub] of Object.entries(s.properties as object)) problems.push(...schemaProblems(sub, `${at}/properties/${key}`));
  }
  if (s.required !== undefined) {
    const keys = Object.keys((s.properties as object | undefined) ?? {});
    for (const r of s.required as unknown[]) if (typeof r !== 'string' || !keys.includes(r)) problems.push(`${at}.required has ${String(r)}`);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'not']) {
    if (s[key] !== undefined) problems.push(...schemaProblems(s[key], `${at}/${key}`));
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (s[key] !== undefined) (s[key] as unknown[]).forEach((sub, i) => problems.push(...schemaProblems(sub, `${at}/${key}/${i}`)));
  }
  if (s.pattern !== undefined) {
    try {
      new RegExp(s.pattern as string, 'u');
    } catch {
      problems.push(`${at}.pattern does not compile`);
    }
  }
  return problems;
}

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Record<string, unknown>;

  it('is a draft 2020-12 object schema with every top-level key and no others allowed', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object)).toEqual(TOP_LEVEL);
    expect(schema.additionalProperties).toBe(false);
    // Everything has a default or can be left out: an empty file is valid.
    expect(schema.required ?? []).toEqual([]);
  });

  it('is well-formed JSON Schema all the way down', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(schemaProblems(schema)).toEqual([]);
  });

  it('describes the fields editors show help for, with input-side defaults', () => {
    const props = schema.properties as Record<string, Record<string, unknown>>;
    for (const key of TOP_LEVEL) expect(props[key]?.description, key).toEqual(expect.any(String));
    const target = JSON.stringify(props.targets);
    expect(target).toContain('"maxChannels"');
    expect(target).toContain('"minimum":1');
    expect(target).toContain('"maximum":64');
    const probe = JSON.stringify(props.health);
    // Durations are documented as what people write, not as milliseconds.
    expect(probe).toContain('"default":"5s"');
    expect(JSON.stringify(props.stateful)).toContain('"postgres"');
  });
});

describe('configSchema', () => {
  it('accepts the documented example in full', async () => {
    const text = await readFile(path.join(import.meta.dirname, '../fixtures/config/brief-example.yaml'), 'utf8');
    const result = configSchema.safeParse(parse(text));
    expect(result.error?.issues).toBeUndefined();
    expect(result.data?.targets?.prod).toEqual({ host: { kind: 'ssh', user: 'deploy', host: '203.0.113.10', port: 22 } });
    expect(result.data?.targets?.staging?.connectTimeout).toBe(10_000);
  });

  it('accepts an empty file', () => {
    expect(configSchema.safeParse({}).success).toBe(true);
  });
});

describe('parseSshUrl', () => {
  it.each([
    ['ssh://deploy@203.0.113.10', { user: 'deploy', host: '203.0.113.10', port: 22 }],
    ['ssh://deploy@203.0.113.10:2222/', { user: 'deploy', host: '203.0.113.10', port: 2222 }],
    ['SSH://root@Example.COM', { user: 'root', host: 'example.com', port: 22 }],
    ['ssh://deploy@[2001:db8::1]:22', { user: 'deploy', host: '2001:db8::1', port: 22 }],
  ])('reads %s', (url, expected) => {
    expect(parseSshUrl(url)).toEqual(expected);
  });

  it.each([
    ['deploy@host', 'it does not start with ssh://'],
    ['ssh://host', 'the user is missing'],
    ['ssh://deploy@', 'it is not a valid URL'],
    ['ssh://deploy@host:99999', 'it is not a valid URL'],
    ['ssh://deploy@host:0', 'the port must be between 1 and 65535'],
    ['ssh://deploy:pw@host', 'a password does not belong in the URL; use an SSH key or the agent'],
    ['ssh://deploy@host/opt/app', 'it has a path; set appDir for the folder instead'],
    ['ssh://deploy@host?x=1', 'it has a query or fragment'],
  ])('rejects %s', (url, problem) => {
    expect(parseSshUrl(url)).toBe(problem);
  });
});
