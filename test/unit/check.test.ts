import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProject } from '../../src/core/check.js';
import { ConfigError } from '../../src/errors.js';
import { MINIMAL_COMPOSE, tempProject } from '../fixtures/config/temp-project.js';

const STACK = [
  'services:', // 1
  '  db:', // 2
  '    image: postgres:16', // 3
  '    volumes: [pgdata:/var/lib/postgresql/data]', // 4
  '  web:', // 5
  '    image: example/web', // 6
  '    env_file: [.env.prod, { path: .env.local, required: false }]', // 7
  '  worker:', // 8
  '    image: example/web', // 9
  '    env_file: .env.prod', // 10
  'volumes: { pgdata: {} }', // 11
].join('\n');

async function check(config: string, compose = STACK) {
  const cwd = await tempProject({ 'compose.yaml': compose, 'shipproof.yaml': config });
  return { cwd, report: await checkProject({ cwd }) };
}

describe('checkProject', () => {
  it('reports the files, services and stateful services of a consistent project', async () => {
    const { cwd, report } = await check('envFiles:\n  - path: ./.env.prod\n    required: [POSTGRES_PASSWORD]\n');
    expect(report).toEqual({
      configPath: path.join(cwd, 'shipproof.yaml'),
      composeFiles: [path.join(cwd, 'compose.yaml')],
      services: ['db', 'web', 'worker'],
      stateful: [
        {
          service: 'db',
          engine: 'postgres',
          source: 'image',
          family: 'postgres',
          reason: 'the image is PostgreSQL, data in volume pgdata',
          volumes: ['pgdata'],
          binds: [],
          stop: false,
          image: 'postgres:16',
          location: { file: 'compose.yaml', line: 2, column: 3 },
        },
      ],
      warnings: [],
    });
  });

  it('works with the embedded default', async () => {
    const cwd = await tempProject({ 'compose.yaml': MINIMAL_COMPOSE });
    const report = await checkProject({ cwd });
    expect(report.configPath).toBeUndefined();
    expect(report.services).toEqual(['web']);
  });

  it('refuses an env file compose reads that shipproof.yaml does not declare, at its compose line, once per file', async () => {
    const error = await check('project: shop\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('compose.yaml:7 names env_file `.env.prod`, which shipproof.yaml does not declare: add it under envFiles (with `source:` to upload it)');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 7 });
    expect(e.more).toEqual([]);
  });

  it('only warns about an undeclared env file under the embedded default (there is no shipproof.yaml to add it to)', async () => {
    const cwd = await tempProject({ 'compose.yaml': STACK });
    const report = await checkProject({ cwd });
    expect(report.warnings).toEqual([
      {
        message:
          'Compose reads the env file ".env.prod" (services web, worker), but shipproof.yaml does not list it under envFiles, so nothing checks it exists on the server with the names it needs.',
        location: { file: 'compose.yaml', line: 7, column: 16 },
      },
    ]);
  });

  it('passes on what Compose v1 could not read (include:), and follows it', async () => {
    const cwd = await tempProject({
      'compose.yaml': `include: [x.yaml]\n${STACK}`,
      'x.yaml': 'services:\n  extra:\n    image: busybox:1.36\n',
      'shipproof.yaml': 'project: shop\nenvFiles: [.env.prod]\n',
    });
    const report = await checkProject({ cwd });
    expect(report.warnings.map((w) => [w.message.slice(0, 29), w.location?.line])).toEqual([['`include:` needs Compose v2.2', 1]]);
  });

  it('fails at the include that names a missing file', async () => {
    const error = await check('project: shop\n', `include: [x.yaml]\n${STACK}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('include names x.yaml, which does not exist.');
    expect((error as ConfigError).location).toEqual({ file: 'compose.yaml', line: 1, column: 11 });
  });

  it('rejects a stateful override naming no service, at its key, with a suggestion', async () => {
    const error = await check('envFiles: [.env.prod]\nstateful:\n  dbb: { engine: postgres }\n  cache: redis\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.message).toBe('"stateful.dbb" in shipproof.yaml names no service of the compose file.');
    expect(e.location).toEqual({ file: 'shipproof.yaml', line: 3, column: 3 });
    expect(e.hint).toBe('Did you mean "db"? Services: db, web, worker.');
    expect(e.more.map((m) => [m.message, m.location?.line, m.hint])).toEqual([
      ['"stateful.cache" in shipproof.yaml names no service of the compose file.', 4, 'Services: db, web, worker.'],
    ]);
  });

  it('fails on a health probe URL that does not parse', async () => {
    const error = await check('health:\n  - name: web\n    url: "http://"\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).location).toEqual({ file: 'shipproof.yaml', line: 3, column: 10 });
  });

  it('fails on compose errors with their compose location', async () => {
    const error = await check('project: shop\n', 'services:\n  web:\n    image: x\n    ports: [bad]\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).location).toEqual({ file: 'compose.yaml', line: 4, column: 13 });
  });
});
