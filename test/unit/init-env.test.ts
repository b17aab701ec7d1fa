// init on projects with .env interpolation, env files in sub-folders that exist locally, and
// several compose files: names only (never values), `source:` for files that exist here.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { initProject } from '../../src/core/init.js';
import { UsageError } from '../../src/errors.js';
import { tempProject } from '../fixtures/config/temp-project.js';

const SECRET = 'planted-init-secret-93ac';

describe('init reads env files the way Compose uses them', () => {
  it('puts ${VAR} names under .env, sets source: for local files, required: from their names', async () => {
    const cwd = await tempProject({
      'compose.yaml': 'services:\n  app:\n    image: "app:${TAG}"\n    env_file: config/app.env\n    environment:\n      DB_URL: ${DB_URL}\n',
      'config/app.env': `API_KEY=${SECRET}\nLOG_LEVEL=info\n`,
      '.env': `TAG=1.0\nDB_URL=postgres://u:${SECRET}@db/x\nCOMPOSE_PROJECT_NAME=shop\n`,
    });
    const written = await initProject({ cwd });
    expect(written.content).not.toContain(SECRET);
    const config = await loadConfig({ cwd });
    expect(config.project).toBe('shop');
    expect(config.envFiles).toEqual([
      { path: 'config/app.env', required: ['API_KEY', 'LOG_LEVEL'], source: path.join(cwd, 'config/app.env') },
      { path: '.env', required: ['TAG', 'DB_URL'], source: path.join(cwd, '.env') },
    ]);
    expect(written.content).toContain('(local deploys default to ~/.local/share/shipproof/<project>)');
  });

  it('leaves source: out for a file that exists only on the server', async () => {
    const cwd = await tempProject({ 'compose.yaml': 'services:\n  app:\n    image: "app:${TAG}"\n' });
    await initProject({ cwd });
    expect((await loadConfig({ cwd })).envFiles).toEqual([{ path: '.env', required: ['TAG'] }]);
  });

  it('reads several compose files named with --compose, in order', async () => {
    const cwd = await tempProject({
      'compose.yaml': 'services:\n  app:\n    image: app:1\n',
      'deploy/prod.yaml': 'services:\n  db:\n    image: postgres:16\n    volumes: ["pg:/var/lib/postgresql/data"]\nvolumes:\n  pg: {}\n',
    });
    const written = await initProject({ cwd, composeFiles: ['compose.yaml', 'deploy/prod.yaml'] });
    expect(written.content).toContain('compose: ["compose.yaml", "deploy/prod.yaml"]');
    const config = await loadConfig({ cwd });
    expect(config.composeFiles).toEqual([path.join(cwd, 'compose.yaml'), path.join(cwd, 'deploy/prod.yaml')]);
    expect(config.stateful).toEqual({ db: { engine: 'postgres' } });
    await expect(initProject({ cwd, force: true, composeFiles: ['nope.yaml'] })).rejects.toBeInstanceOf(UsageError);
  });

  it('follows COMPOSE_FILE from .env', async () => {
    const cwd = await tempProject({
      '.env': 'COMPOSE_FILE=base.yaml:extra.yaml\n',
      'base.yaml': 'services:\n  app:\n    image: app:1\n',
      'extra.yaml': 'services:\n  cache:\n    image: valkey/valkey:8\n    volumes: ["v:/data"]\nvolumes:\n  v: {}\n',
    });
    const written = await initProject({ cwd });
    expect(written.content).toContain('compose: ["base.yaml", "extra.yaml"]');
    expect(await readFile(path.join(cwd, 'shipproof.yaml'), 'utf8')).toContain('cache: { engine: redis }');
    // loadConfig picks the same files without compose: too.
    expect((await loadConfig({ cwd })).composeFiles.length).toBe(2);
  });
});
