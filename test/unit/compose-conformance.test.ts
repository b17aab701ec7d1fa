// The conformance suite: real compose files from public projects (test/fixtures/compose/
// conformance/*, each with SOURCE.md naming origin and licence), read by shipproof and compared
// with what `docker-compose config` (v1 1.29) made of them, stored beside each as expected.json
// (generate.ts writes it; where v1 and the spec differ, the basis says how the expectation was
// made). Compared: validity, services, images, build, ports, volumes, env files, networks (each
// service's, with aliases, and the top-level ones: external, name, driver). The top-level
// networks have their own cases too (test/fixtures/compose/networks), written from the spec and
// compared the same way.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { shapeFromModel, type ProjectShape } from '../helpers/compose-conformance.js';

const ROOT = path.join(import.meta.dirname, '../fixtures/compose/conformance');
const fixtures = readdirSync(ROOT).filter((n) => existsSync(path.join(ROOT, n, 'expected.json')));
const NETWORKS = path.join(import.meta.dirname, '../fixtures/compose/networks');
const networkCases = readdirSync(NETWORKS).filter((n) => existsSync(path.join(NETWORKS, n, 'expected.json')));
const agreed: string[] = [];

async function shipproofShape(dir: string, file: string): Promise<ProjectShape> {
  try {
    return shapeFromModel(await loadCompose([file], { cwd: dir, env: { HOME: dir }, interpolation: 'compose' }));
  } catch (error) {
    return { valid: false, error: (error as Error).message };
  }
}

describe('conformance with docker-compose config', () => {
  it('holds at least 40 real-world files, each with its source and licence', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
    for (const name of fixtures) expect(readFileSync(path.join(ROOT, name, 'SOURCE.md'), 'utf8')).toMatch(/Origin: https:\/\/github\.com\/.+\n- Project: .+\n- Licence: \S+/);
  });

  it.each(fixtures)('%s', async (name) => {
    await expectAgreement(path.join(ROOT, name));
    agreed.push(name);
  });

  afterAll(() => {
    console.log(`conformance: ${agreed.length} of ${fixtures.length} files agree with docker-compose config`);
  });
});

describe('top-level networks, compared with docker-compose config', () => {
  it('covers external, name:, driver, aliases, the default network and what Compose refuses', () => {
    expect(networkCases.sort()).toEqual(['default-network', 'driver-settings', 'external-and-named', 'interpolated-name', 'network-mode-and-networks', 'undefined-network', 'unknown-network-key']);
  });

  it.each(networkCases)('%s', async (name) => {
    await expectAgreement(path.join(NETWORKS, name));
  });
});

async function expectAgreement(dir: string): Promise<void> {
  const { file, expected, basis } = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { file: string; expected: ProjectShape; basis: string };
  const actual = await shipproofShape(dir, file);
  if (expected.valid) expect(actual).toEqual(expected);
  else expect(actual).toMatchObject(basis === 'spec' ? expected : { valid: false });
}
