import { describe, expect, it } from 'vitest';
import {
  composeCommand,
  composeDownCommand,
  composeUpCommand,
  composeVersionCommand,
  dockerVersionCommand,
  inspectContainersCommand,
  projectContainerIdsCommand,
} from '../../src/docker/commands.js';
import { parseComposeVersion, parseContainerInspect, parseDockerVersion } from '../../src/docker/parse.js';

const v2 = { flavor: 'v2' as const, project: 'shop', files: ['/opt/shop/compose.yaml', '/opt/shop/compose.prod.yaml'], projectDir: '/opt/shop' };
const v1 = { ...v2, flavor: 'v1' as const, envFiles: ['/opt/shop/.env.prod'] };

describe('docker command builders', () => {
  it('version commands', () => {
    expect(dockerVersionCommand()).toEqual(['docker', 'version', '--format', '{{json .}}']);
    expect(composeVersionCommand('v2')).toEqual(['docker', 'compose', 'version', '--short']);
    expect(composeVersionCommand('v1')).toEqual(['docker-compose', 'version', '--short']);
  });

  it('compose v2 and v1 with a fixed project name', () => {
    expect(composeCommand(v2, ['ps'])).toEqual([
      'docker', 'compose', '--project-name', 'shop', '--project-directory', '/opt/shop',
      '--file', '/opt/shop/compose.yaml', '--file', '/opt/shop/compose.prod.yaml', 'ps',
    ]);
    expect(composeCommand(v1, ['ps'])).toEqual([
      'docker-compose', '--project-name', 'shop', '--project-directory', '/opt/shop',
      '--file', '/opt/shop/compose.yaml', '--file', '/opt/shop/compose.prod.yaml', '--env-file', '/opt/shop/.env.prod', 'ps',
    ]);
  });

  it('up and down', () => {
    expect(composeUpCommand({ flavor: 'v2', project: 'p', files: ['c.yaml'] }, { build: true, services: ['web'] })).toEqual([
      'docker', 'compose', '--project-name', 'p', '--file', 'c.yaml', 'up', '--detach', '--remove-orphans', '--build', 'web',
    ]);
    expect(composeDownCommand({ flavor: 'v1', project: 'p', files: ['c.yaml'] }, { volumes: true, timeoutSeconds: 5 })).toEqual([
      'docker-compose', '--project-name', 'p', '--file', 'c.yaml', 'down', '--remove-orphans', '--volumes', '--timeout', '5',
    ]);
  });

  it('containers are found by the compose project label', () => {
    expect(projectContainerIdsCommand('shop')).toEqual([
      'docker', 'ps', '--all', '--quiet', '--no-trunc', '--filter', 'label=com.docker.compose.project=shop',
    ]);
    expect(inspectContainersCommand(['a', 'b'])).toEqual(['docker', 'container', 'inspect', 'a', 'b']);
  });
});

describe('docker output parsers', () => {
  it('engine version', () => {
    const v = parseDockerVersion(
      JSON.stringify({ Client: { Version: '28.2.2' }, Server: { Version: '20.10.24+dfsg1', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64' } }),
    );
    expect(v).toEqual({ clientVersion: '28.2.2', serverVersion: '20.10.24+dfsg1', apiVersion: '1.41', os: 'linux', arch: 'amd64' });
    expect(() => parseDockerVersion(JSON.stringify({ Client: { Version: '1' }, Server: null }))).toThrow(/did not report/);
    expect(() => parseDockerVersion('Cannot connect')).toThrow(/not JSON/);
  });

  it('compose version', () => {
    expect(parseComposeVersion('v2.24.5\n')).toBe('2.24.5');
    expect(parseComposeVersion('1.29.2\n')).toBe('1.29.2');
    expect(parseComposeVersion('2.27.0-desktop.1')).toBe('2.27.0-desktop.1');
    expect(parseComposeVersion('docker: unknown command')).toBeUndefined();
  });

  it('container inspect', () => {
    const [c] = parseContainerInspect(
      JSON.stringify([
        {
          Id: 'abc',
          Name: '/shop-db-1',
          Image: 'sha256:' + 'f'.repeat(64),
          RestartCount: 2,
          State: { Status: 'running', ExitCode: 0, OOMKilled: true, StartedAt: '2026-01-01T00:00:00Z', Health: { Status: 'unhealthy' } },
          Config: { Image: 'postgres:15', Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' } },
          NetworkSettings: { Ports: { '5432/tcp': [{ HostIp: '0.0.0.0', HostPort: '5432' }], '8080/tcp': null } },
        },
      ]),
    );
    expect(c).toEqual({
      id: 'abc',
      name: 'shop-db-1',
      project: 'shop',
      service: 'db',
      image: 'postgres:15',
      imageId: 'sha256:' + 'f'.repeat(64),
      state: 'running',
      health: 'unhealthy',
      exitCode: 0,
      restartCount: 2,
      oomKilled: true,
      startedAt: '2026-01-01T00:00:00Z',
      labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' },
      publishedPorts: [{ hostIp: '0.0.0.0', hostPort: 5432, containerPort: 5432, protocol: 'tcp' }],
    });
  });
});

describe('build, pull, resolved config and no-build up', () => {
  const ctx = { flavor: 'v1' as const, project: 'p', files: ['/r/compose.yaml'], projectDir: '/r' };
  it('builders', async () => {
    const m = await import('../../src/docker/commands.js');
    expect(m.composeBuildCommand(ctx, ['web'])).toEqual(['docker-compose', '--project-name', 'p', '--project-directory', '/r', '--file', '/r/compose.yaml', 'build', 'web']);
    expect(m.composePullCommand(ctx)).toEqual(['docker-compose', '--project-name', 'p', '--project-directory', '/r', '--file', '/r/compose.yaml', 'pull']);
    expect(m.composeResolvedConfigCommand(ctx).slice(-1)).toEqual(['config']);
    expect(m.composeUpCommand(ctx, { noBuild: true }).slice(-4)).toEqual(['up', '--detach', '--remove-orphans', '--no-build']);
  });
});
