import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { loadConfig } from '../../src/config/load.js';
import { envFileNames, initProject, renderInitConfig } from '../../src/core/init.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { MINIMAL_COMPOSE, tempProject } from '../fixtures/config/temp-project.js';

const SEED = path.join(import.meta.dirname, '../fixtures/compose/seed-001');
const PLANTED = ['planted-example-secret-4f9c2b', 'planted-session-secret-77aa01', 'AKIAPLANTEDEXAMPLE', 'planted-s3-secret-zz91'];

/** The seed 001 stack in a fresh folder, its compose file under the default name. */
async function seedProject(): Promise<string> {
  return tempProject(
    {
      'compose.yaml': await readFile(path.join(SEED, 'docker-compose.prod.yaml'), 'utf8'),
      '.env.prod.example': await readFile(path.join(SEED, '.env.prod.example'), 'utf8'),
      'deploy/Caddyfile': await readFile(path.join(SEED, 'deploy', 'Caddyfile'), 'utf8'),
    },
    'backend',
  );
}

describe('initProject on the seed 001 stack', () => {
  it('writes a commented shipproof.yaml that loads without errors and holds the guesses', async () => {
    const cwd = await seedProject();
    const written = await initProject({ cwd });
    expect(written.path).toBe(path.join(cwd, 'shipproof.yaml'));
    expect(await readFile(written.path, 'utf8')).toBe(written.content);

    const config = await loadConfig({ cwd });
    expect(config.configPath).toBe(written.path);
    expect(config.project).toBe('xtablo'); // the compose file's own name: wins over the folder name
    expect(config.composeFiles).toEqual([path.join(cwd, 'compose.yaml')]);
    expect(config.defaultTarget).toBe('local');
    expect(Object.keys(config.targets)).toEqual(['local']);
    expect(config.envFiles).toEqual([
      {
        path: '.env.prod',
        required: [
          'IMAGE',
          'TAG',
          'DOMAIN',
          'POSTGRES_PASSWORD',
          'SESSION_SECRET',
          'S3_ENDPOINT',
          'S3_ACCESS_KEY',
          'S3_SECRET_KEY',
        ],
      },
      // ${VAR} interpolation reads the project folder's .env, not a service's env_file.
      { path: '.env', required: ['POSTGRES_PASSWORD', 'IMAGE', 'TAG', 'DOMAIN'] },
    ]);
    expect(config.stateful).toEqual({ postgres: { engine: 'postgres' }, caddy: { engine: 'volume' } });
    // No service has both a healthcheck and a published port: the health section stays an example.
    expect(config.health).toEqual([]);
    expect(written.content).toContain('# health:\n#   - name: web\n#     url: https://example.com/healthz');
    expect(written.content).toContain('#   prod: ssh://deploy@203.0.113.10:22');
  });

  it('explains each section in comments', async () => {
    const { content } = await initProject({ cwd: await seedProject() });
    const comments = content.split('\n').filter((line) => line.startsWith('#'));
    expect(comments.length).toBeGreaterThan(25);
    for (const section of ['project', 'compose', 'evidence', 'targets', 'envFiles', 'health', 'domains', 'stateful', 'backups']) {
      expect(content, section).toMatch(new RegExp(`^#? ?${section}:`, 'm'));
    }
    expect(content).toContain('postgres: { engine: postgres }   # from image postgres:16-alpine');
    expect(content).toContain('caddy: { engine: volume }   # from named volumes caddy_data, caddy_config');
  });

  it('writes commented examples that load once switched on', async () => {
    const cwd = await seedProject();
    const { content } = await initProject({ cwd });
    // Uncomment `# key:` lines and their indented continuations; drop the prose comments.
    const switchedOn = content.replace(/^# (?=[a-z][a-zA-Z]*:|  )/gm, '').replace(/^#.*$/gm, '');
    expect(switchedOn).toContain('\ntargets:\n  prod: ssh://deploy@203.0.113.10:22\n');
    await writeFile(path.join(cwd, 'shipproof.yaml'), switchedOn);
    const config = await loadConfig({ cwd });
    expect(Object.keys(config.targets)).toEqual(['local', 'prod', 'staging']);
    expect(config.defaultTarget).toBe('prod');
    expect(config.domains).toEqual(['example.com']);
    expect(config.backups).toEqual({ dir: '/var/backups/xtablo', keep: 7 });
  });

  it('copies names only from the .example file: no planted value reaches the output', async () => {
    const { content } = await initProject({ cwd: await seedProject() });
    for (const secret of PLANTED) expect(content).not.toContain(secret);
  });

  it('refuses to overwrite an existing shipproof.yaml unless forced', async () => {
    const cwd = await seedProject();
    await writeFile(path.join(cwd, 'shipproof.yaml'), 'project: mine\n');
    const error = await initProject({ cwd }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`shipproof.yaml in ${cwd} exists already: shipproof does not replace it.`);
    expect((error as UsageError).hint).toBe('Edit it by hand, or run `shipproof init --force` to replace it.');
    expect(await readFile(path.join(cwd, 'shipproof.yaml'), 'utf8')).toBe('project: mine\n');

    const forced = await initProject({ cwd, force: true });
    expect(await readFile(path.join(cwd, 'shipproof.yaml'), 'utf8')).toBe(forced.content);
  });

  it('refuses a folder without a compose file', async () => {
    const cwd = await tempProject({ 'README.md': '# hi\n' });
    const error = await initProject({ cwd }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`No compose file found in ${cwd}.`);
  });
});

describe('renderInitConfig guesses', () => {
  it('adds a health probe for a service with a healthcheck and a published port, at its health path', async () => {
    const cwd = await tempProject({
      'compose.yaml': [
        'services:',
        '  api:',
        '    image: example/api',
        '    ports: ["127.0.0.1:9000:9229", "8081:8080"]',
        '    healthcheck:',
        '      test: ["CMD", "wget", "-qO-", "http://localhost:8080/healthz"]',
        '  proxy:',
        '    image: caddy:2',
        '    ports: ["443:443"]',
        '    healthcheck:',
        '      test: ["CMD", "caddy", "version"]',
        '  worker:',
        '    image: example/api',
        '    ports: ["9100:9100"]',
        '    env_file: [config/worker.env]',
        '    environment:',
        '      URL: ${PUBLIC_URL:-http://localhost}',
      ].join('\n'),
      'config/.env.example': 'QUEUE=jobs\n# NOT_THIS=1\nexport WORKER_TOKEN=planted-token-1\n',
    });
    const compose = await loadCompose(['compose.yaml'], { cwd });
    const content = renderInitConfig({
      rootDir: cwd,
      composeFiles: [path.join(cwd, 'compose.yaml')],
      compose,
      envExampleKeys: { 'config/worker.env': ['QUEUE', 'WORKER_TOKEN'] },
    });
    await writeFile(path.join(cwd, 'shipproof.yaml'), content);
    const config = await loadConfig({ cwd });
    expect(config.project).toBe('myapp');
    expect(config.health).toEqual([
      { name: 'api', url: 'http://localhost:8081/healthz', status: 200, timeoutMs: 5000, intervalMs: 2000, insecure: false },
      { name: 'proxy', url: 'https://localhost:443/', status: 200, timeoutMs: 5000, intervalMs: 2000, insecure: true },
    ]);
    // PUBLIC_URL has a default, so it is not required.
    expect(config.envFiles).toEqual([{ path: 'config/worker.env', required: ['QUEUE', 'WORKER_TOKEN'] }]);
    expect(config.stateful).toEqual({});
    expect(content).toContain('# stateful:\n#   db: { engine: postgres }');
  });

  it('asks for .env when compose interpolates variables and uses no env_file', async () => {
    const cwd = await tempProject({ 'compose.yaml': 'services:\n  web:\n    image: nginx:${NGINX_TAG}\n' });
    const compose = await loadCompose(['compose.yaml'], { cwd });
    const content = renderInitConfig({ rootDir: cwd, composeFiles: compose.files, compose });
    await writeFile(path.join(cwd, 'shipproof.yaml'), content);
    expect((await loadConfig({ cwd })).envFiles).toEqual([{ path: '.env', required: ['NGINX_TAG'] }]);
  });

  it('quotes what YAML would misread, and lists several compose files', async () => {
    const cwd = await tempProject({ 'compose.yaml': MINIMAL_COMPOSE, 'compose #2.yaml': MINIMAL_COMPOSE }, 'weird');
    const compose = await loadCompose(['compose.yaml', 'compose #2.yaml'], { cwd });
    const content = renderInitConfig({ rootDir: cwd, composeFiles: compose.files, compose });
    await writeFile(path.join(cwd, 'shipproof.yaml'), content);
    expect((await loadConfig({ cwd })).composeFiles).toEqual([path.join(cwd, 'compose.yaml'), path.join(cwd, 'compose #2.yaml')]);
  });
});

describe('envFileNames', () => {
  it('reads names, skipping comments and blank lines, without values', () => {
    expect(envFileNames('# c\nA=1\n\nexport B="two"\n  C = 3\nnot a line\nA=again\nD=\r\n')).toEqual(['A', 'B', 'C', 'D']);
  });
});
