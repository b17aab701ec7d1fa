import { homedir } from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveTargetName, type ResolvedConfig } from '../../src/config/load.js';
import { ConfigError, ExitCode, UsageError } from '../../src/errors.js';
import { MINIMAL_COMPOSE, tempProject } from '../fixtures/config/temp-project.js';

/** Loads `yaml` as shipproof.yaml next to a minimal compose.yaml and returns the ConfigError it must raise. */
async function configError(yaml: string, files: Record<string, string> = { 'compose.yaml': MINIMAL_COMPOSE }): Promise<ConfigError> {
  const cwd = await tempProject({ ...files, 'shipproof.yaml': yaml });
  const error = await loadConfig({ cwd }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

async function load(yaml: string, files: Record<string, string> = { 'compose.yaml': MINIMAL_COMPOSE }): Promise<ResolvedConfig> {
  return loadConfig({ cwd: await tempProject({ ...files, 'shipproof.yaml': yaml }) });
}

describe('loadConfig errors', () => {
  it('reports a YAML syntax error at its line and column, in a plain sentence', async () => {
    const error = await configError('project: myapp\ntargets:\n  prod: [ssh://deploy@example.com\nhealth: []\n');
    expect(error.message).toBe(
      'shipproof.yaml is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ].',
    );
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 4, column: 1 });
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.message).not.toContain('\n');
  });

  it('explains tabs used for indentation', async () => {
    const error = await configError('targets:\n\tprod: ssh://deploy@example.com\n');
    expect(error.message).toBe('shipproof.yaml is not valid YAML: Tabs are not allowed as indentation.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 1 });
    expect(error.hint).toBe('Indent with spaces; YAML does not allow tabs for indentation.');
  });

  it('reports a repeated key', async () => {
    const error = await configError('project: a\nproject: b\n');
    expect(error.message).toBe('shipproof.yaml is not valid YAML: Map keys must be unique.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 1 });
  });

  it('points an alias without anchor at the alias', async () => {
    const error = await configError('project: myapp\ndomains: *missing\n');
    expect(error.message).toBe('shipproof.yaml uses the alias *missing, but no anchor &missing comes before it.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 10 });
  });

  it('names an unknown key, points at the key, and suggests the close one', async () => {
    const error = await configError('project: myapp\ntaregts:\n  prod: ssh://deploy@203.0.113.10\n');
    expect(error.message).toBe('Unknown key "taregts" in shipproof.yaml.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 1 });
    expect(error.hint).toBe(
      'Did you mean "targets"? Allowed here: project, compose, evidence, defaultTarget, targets, envFiles, health, domains, secrets, stateful, backups, deploy, swarm.',
    );
    expect(error.exitCode).toBe(2);
  });

  it('names an unknown key inside a target with the keys a target allows', async () => {
    const error = await configError('targets:\n  staging:\n    host: ssh://deploy@staging.example.com\n    maxChanels: 4\n');
    expect(error.message).toBe('Unknown key "maxChanels" under "targets.staging".');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 4, column: 5 });
    expect(error.hint).toBe(
      'Did you mean "maxChannels"? Allowed here: host, kind, identity, knownHosts, acceptNewHostKey, appDir, maxChannels, connectTimeout, backupsDir.',
    );
  });

  it('reports a wrong type with the path, the expectation and the value given', async () => {
    const error = await configError('targets:\n  prod:\n    host: ssh://deploy@203.0.113.10\n    maxChannels: eight\n');
    expect(error.message).toBe('"targets.prod.maxChannels" must be a number between 1 and 64, got "eight".');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 4, column: 18 });
  });

  it('reports a number out of range', async () => {
    const error = await configError('targets:\n  prod:\n    host: ssh://deploy@203.0.113.10\n    maxChannels: 100\n');
    expect(error.message).toBe('"targets.prod.maxChannels" must be a number between 1 and 64, got 100.');
  });

  it('reports an ssh URL without a user', async () => {
    const error = await configError('targets:\n  prod: ssh://203.0.113.10:22\n');
    expect(error.message).toBe(
      '"targets.prod" must be "local" or an ssh:// URL with a user, like ssh://deploy@203.0.113.10:22 (the user is missing), got "ssh://203.0.113.10:22".',
    );
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 9 });
  });

  it('reports a host that is not an ssh URL, inside a target object', async () => {
    const error = await configError('targets:\n  prod:\n    host: deploy@203.0.113.10\n');
    expect(error.message).toBe(
      '"targets.prod.host" must be "local" or an ssh:// URL with a user, like ssh://deploy@203.0.113.10:22 (it does not start with ssh://), got "deploy@203.0.113.10".',
    );
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 3, column: 11 });
  });

  it('never repeats a password written into an ssh URL', async () => {
    const error = await configError('targets:\n  prod: ssh://deploy:hunter2-planted@203.0.113.10\n');
    expect(error.message).toContain('a password does not belong in the URL');
    expect(error.message).toContain('got "ssh://deploy:[REDACTED:url-credentials]@203.0.113.10"');
    expect(JSON.stringify({ m: error.message, h: error.hint })).not.toContain('hunter2-planted');
  });

  it('never repeats a value written where a variable name belongs', async () => {
    const error = await configError('envFiles:\n  - path: .env.prod\n    required: [POSTGRES_PASSWORD=hunter2]\n');
    expect(error.message).toBe(
      '"envFiles[0].required[0]" must be an environment variable name (letters, digits and _, not starting with a digit), got "POSTGRES_PASSWORD=…".',
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('reports a bad duration', async () => {
    const error = await configError(
      'health:\n  - name: web\n    url: https://example.com/healthz\n    timeout: 5 seconds\n',
    );
    expect(error.message).toBe(
      '"health[0].timeout" must be a duration like "500ms", "10s", "2m", "1h" or a number of seconds, got "5 seconds".',
    );
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 4, column: 14 });
  });

  it('reports a zero duration', async () => {
    const error = await configError('targets:\n  prod:\n    host: ssh://a@b.example\n    connectTimeout: 0s\n');
    expect(error.message).toBe('"targets.prod.connectTimeout" must be a duration above zero, got "0s".');
  });

  it('reports a missing required key at the object that lacks it', async () => {
    const error = await configError('targets:\n  staging:\n    identity: ~/.ssh/id_ed25519\n');
    expect(error.message).toBe('Missing key "host" under "targets.staging".');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 3 });
    expect(error.hint).toBe('"host" must be "local" or an ssh:// URL with a user, like ssh://deploy@203.0.113.10:22.');
  });

  it('suggests the engine meant', async () => {
    const error = await configError('stateful:\n  db: { engine: postgress }\n');
    expect(error.message).toBe(
      '"stateful.db.engine" must be one of postgres, mariadb, redis, sqlite, volume, files, vault, minio, mongodb, got "postgress".',
    );
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 17 });
    expect(error.hint).toMatch(/^Did you mean "postgres"\?/);
  });

  it('rejects a bad target name at the name', async () => {
    const error = await configError('targets:\n  Prod: ssh://deploy@203.0.113.10\n');
    expect(error.message).toBe('The name "Prod" under "targets" must be a target name of lowercase letters, digits, - and _.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 2, column: 3 });
  });

  it('keeps the name "local" for this machine', async () => {
    const error = await configError('targets:\n  local: ssh://deploy@203.0.113.10\n');
    expect(error.message).toBe('"targets.local" is reserved for this machine; give the server another name.');
  });

  it('rejects ssh-only settings on a local target, and a relative appDir over ssh', async () => {
    const error = await configError(
      'targets:\n  dev:\n    host: local\n    identity: ~/.ssh/id_ed25519\n  prod:\n    host: ssh://deploy@203.0.113.10\n    appDir: opt/myapp\n',
    );
    expect(error.message).toBe('"targets.dev.identity" only applies to ssh targets.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 4, column: 15 });
    expect(error.more.map((e) => [e.message, e.location?.line])).toEqual([
      ['"targets.prod.appDir" must be an absolute path on the server, like /opt/myapp, got "opt/myapp".', 7],
    ]);
  });

  it('rejects a file that is not a mapping', async () => {
    const error = await configError('- project\n- compose\n');
    expect(error.message).toBe('shipproof.yaml must be a mapping of settings (project:, compose:, targets:, …), got a list.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 1, column: 1 });
  });

  it('collects every problem: the first in the file is thrown, the others are in `more`, each located', async () => {
    const error = await configError(
      [
        'project: My App', // 1
        'targets:', // 2
        '  prod:', // 3
        '    host: ssh://deploy@203.0.113.10', // 4
        '    maxChannels: 0', // 5
        'health:', // 6
        '  - name: web', // 7
        '    url: ftp://example.com/', // 8
        '    body: ok', // 9
        '    bodyRegex: ok', // 10
        'domainz: [example.com]', // 11
      ].join('\n'),
    );
    expect(error.location?.line).toBe(1);
    expect(error.message).toBe(
      '"project" must be a project name of lowercase letters, digits, - and _, starting with a letter or digit, got "My App".',
    );
    expect(error.more.map((e) => `${e.location?.line}:${e.location?.column} ${e.message}`)).toEqual([
      '5:18 "targets.prod.maxChannels" must be a number between 1 and 64, got 0.',
      '8:10 "health[0].url" must be an http:// or https:// URL, like https://example.com/healthz, got "ftp://example.com/".',
      '10:16 "health[0].bodyRegex" cannot be used together with body; pick one.',
      '11:1 Unknown key "domainz" in shipproof.yaml.',
    ]);
  });

  it('reports body and bodyRegex together once the probe is otherwise valid', async () => {
    const error = await configError('health:\n  - name: web\n    url: https://example.com/\n    body: ok\n    bodyRegex: o+k\n');
    expect(error.message).toBe('"health[0].bodyRegex" cannot be used together with body; pick one.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 5, column: 16 });
  });

  it('reports a listed compose file that does not exist, at the list entry', async () => {
    const error = await configError('compose:\n  - compose.yaml\n  - compose.prod.yaml\n');
    expect(error.message).toBe('Compose file "compose.prod.yaml" does not exist.');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 3, column: 5 });
    expect(error.hint).toMatch(/^Paths in "compose" are relative to the folder of shipproof.yaml/);
    expect(error.exitCode).toBe(2);
  });

  it('reports a project without any compose file', async () => {
    const error = await configError('project: myapp\n', {});
    expect(error.message).toMatch(/^No compose file found in \/.+\/myapp\.$/);
    expect(error.location).toEqual({ file: 'shipproof.yaml' });
    expect(error.hint).toBe(
      'Looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml. Create one, or name yours in shipproof.yaml with "compose: <file>".',
    );
  });

  it('reports an unknown defaultTarget at its line, with the known targets', async () => {
    const error = await configError('defaultTarget: prdo\ntargets:\n  prod: ssh://deploy@203.0.113.10\n');
    expect(error.message).toBe('Unknown target "prdo" in "defaultTarget".');
    expect(error.location).toEqual({ file: 'shipproof.yaml', line: 1, column: 16 });
    expect(error.hint).toBe('Did you mean "prod"? Known targets: local, prod.');
  });

  it('refuses a --config path that does not exist', async () => {
    const cwd = await tempProject({ 'compose.yaml': MINIMAL_COMPOSE });
    const error = await loadConfig({ cwd, configPath: 'deploy/shipproof.yaml' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('Config file deploy/shipproof.yaml does not exist.');
  });

  it('shows paths relative to cwd when the config is in a subfolder', async () => {
    const cwd = await tempProject({ 'ops/compose.yaml': MINIMAL_COMPOSE, 'ops/shipproof.yaml': 'projet: x\n' });
    const error = (await loadConfig({ cwd, configPath: 'ops/shipproof.yaml' }).catch((e: unknown) => e)) as ConfigError;
    expect(error.message).toBe('Unknown key "projet" in shipproof.yaml.');
    expect(error.location).toEqual({ file: path.join('ops', 'shipproof.yaml'), line: 1, column: 1 });
  });
});

describe('loadConfig resolution', () => {
  it('uses the embedded default when there is no shipproof.yaml', async () => {
    const cwd = await tempProject({ 'docker-compose.yml': MINIMAL_COMPOSE, 'compose.yaml': MINIMAL_COMPOSE }, 'My App!');
    const config = await loadConfig({ cwd });
    expect(config.configPath).toBeUndefined();
    expect(config.rootDir).toBe(cwd);
    expect(config.project).toBe('myapp');
    expect(config.composeFiles).toEqual([path.join(cwd, 'compose.yaml')]);
    expect(config.evidenceDir).toBe(path.join(cwd, 'docs', 'evidence'));
    expect(config.defaultTarget).toBe('local');
    expect(config.targets).toEqual({
      local: {
        name: 'local',
        kind: 'local',
        appDir: path.join(homedir(), '.local', 'share', 'shipproof', 'myapp'),
        backupsDir: path.join(homedir(), '.local', 'share', 'shipproof', 'myapp', 'backups'),
      },
    });
    expect(config).toMatchObject({ envFiles: [], health: [], domains: [], stateful: {}, backups: {} });
    expect(config.locate(['project'])).toBeUndefined();
  });

  it('falls back through the compose file names in docker compose order', async () => {
    const cwd = await tempProject({ 'docker-compose.yml': MINIMAL_COMPOSE, 'docker-compose.yaml': MINIMAL_COMPOSE });
    expect((await loadConfig({ cwd })).composeFiles).toEqual([path.join(cwd, 'docker-compose.yaml')]);
  });

  it('resolves targets, defaults and durations', async () => {
    const config = await load(
      [
        'project: shop',
        'compose: [compose.yaml, compose.prod.yaml]',
        'evidence: ops/evidence',
        'targets:',
        '  prod: ssh://deploy@203.0.113.10',
        '  staging:',
        '    host: ssh://ops%40corp@[2001:db8::1]:2222',
        '    identity: ~/.ssh/id_ed25519',
        '    knownHosts: keys/known_hosts',
        '    acceptNewHostKey: true',
        '    appDir: /srv/shop',
        '    maxChannels: 4',
        '    connectTimeout: 1500ms',
        '    backupsDir: /var/backups/shop',
        '  dev:',
        '    host: local',
        '    appDir: ./run',
        'defaultTarget: staging',
        'envFiles:',
        '  - .env',
        '  - path: /etc/shop/secrets.env',
        '    required: [POSTGRES_PASSWORD, SESSION_SECRET]',
        'health:',
        '  - name: web',
        '    url: https://shop.example.com/healthz',
        '    body: \'"status":"ok"\'',
        '    interval: 1',
        '  - name: admin',
        '    url: https://localhost:8443/',
        '    status: 204',
        '    bodyRegex: "^ok$"',
        '    insecure: true',
        'domains: [shop.example.com, "*.shop.example.com"]',
        'stateful:',
        '  db: postgres',
        '  uploads: { engine: volume, stop: true }',
        '  web: false',
        'backups:',
        '  dir: backups-here',
        '  keep: 7',
      ].join('\n'),
      { 'compose.yaml': MINIMAL_COMPOSE, 'compose.prod.yaml': MINIMAL_COMPOSE },
    );
    const root = config.rootDir;
    expect(config.configPath).toBe(path.join(root, 'shipproof.yaml'));
    expect(config.project).toBe('shop');
    expect(config.composeFiles).toEqual([path.join(root, 'compose.yaml'), path.join(root, 'compose.prod.yaml')]);
    expect(config.evidenceDir).toBe(path.join(root, 'ops', 'evidence'));
    expect(config.defaultTarget).toBe('staging');
    expect(config.targets.prod).toEqual({
      name: 'prod',
      kind: 'ssh',
      host: '203.0.113.10',
      port: 22,
      user: 'deploy',
      identityFile: undefined,
      useAgent: true,
      knownHostsFile: path.join(homedir(), '.ssh', 'known_hosts'),
      acceptNewHostKey: false,
      appDir: '/opt/shop',
      maxChannels: 8,
      connectTimeoutMs: 10_000,
      backupsDir: '/opt/shop/backups-here',
    });
    expect(config.targets.staging).toEqual({
      name: 'staging',
      kind: 'ssh',
      host: '2001:db8::1',
      port: 2222,
      user: 'ops@corp',
      identityFile: path.join(homedir(), '.ssh', 'id_ed25519'),
      useAgent: false,
      knownHostsFile: path.join(root, 'keys', 'known_hosts'),
      acceptNewHostKey: true,
      appDir: '/srv/shop',
      maxChannels: 4,
      connectTimeoutMs: 1500,
      backupsDir: '/var/backups/shop',
    });
    expect(config.targets.dev).toEqual({
      name: 'dev',
      kind: 'local',
      appDir: path.join(root, 'run'),
      backupsDir: path.join(root, 'run', 'backups-here'),
    });
    expect(config.targets.local?.kind).toBe('local');
    expect(config.envFiles).toEqual([
      { path: '.env', required: [] },
      { path: '/etc/shop/secrets.env', required: ['POSTGRES_PASSWORD', 'SESSION_SECRET'] },
    ]);
    expect(config.health).toEqual([
      { name: 'web', url: 'https://shop.example.com/healthz', status: 200, body: '"status":"ok"', timeoutMs: 5000, intervalMs: 1000, insecure: false },
      { name: 'admin', url: 'https://localhost:8443/', status: 204, bodyRegex: '^ok$', timeoutMs: 5000, intervalMs: 2000, insecure: true },
    ]);
    expect(config.domains).toEqual(['shop.example.com', '*.shop.example.com']);
    expect(config.stateful).toEqual({ db: { engine: 'postgres' }, uploads: { engine: 'volume', stop: true }, web: false });
    expect(config.backups).toEqual({ dir: 'backups-here', keep: 7 });
    expect(config.locate(['targets', 'staging', 'maxChannels'])).toEqual({ file: 'shipproof.yaml', line: 12, column: 18 });
    expect(config.locate(['stateful', 'web'], 'key')).toEqual({ file: 'shipproof.yaml', line: 37, column: 3 });
  });

  it('makes the only server the default target, and local the default when there are several', async () => {
    expect((await load('targets:\n  prod: ssh://deploy@203.0.113.10\n')).defaultTarget).toBe('prod');
    expect((await load('targets:\n  a: ssh://deploy@a.example\n  b: ssh://deploy@b.example\n')).defaultTarget).toBe('local');
  });

  it('reads a config given by path, relative to its own folder', async () => {
    const cwd = await tempProject({ 'deploy/stack.yaml': MINIMAL_COMPOSE, 'deploy/shipproof.yaml': 'compose: stack.yaml\n' });
    const config = await loadConfig({ cwd, configPath: 'deploy/shipproof.yaml' });
    expect(config.rootDir).toBe(path.join(cwd, 'deploy'));
    expect(config.composeFiles).toEqual([path.join(cwd, 'deploy', 'stack.yaml')]);
    expect(config.project).toBe('deploy');
  });

  it('treats an empty file as all defaults', async () => {
    const config = await load('# nothing yet\n');
    expect(config.configPath).toBeDefined();
    expect(config.project).toBe('myapp');
    expect(config.defaultTarget).toBe('local');
  });
});

describe('resolveTargetName', () => {
  it('returns the named target, else the default, and refuses unknown names', async () => {
    const config = await load('targets:\n  prod: ssh://deploy@203.0.113.10\n  staging: ssh://deploy@198.51.100.7\ndefaultTarget: prod\n');
    expect(resolveTargetName(config).name).toBe('prod');
    expect(resolveTargetName(config, 'local').kind).toBe('local');
    expect(resolveTargetName(config, 'staging')).toMatchObject({ kind: 'ssh', host: '198.51.100.7' });
    let error: unknown;
    try {
      resolveTargetName(config, 'stagin');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('Unknown target "stagin".');
    expect((error as UsageError).hint).toBe('Did you mean "staging"? Known targets: local, prod, staging.');
    expect((error as UsageError).exitCode).toBe(2);
  });
});

describe('loadConfig with a folder that is written to later', () => {
  it('re-reads the file on every call', async () => {
    const cwd = await tempProject({ 'compose.yaml': MINIMAL_COMPOSE });
    expect((await loadConfig({ cwd })).configPath).toBeUndefined();
    await writeFile(path.join(cwd, 'shipproof.yaml'), 'project: later\n');
    expect((await loadConfig({ cwd })).project).toBe('later');
  });
});
