// The Compose specification features the reader follows, and the errors Compose would stop at,
// each at the file:line that causes it.
import { describe, expect, it } from 'vitest';
import { loadCompose, type LoadComposeOptions } from '../../src/compose/load.js';
import type { ComposeProject } from '../../src/compose/model.js';
import { ConfigError } from '../../src/errors.js';
import { tempProject } from '../fixtures/config/temp-project.js';

async function load(files: Record<string, string>, order = ['compose.yaml'], opts: LoadComposeOptions = {}): Promise<ComposeProject> {
  const cwd = await tempProject(files);
  return loadCompose(order, { cwd, env: {}, ...opts });
}

async function failure(files: Record<string, string>, order = ['compose.yaml'], opts: LoadComposeOptions = {}): Promise<ConfigError> {
  const error = await load(files, order, opts).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

const svc = (p: ComposeProject, name: string) => p.services.find((s) => s.name === name)!;

describe('interpolation from .env and the environment', () => {
  const files = {
    '.env': 'TAG=1.2\nEMPTY=\nPORT=8080\nCOMPOSE_PROJECT_NAME=My_Shop\n',
    'compose.yaml': [
      'services:',
      '  a:',
      '    image: "app:${TAG}"',
      '    ports: ["${PORT:-80}:80", "${NOPE:-81}:81", "${EMPTY-82}:82"]',
      '    command: "echo $$HOME ${EMPTY:+set}${TAG:+tagged}"',
      '    environment:',
      '      SECRET: ${TAG}',
      '',
    ].join('\n'),
  };

  it('substitutes set variables, both default forms and $$, as Compose does', async () => {
    const p = await load(files, ['compose.yaml'], { interpolation: 'compose' });
    const a = svc(p, 'a');
    expect(a.image).toBe('app:1.2');
    // ${EMPTY-82}: EMPTY is set (to ""), so no default; the published port is then empty.
    expect(a.ports.map((x) => [x.published, x.target])).toEqual([[8080, 80], [81, 81], [undefined, 82]]);
    expect(a.command).toBe('echo $HOME tagged');
    // Environment values are classified from the text as written: a reference, not a literal.
    expect(a.environment).toMatchObject([{ name: 'SECRET', hasValue: true, hasLiteralValue: false, looksLikeSecret: false }]);
    // COMPOSE_PROJECT_NAME from .env, normalised by compose-go's rule.
    expect(p.projectName).toBe('my_shop');
  });

  it('stops at ${X:?message} when X is unset (compose mode), at the value', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  a:\n    image: "app:${TAG:?set TAG first}"\n' }, ['compose.yaml'], { interpolation: 'compose' });
    expect(e.message).toBe('Variable TAG is not set: set TAG first.');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 3, column: 12 });
  });

  it('keeps an unresolved value as written by default (values may live on the server)', async () => {
    const p = await load({ 'compose.yaml': 'services:\n  a:\n    image: "app:${TAG:?set TAG first}"\n' });
    expect(svc(p, 'a').image).toBe('app:${TAG:?set TAG first}');
    expect(p.interpolation).toMatchObject([{ name: 'TAG', required: true }]);
  });
});

describe('include', () => {
  it('adds the services of included files, with project_directory and env_file', async () => {
    const p = await load({
      'compose.yaml': 'include:\n  - path: sub/db.yaml\n    env_file: sub/db.env\nservices:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n',
      'sub/db.yaml': 'services:\n  db:\n    image: "postgres:${PG}"\n    env_file: db.env\n    volumes: ["./data:/var/lib/postgresql/data"]\n',
      'sub/db.env': 'PG=16\n',
    });
    expect(p.services.map((s) => s.name).sort()).toEqual(['db', 'web']);
    const db = svc(p, 'db');
    expect(db.image).toBe('postgres:16');
    // Relative paths of an included file are relative to its project directory; shown from ours.
    expect(db.envFiles.map((f) => f.path)).toEqual(['./sub/db.env']);
    expect(db.volumes.map((v) => v.source)).toEqual(['./sub/data']);
    expect(db.location).toMatchObject({ file: 'sub/db.yaml', line: 2 });
    expect(p.warnings[0]?.message).toMatch(/^`include:` needs Compose v2\.20/);
  });

  it('refuses an include cycle, naming the files', async () => {
    const e = await failure({ 'compose.yaml': 'include: [b.yaml]\nservices:\n  a:\n    image: x\n', 'b.yaml': 'include: [compose.yaml]\nservices:\n  b:\n    image: y\n' });
    expect(e.message).toBe('The include of compose.yaml makes a cycle: compose.yaml -> b.yaml -> compose.yaml.');
    expect(e.location).toEqual({ file: 'b.yaml', line: 1, column: 11 });
  });

  it('refuses a missing include file, at its entry', async () => {
    const e = await failure({ 'compose.yaml': 'include:\n  - other.yaml\nservices:\n  a:\n    image: x\n' });
    expect(e.message).toBe('include names other.yaml, which does not exist.');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 2, column: 5 });
  });

  it('refuses a service defined both here and in an include', async () => {
    const e = await failure({ 'compose.yaml': 'include: [b.yaml]\nservices:\n  a:\n    image: x\n', 'b.yaml': 'services:\n  a:\n    image: y\n' });
    expect(e.message).toMatch(/^Service "a" is defined here and also in an included file \(b\.yaml:2\)/);
    expect(e.location).toEqual({ file: 'compose.yaml', line: 3, column: 3 });
  });

  it('reads a file that only includes others', async () => {
    const p = await load({ 'compose.yaml': 'include: [a.yaml, b.yaml]\n', 'a.yaml': 'services:\n  a:\n    image: x\n', 'b.yaml': 'services:\n  b:\n    image: y\n' });
    expect(p.services.map((s) => s.name)).toEqual(['a', 'b']);
  });
});

describe('extends', () => {
  it('inherits from a service in another file, recursively, its own keys winning', async () => {
    const p = await load({
      'compose.yaml': 'services:\n  web:\n    extends: { file: common/base.yaml, service: app }\n    environment: [B=2]\n',
      'common/base.yaml': 'services:\n  root:\n    image: "nginx:latest"\n    env_file: app.env\n  app:\n    extends: root\n    environment: [A=1]\n    ports: ["80:80"]\n',
    });
    const web = svc(p, 'web');
    expect(web.image).toBe('nginx:latest');
    expect(web.fieldLocations.image).toEqual({ file: 'common/base.yaml', line: 3, column: 5 });
    expect(web.environment.map((e) => e.name)).toEqual(['A', 'B']);
    expect(web.ports.map((x) => x.target)).toEqual([80]);
    expect(web.envFiles.map((f) => f.path)).toEqual(['./common/app.env']);
    expect(web.location).toEqual({ file: 'compose.yaml', line: 2, column: 3 });
  });

  it('refuses extends.file naming a missing file, at file:', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  web:\n    extends:\n      file: nope.yaml\n      service: app\n' });
    expect(e.message).toBe('"services.web.extends.file" names nope.yaml, which does not exist.');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 4, column: 13 });
  });

  it('refuses an extends cycle', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  a:\n    extends: b\n  b:\n    extends: a\n    image: x\n' });
    expect(e.message).toBe('Services "a" -> "b" -> "a" extend each other in a cycle.');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 5, column: 5 });
    expect(e.more).toEqual([]);
  });
});

describe('merging several files', () => {
  it('honours !reset and !override', async () => {
    const p = await load(
      {
        'compose.yaml': 'services:\n  a:\n    image: x\n    ports: ["80:80"]\n    environment: { A: "1", B: "2" }\n',
        'compose.prod.yaml': 'services:\n  a:\n    ports: !reset []\n    environment: !override { C: "3" }\n',
      },
      ['compose.yaml', 'compose.prod.yaml'],
    );
    const a = svc(p, 'a');
    expect(a.ports).toEqual([]);
    expect(a.environment.map((e) => e.name)).toEqual(['C']);
    expect(p.warnings.map((w) => w.message.slice(0, 30))).toEqual(['!reset needs Compose v2.24 or ', '!override needs Compose v2.24 ']);
  });
});

describe('what Compose refuses', () => {
  it('a depends_on cycle, naming the services, at the entry that closes it', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on:\n      a:\n        condition: service_started\n' });
    expect(e.message).toBe('Services "a" -> "b" -> "a" depend on each other in a cycle.');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 8, column: 7 });
  });

  it('a service depending on itself', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  a:\n    image: x\n    depends_on: [a]\n' });
    expect(e.message).toBe('Service "a" depends on itself.');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 4, column: 18 });
  });

  it('a service with neither image nor build', async () => {
    const e = await failure({ 'compose.yaml': 'services:\n  a:\n    image: x\n  b:\n    restart: always\n' });
    expect(e.message).toBe('Service "b" has neither image: nor build:.');
    expect(e.location).toEqual({ file: 'compose.yaml', line: 4, column: 3 });
  });
});
