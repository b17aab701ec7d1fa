// Issue 10 hardening through the real CLI: bad input stops before anything reaches the server
// (exit 2, file:line, no stack trace, no connection to the server), and no planted secret — nor
// its base64, URL-encoded or JSON-escaped form — appears in any output or file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { claimedForms, leaksIn } from '../helpers/redact-corpus.js';
import { tcpCounter, type Counter } from '../helpers/tcp-counter.js';
import { requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
const counter: Counter = await tcpCounter();
const dirs: string[] = [];
const STACK = /\n\s+at .*\.(ts|js):\d+/;
const SECRET = 'Qm7vT2xK9pL4wN8zR3cY6bF1hJ5dS0aG';
const needles = [...claimedForms(SECRET), JSON.stringify(SECRET).slice(1, -1)];
const COMPOSE = 'services:\n  web:\n    image: shipproof-offline/busybox:1.35\n';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipproof-hard-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** shipproof.yaml whose only server is the connection counter: any attempt to reach it is seen. */
function withCounter(extra = ''): string {
  return `project: hardening\ntargets:\n  box:\n    host: ssh://root@127.0.0.1:${counter.port}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n${extra}`;
}

function expectBadInput(r: CliResult, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(STACK);
}

function expectNoLeak(outputs: CliResult[], dir?: string, skip: RegExp = /\.env$/): void {
  for (const r of outputs) expect(leaksIn(r.stdout + r.stderr, needles)).toEqual([]);
  if (dir === undefined) return;
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const f of walk(dir).filter((f) => !skip.test(f))) {
    expect(leaksIn(readFileSync(f, 'utf8'), needles), f).toEqual([]);
  }
}

afterAll(async () => {
  await counter.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const laughs = (prefix: string) =>
  `${prefix}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`;
const mergeBomb = [
  'x-a: &a {k1: 1, k2: 2, k3: 3}',
  ...'bcdefghi'.split('').map((c, i) => `x-${c}: &${c} {<<: [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]}`),
  'services:',
  '  web:',
  '    image: shipproof-offline/busybox:1.35',
  '    labels:',
  '      <<: *i',
  '',
].join('\n');

describe('input that must fail early (items 8-11)', () => {
  it('a merge-key bomb in compose.yaml: exit 2 at file:line, for check and deploy, without connecting', async () => {
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': mergeBomb });
    for (const args of [['check'], ['deploy', '--yes'], ['plan']]) {
      const r = await runCli(args, { cwd: dir, timeoutMs: 120_000 });
      expectBadInput(r, /compose\.yaml:\d+:\d+: .*aliases expand/);
    }
    expect(counter.connections()).toBe(0);
  });

  it('billion laughs in shipproof.yaml: exit 2 at file:line; with --json the error is JSON', async () => {
    const dir = project({ 'shipproof.yaml': laughs('x-'), 'compose.yaml': COMPOSE });
    expectBadInput(await runCli(['check'], { cwd: dir, timeoutMs: 120_000 }), /shipproof\.yaml:\d+:\d+: .*billion laughs/);
    const j = await runCli(['--json', 'check'], { cwd: dir, timeoutMs: 120_000 });
    expect(j.code).toBe(2);
    const parsed = JSON.parse(j.stderr) as { error: { code: string; location: string } };
    expect(parsed.error.location).toMatch(/^shipproof\.yaml:\d+:\d+$/);
  });

  it('a usage error with --json is JSON too', async () => {
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': COMPOSE });
    const r = await runCli(['--json', 'check', '--frobnicate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stderr) as { error: { message: string } }).error.message).toMatch(/unknown option '--frobnicate'/);
  });

  it('billion laughs in shipproof.verify.yaml: exit 2 at file:line', async () => {
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': COMPOSE, 'shipproof.verify.yaml': laughs('x-') });
    const r = await runCli(['lint'], { cwd: dir, timeoutMs: 120_000 });
    if (r.code !== 2) {
      const v = await runCli(['verify'], { cwd: dir, timeoutMs: 120_000 });
      expectBadInput(v, /shipproof\.verify\.yaml:\d+:\d+/);
    } else expectBadInput(r, /shipproof\.verify\.yaml:\d+:\d+/);
    expect(counter.connections()).toBe(0);
  });

  it('a compose file over the size limit is refused at once, and a deeply nested one too', async () => {
    const big = `services:\n  web:\n    image: shipproof-offline/busybox:1.35\n    labels:\n${'      # padding padding padding padding padding padding padding padding\n'.repeat(90_000)}`;
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': big });
    expectBadInput(await runCli(['check'], { cwd: dir, timeoutMs: 120_000 }), /compose\.yaml:1:1: .*up to 5\.0 MB/);
    const deep = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': `services:\n  web:\n    image: x\n    labels: ${'['.repeat(5000)}${']'.repeat(5000)}\n` });
    expectBadInput(await runCli(['check'], { cwd: deep, timeoutMs: 120_000 }), /compose\.yaml:\d+:\d+: .*(deeper|nests)/);
  });

  it('an unwritable --log-file is exit 2 with a message, no stack', async () => {
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': COMPOSE });
    expectBadInput(await runCli(['--log-file', join(dir, 'missing', 'x.log'), 'deploy', '--yes'], { cwd: dir }), /Cannot write the log file .*ENOENT/);
    expectBadInput(await runCli(['--log-file', dir, 'deploy', '--yes'], { cwd: dir }), /Cannot write the log file .*EISDIR/);
    expect(counter.connections()).toBe(0);
  });

  it.each([
    ['a missing source: file', withCounter('envFiles:\n  - path: .env\n    source: nope.env\n'), COMPOSE, {}, /shipproof\.yaml:9:\d+: .*nope\.env/],
    ['an invalid compose name:', withCounter(), `name: Bad_Name!\n${COMPOSE}`, {}, /compose\.yaml:1:1: .*project name/],
    ['an invalid image reference', withCounter(), 'services:\n  web:\n    image: "Shipproof/Busy Box::1"\n', {}, /compose\.yaml:3:\d+: .*not a valid image reference/],
    ['a health URL curl cannot use', withCounter('health:\n  - name: web\n    url: "http://localhost:8080/{a,b}"\n'), COMPOSE, {}, /shipproof\.yaml:9:\d+: .*glob/],
    ['healthInterval >= healthTimeout', withCounter('deploy:\n  healthTimeout: 5s\n  healthInterval: 10s\n'), COMPOSE, {}, /shipproof\.yaml:9:\d+: .*healthInterval/],
    ['non-UTF-8 bytes', withCounter(), `${COMPOSE}    labels:\n      note: "caf\u00e9"\n`, { latin1: 'compose.yaml' }, /compose\.yaml:5:\d+: .*UTF-8/],
    ['an env name with a space', withCounter('envFiles:\n  - path: .env\n    source: app.env\n'), COMPOSE, { 'app.env': 'GOOD=1\nBAD NAME=2\n' }, /app\.env:2:1: .*not NAME=value/],
    ['a keyService that names no service', withCounter('deploy:\n  keyService: wbe\n'), COMPOSE, {}, /shipproof\.yaml:8:\d+: .*keyService/],
    ['a host like 127.0.0.1,*', 'targets:\n  box: ssh://root@127.0.0.1,*\n', COMPOSE, {}, /shipproof\.yaml:2:\d+: .*host/],
    ['envFiles path leaving appDir', withCounter('envFiles:\n  - path: ../../etc/cron.d/x\n'), COMPOSE, {}, /shipproof\.yaml:8:\d+: .*leaves the app folder/],
  ])('%s: check and deploy stop with exit 2 at file:line before connecting', async (_what, config, compose, extra, message) => {
    const files: Record<string, string> = { 'shipproof.yaml': config, 'compose.yaml': compose };
    for (const [k, v] of Object.entries(extra)) if (k !== 'latin1') files[k] = v;
    const dir = project(files);
    if ('latin1' in extra) writeFileSync(join(dir, 'compose.yaml'), Buffer.from(compose, 'latin1'));
    for (const args of [['check'], ['deploy', '--yes']]) expectBadInput(await runCli(args, { cwd: dir }), message);
    expect(counter.connections()).toBe(0);
  });
});

describe('paths (items 5-7)', () => {
  it('a bind-mounted file linking outside the project is refused by check and deploy with the path and reason', async () => {
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': `${COMPOSE}    volumes:\n      - ./conf/app.conf:/etc/app.conf:ro\n` });
    mkdirSync(join(dir, 'conf'));
    symlinkSync('/etc/passwd', join(dir, 'conf', 'app.conf'));
    for (const args of [['check'], ['deploy', '--yes']]) expectBadInput(await runCli(args, { cwd: dir }), /compose\.yaml:5:\d+: .*conf\/app\.conf is a symbolic link to \/etc\/passwd, outside the project/);
    expect(counter.connections()).toBe(0);
  });

  it('a bind-mounted folder linking outside, and a compose.yaml that links outside, are refused', async () => {
    const outside = project({ 'compose.yaml': COMPOSE, 'data/x.txt': 'x' });
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': `${COMPOSE}    volumes:\n      - ./site:/srv\n` });
    symlinkSync(join(outside, 'data'), join(dir, 'site'));
    expectBadInput(await runCli(['check'], { cwd: dir }), /compose\.yaml:5:\d+: .*site is a symbolic link/);
    const dir2 = project({ 'shipproof.yaml': withCounter() });
    symlinkSync(join(outside, 'compose.yaml'), join(dir2, 'compose.yaml'));
    expectBadInput(await runCli(['check'], { cwd: dir2 }), /compose\.yaml is a symbolic link to .*outside the project/);
    expect(counter.connections()).toBe(0);
  });

  it('a link that stays inside the project is accepted', async () => {
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': `${COMPOSE}    volumes:\n      - ./conf/app.conf:/etc/app.conf:ro\n`, 'conf/real.conf': 'x=1\n' });
    symlinkSync('real.conf', join(dir, 'conf', 'app.conf'));
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a build context outside the project is refused by check at file:line', async () => {
    const outside = project({ Dockerfile: 'FROM scratch\n' });
    const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': `services:\n  web:\n    build:\n      context: ${outside}\n` });
    expectBadInput(await runCli(['check'], { cwd: dir }), /compose\.yaml:\d+:\d+: .*build context of web .*outside the project/);
  });
});

describe('secrets (items 1-4, issue 9 item 4)', () => {
  it('a config error is printed after the env secrets are registered (a secret pasted into shipproof.yaml, BOM-prefixed .env)', async () => {
    const dir = project({ 'shipproof.yaml': `domains:\n  - "${SECRET}"\n`, 'compose.yaml': COMPOSE, '.env': `\ufeffAPI_TOKEN=${SECRET}\n` });
    const outputs = [await runCli(['check'], { cwd: dir }), await runCli(['--json', 'check'], { cwd: dir })];
    for (const r of outputs) expectBadInput(r, /shipproof\.yaml:2:\d+/);
    expect(JSON.parse(outputs[1]!.stderr)).toHaveProperty('error');
    expectNoLeak(outputs);
  });

  it('a placeholder or weak secret: check fails naming the key, never the value; allowWeak with a reason passes, as a warning', async () => {
    const weak = ['change-me', 'hardening', 'DB_PASSWORD', 'abc', 'aaaaaaaaaaaaaaaa', ''];
    for (const value of weak) {
      const dir = project({ 'shipproof.yaml': withCounter(), 'compose.yaml': COMPOSE, '.env': `DB_PASSWORD=${value}\nAPI_TOKEN=${SECRET}\n` });
      const r = await runCli(['check'], { cwd: dir });
      // A value equal to its key's name is registered too, so the redactor hides the name as well.
      expectBadInput(r, /\.env:1:1: The secret (DB_PASSWORD|\[REDACTED:[^\]]+\]) in \.env (is|equals)/);
      expect(r.stderr).toMatch(/openssl rand -hex 32/);
      if (value.length >= 4 && value !== 'DB_PASSWORD') expect(r.stderr).not.toContain(value);
      const d = await runCli(['deploy', '--yes'], { cwd: dir });
      expect(d.code).not.toBe(0);
    }
    const dir = project({ 'shipproof.yaml': withCounter('secrets:\n  allowWeak:\n    DB_PASSWORD: local-only database, never published\n'), 'compose.yaml': COMPOSE, '.env': 'DB_PASSWORD=change-me\n' });
    const ok = await runCli(['check'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/DB_PASSWORD .*allowed by secrets\.allowWeak \(local-only database/);
  });

  it('init does not copy a token from a healthcheck URL into shipproof.yaml', async () => {
    const dir = project({
      'compose.yaml': `services:\n  web:\n    image: shipproof-offline/busybox:1.35\n    ports: ["8080:80"]\n    healthcheck:\n      test: ["CMD", "wget", "-q", "-O-", "http://localhost:80/health?token=${SECRET}"]\n`,
    });
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const yaml = readFileSync(join(dir, 'shipproof.yaml'), 'utf8');
    expect(yaml).toContain('/health');
    expectNoLeak([r], dir, /compose\.yaml$/);
  });

  it('every --json output parses, over a fixture with planted secrets in every kind of file', async () => {
    const dir = project({
      'shipproof.yaml': withCounter('envFiles:\n  - path: .env\n    source: secret.env\n'),
      'compose.yaml': [
        'services:',
        '  db:',
        '    image: shipproof-offline/mariadb:11',
        '    env_file: config/app.env',
        '    environment:',
        `      SOME_SETTING: "${SECRET}x"`,
        '      MARIADB_ROOT_PASSWORD: ${MARIADB_ROOT_PASSWORD}',
        '  web:',
        '    image: shipproof-offline/busybox:1.35',
        '    command: ["sh", "-c", "echo \\"quoted \\\\ backslash\\""]',
        '',
      ].join('\n'),
      'config/app.env': `APP_SIGNING=${SECRET}y\n`,
      'secret.env': `\ufeffMARIADB_ROOT_PASSWORD=${SECRET}z\n`,
    });
    const commands = [['check'], ['plan'], ['schema'], ['targets'], ['lint'], ['evidence', 'list'], ['evidence', 'verify'], ['deploy', '--dry-run'], ['handover', '--dry-run'], ['backup', 'audit']];
    const outputs: CliResult[] = [];
    for (const c of commands) {
      const r = await runCli(['--json', ...c], { cwd: dir });
      outputs.push(r);
      expect(r.stderr, c.join(' ')).not.toMatch(STACK);
      if (r.stdout.trim() !== '') expect(() => JSON.parse(r.stdout), `${c.join(' ')} stdout`).not.toThrow();
      if (r.stderr.trim().startsWith('{')) expect(() => JSON.parse(r.stderr), `${c.join(' ')} stderr`).not.toThrow();
    }
    const forms = (v: string) => [...claimedForms(v), JSON.stringify(v).slice(1, -1)];
    for (const r of outputs) expect(leaksIn(r.stdout + r.stderr, [...forms(`${SECRET}x`), ...forms(`${SECRET}y`), ...forms(`${SECRET}z`)])).toEqual([]);
  });
});
