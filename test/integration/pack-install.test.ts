// The install path the README gives, as a new user would take it: `npm pack` this clone (which
// builds dist through `prepack`; packed from a copy, so the build never replaces the dist/ that
// other test files run the CLI from at the same time), install the tarball into an empty folder and globally into a
// private prefix (npm registry only, for the dependencies), then run `shipproof --help`, `init`
// and `check` from there — including `check` refusing an env file compose reads that
// shipproof.yaml does not declare, at its compose line.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'shipproof-pack-'));
const NPM_HINT = 'This test installs the packed tarball with npm: it needs npm on PATH and the npm registry reachable for the dependencies (https://registry.npmjs.org).';

let tarball = '';
const local = join(root, 'local');
const globalPrefix = join(root, 'global');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  try {
    const r = await exec(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 32 << 20, timeout: 600_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: `${x.stderr ?? ''}${typeof x.code === 'string' ? ` (${x.code})` : ''}` };
  }
}
// A clean npm environment: no project .npmrc of the clone, a private cache-friendly prefix.
const npmEnv = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

/** The clone's own files (no node_modules, dist or git data), with its node_modules linked in for the build. */
function copyOfClone(): string {
  const copy = join(root, 'clone');
  const skip = new Set(['node_modules', 'dist', '.git', 'test-artifacts']);
  cpSync(REPO, copy, { recursive: true, filter: (src) => !skip.has(relative(REPO, src).split('/')[0] ?? '') });
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

beforeAll(async () => {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', root], copyOfClone(), npmEnv);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr.slice(-2000)}\n${NPM_HINT}`);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; size: number; files: { path: string }[] }[];
  tarball = join(root, info[0]!.filename);
  mkdirSync(local);
  // A folder of the user's own, so npm installs here and `npx shipproof` finds the bin from below it.
  writeFileSync(join(local, 'package.json'), '{ "name": "try-shipproof", "private": true }\n');
  const installed = await run('npm', ['install', '--save-dev', tarball], local, npmEnv);
  if (installed.code !== 0) throw new Error(`npm install of the tarball failed: ${installed.stderr.slice(-2000)}\n${NPM_HINT}`);
  const global = await run('npm', ['install', '--global', '--prefix', globalPrefix, tarball], root, npmEnv);
  if (global.code !== 0) throw new Error(`npm install --global of the tarball failed: ${global.stderr.slice(-2000)}\n${NPM_HINT}`);
}, 1_200_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe('the packed tarball, installed', () => {
  it('holds the built CLI and no sources, maps or tests', async () => {
    const listed = await run('tar', ['-tzf', tarball], root);
    const files = listed.stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/package.json');
    expect(files.filter((f) => /\.map$|^package\/(src|test)\//.test(f))).toEqual([]);
    expect(readFileSync(join(local, 'node_modules', 'shipproof', 'dist', 'cli', 'main.js'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('puts `shipproof` on PATH with a global install, and --help works', async () => {
    const bin = join(globalPrefix, 'bin', 'shipproof');
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    const help = await run('shipproof', ['--help'], root, { PATH: `${join(globalPrefix, 'bin')}:${process.env.PATH ?? ''}` });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: shipproof/);
    expect(help.stdout).toMatch(/\bdown\b/);
    const version = await run(bin, ['--version'], root);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('init then check on a new project, through npx in the folder it was installed in', async () => {
    const dir = project('local/app', {
      'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    env_file: .env\n    ports: ["8080:80"]\n  db:\n    image: postgres:16\n    env_file: .env\n    volumes: [pg:/var/lib/postgresql/data]\nvolumes:\n  pg: {}\n',
      '.env.example': 'POSTGRES_PASSWORD=\n',
    });
    const npx = (args: string[]) => run('npx', ['--no-install', 'shipproof', ...args], dir, npmEnv);
    const init = await npx(['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(dir, 'shipproof.yaml'), 'utf8')).toMatch(/envFiles:/);
    const check = await npx(['check']);
    expect(check.code, check.stderr + check.stdout).toBe(0);
  });

  it('check refuses an env file compose names that shipproof.yaml does not declare: file:line, the fix, exit 2', async () => {
    const dir = project('undeclared', {
      'compose.yaml': [
        'services:', // 1
        '  web:', // 2
        '    image: nginx:1.27', // 3
        '    env_file:', // 4
        '      - .env.prod', // 5
      ].join('\n'),
      'shipproof.yaml': 'project: undeclared\n',
    });
    const r = await run(join(globalPrefix, 'bin', 'shipproof'), ['check'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: compose.yaml:5 names env_file `.env.prod`, which shipproof.yaml does not declare: add it under envFiles (with `source:` to upload it)\n');
    expect(r.stdout).toBe('');
  });
});
