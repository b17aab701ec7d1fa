// The `volume` and `files` engines: one tar-archive procedure (src/backup/engines/tar-archive.ts)
// over named volumes or over the host folders a container really bind-mounts. The bind-mount
// side is driven through liveServices with a recording fake target, so the folders come from
// `docker inspect`, not from the compose file, and the dump argv is compared exactly.
import { describe, expect, it } from 'vitest';
import { liveServices, requireVolumes } from '../../src/backup/live.js';
import { ENGINE_SPECS } from '../../src/backup/engines/index.js';
import { filesArchiveCommand, filesEngine } from '../../src/backup/engines/files.js';
import { volumeArchiveCommand, volumeEngine } from '../../src/backup/engines/volume.js';
import { loadCompose } from '../../src/compose/load.js';
import { classifyServices } from '../../src/compose/stateful.js';
import type { Docker } from '../../src/docker/docker.js';
import type { ContainerInfo } from '../../src/docker/parse.js';
import { FakeTarget } from '../helpers/fake-target.js';
import { tempProject } from '../fixtures/config/temp-project.js';

const HELPER = { ref: 'busybox:1.36', id: 'sha256:b0b' };
const LABELS = { 'shipproof.backup': 'uploads-files-1' };

function container(service: string): ContainerInfo {
  return {
    id: `id-${service}`,
    name: `app_${service}_1`,
    project: 'app',
    service,
    image: 'busybox:1.36',
    imageId: 'sha256:b0b',
    state: 'running',
    health: 'none',
    exitCode: 0,
    restartCount: 0,
    oomKilled: false,
    startedAt: undefined,
    labels: {},
    publishedPorts: [],
  } as ContainerInfo;
}

describe('tar archives of volumes and bind-mounted folders', () => {
  it('archives each named volume read-only under /backup/<compose name>', () => {
    expect(volumeArchiveCommand('sha256:h', [{ name: 'uploads', volume: 'proj_uploads', destination: '/srv/uploads' }], LABELS)).toEqual([
      'docker', 'run', '--rm', '--label', 'shipproof.backup=uploads-files-1', '--network', 'none',
      '--mount', 'type=volume,source=proj_uploads,target=/backup/uploads,readonly',
      '--entrypoint', '', 'sha256:h', 'tar', '-c', '-f', '-', '--numeric-owner', '-C', '/backup', '.',
    ]);
  });

  it('archives host folders as read-only bind mounts, and refuses an empty list', () => {
    expect(filesArchiveCommand('sha256:h', [{ name: 'data', volume: '/srv/app/data', destination: '/data' }], {})).toEqual([
      'docker', 'run', '--rm', '--network', 'none',
      '--mount', 'type=bind,source=/srv/app/data,target=/backup/data,readonly',
      '--entrypoint', '', 'sha256:h', 'tar', '-c', '-f', '-', '--numeric-owner', '-C', '/backup', '.',
    ]);
    expect(() => filesArchiveCommand('sha256:h', [], {})).toThrow(/nothing to archive/);
  });

  it('the two engines share everything but what they mount', () => {
    const { dumpCommand: _a, procedure: pa, engine: ea, dataMounts: ma, restoreInto: ra, ...volumeRest } = volumeEngine;
    const { dumpCommand: _b, procedure: pb, engine: eb, dataMounts: mb, restoreInto: rb, ...filesRest } = filesEngine;
    expect([ma, mb]).toEqual(['volume', 'bind']);
    expect([ra?.describe('s', { file: 'f', restoreImage: { id: 'i', ref: null } } as never), rb?.describe('s', { file: 'f', restoreImage: { id: 'i', ref: null } } as never)]).toEqual([
      "stop the services using s's volumes, replace their contents from f with the helper image i, start them again",
      "stop the services using s's bind-mounted folders, replace their contents from f with the helper image i, start them again",
    ]);
    expect([ea, eb]).toEqual(['volume', 'files']);
    expect(pa).toMatch(/named volumes/);
    expect(pb).toMatch(/bind-mounted data folders/);
    expect(filesRest.rehearse).toBe(volumeRest.rehearse);
    expect(filesRest.validation).toEqual(volumeRest.validation);
    expect({ ...filesRest, rehearse: undefined, sink: undefined, helperImage: undefined }).toEqual({ ...volumeRest, rehearse: undefined, sink: undefined, helperImage: undefined });
    expect(ENGINE_SPECS.files).toBe(filesEngine);
    expect(filesEngine.tested).toBe(true);
  });

  it('backs up the folders the running container really bind-mounts, named by where it mounts them', async () => {
    const dir = await tempProject({
      'compose.yaml': 'services:\n  game:\n    image: itzg/minecraft-server:2024.1\n    volumes: ["./world:/data", "./server.properties:/data/server.properties:ro"]\n',
    });
    const compose = await loadCompose(['compose.yaml'], { cwd: dir, env: {} });
    const [stateful] = classifyServices(compose).stateful;
    expect(stateful).toMatchObject({ service: 'game', engine: 'files', source: 'bind', binds: [{ source: './world', target: '/data' }] });

    // The server's own path for the folder (the release's mounts/ copy, say), not the compose text.
    const host = new FakeTarget().on('docker container inspect --format {{json .Mounts}} id-game', {
      stdout: JSON.stringify([
        { Type: 'bind', Source: '/opt/app/live/world', Destination: '/data', RW: true },
        { Type: 'bind', Source: '/opt/app/mounts/ab12-server.properties', Destination: '/data/server.properties', RW: false },
      ]),
    });
    const docker = { containers: async () => [container('game'), container('proxy')] } as unknown as Docker;
    const [live] = await liveServices({ host, docker, project: 'app', compose, services: [stateful!] });
    expect(live?.volumes).toEqual([{ name: 'data', volume: '/opt/app/live/world', destination: '/data' }]);

    const settings = { volumeImage: 'busybox:1.36' } as Parameters<NonNullable<typeof filesEngine.helperImage>>[1];
    expect(await filesEngine.helperImage?.(live!, settings, host)).toBe('busybox:1.36');
    expect(filesEngine.needsRunningContainer).toBe(false);
    expect(filesEngine.dumpCommand({ live: live!, settings, labels: LABELS, helper: HELPER })).toEqual([
      'docker', 'run', '--rm', '--label', 'shipproof.backup=uploads-files-1', '--network', 'none',
      '--mount', 'type=bind,source=/opt/app/live/world,target=/backup/data,readonly',
      '--entrypoint', '', 'sha256:b0b', 'tar', '-c', '-f', '-', '--numeric-owner', '-C', '/backup', '.',
    ]);
  });

  it('checks a bind-mounted folder with test -d (not docker volume inspect) before archiving it', async () => {
    const folder = { name: 'data', volume: '/opt/app/live/world', destination: '/data' };
    const host = new FakeTarget().on('test -d /opt/app/live/world', { exitCode: 1 });
    await expect(requireVolumes(host, [folder], 'bind')).rejects.toThrow('The folder /opt/app/live/world (data) does not exist on fake-host.');
    expect(host.calls.map((c) => c.argv)).toEqual([['test', '-d', '/opt/app/live/world']]);
    const ok = new FakeTarget();
    await requireVolumes(ok, [{ name: 'uploads', volume: 'app_uploads', destination: '/srv' }]);
    expect(ok.calls.map((c) => c.argv)).toEqual([['docker', 'volume', 'inspect', '--format', '{{.Name}}', 'app_uploads']]);
  });
});
