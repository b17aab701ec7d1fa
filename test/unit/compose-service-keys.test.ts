// A key inside a service that the Compose specification does not define is refused the way
// Compose refuses it ("Unsupported config option for services.<name>: '<key>'"), at the file:line
// of the key, with a did-you-mean; `x-` extensions pass; every key the spec defines passes.
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { SERVICE_KEYS, unknownServiceKey } from '../../src/compose/service-keys.js';
import { ConfigError } from '../../src/errors.js';
import { tempProject } from '../fixtures/config/temp-project.js';

async function failure(files: Record<string, string>, order = ['compose.yaml']): Promise<ConfigError> {
  const cwd = await tempProject(files);
  const e = await loadCompose(order, { cwd, env: {} }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

describe('unknown keys inside a service', () => {
  it('a misspelt key stops at its line, with Compose\'s words and the key it meant', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    restrat: always\n' });
    expect(e.message).toBe("Unsupported config option for services.web: 'restrat'.");
    expect(e.location).toMatchObject({ line: 4, column: 5 });
    expect(e.location?.file).toMatch(/compose\.yaml$/);
    expect(e.hint).toMatch(/^Did you mean "restart"\? Compose \(v1 and v2\) refuses/);
    expect(e.hint).toMatch(/must start with "x-"/);
  });

  it('reports every unknown key, in each file where it is written (an override file too)', async () => {
    const e = await failure(
      {
        'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    enviroment: { A: "1" }\n  db:\n    image: postgres:16\n',
        'compose.override.yaml': 'services:\n  db:\n    volume_driver: local\n    helthcheck: { test: ["CMD", "true"] }\n',
      },
      ['compose.yaml', 'compose.override.yaml'],
    );
    const all = [e, ...e.more];
    expect(all.map((x) => [x.message, x.location?.file.split('/').pop(), x.location?.line])).toEqual([
      ["Unsupported config option for services.web: 'enviroment'.", 'compose.yaml', 4],
      ["Unsupported config option for services.db: 'volume_driver'.", 'compose.override.yaml', 3],
      ["Unsupported config option for services.db: 'helthcheck'.", 'compose.override.yaml', 4],
    ]);
    expect(all.map((x) => x.hint?.match(/^Did you mean "([^"]+)"/)?.[1])).toEqual(['environment', undefined, 'healthcheck']);
  });

  it('x- extensions and every key of the specification pass', async () => {
    const cwd = await tempProject({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    x-owner: team-a\n    x-anything: { nested: true }\n' });
    const p = await loadCompose(['compose.yaml'], { cwd, env: {} });
    expect(p.services.map((s) => s.name)).toEqual(['web']);
    const at = { file: 'compose.yaml', line: 1, column: 1 };
    expect(SERVICE_KEYS.filter((k) => unknownServiceKey('web', k, at) !== undefined)).toEqual([]);
    expect(SERVICE_KEYS.length).toBe(new Set(SERVICE_KEYS).size);
    expect([...SERVICE_KEYS].sort()).toEqual([...SERVICE_KEYS]);
  });

  it('an unknown key is never echoed with its value (it may be a secret)', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    api_token: Sup3r-S3cret-Value\n' });
    expect(`${e.message} ${e.hint ?? ''}`).not.toContain('Sup3r');
  });
});
