import { describe, expect, it } from 'vitest';
import { listProjectContainersCommand, listProjectNetworksCommand, listProjectVolumesCommand, removeFolderExceptCommand } from '../../src/down/commands.js';
import { computeDownPlan, renderDownPlan, type DownInventory } from '../../src/down/plan.js';
import { shellJoin } from '../../src/shell/quote.js';

const inv: DownInventory = {
  project: 'shop',
  appDir: '/srv/shop',
  backupsDir: '/srv/shop/backups',
  appFolderIsOurs: true,
  containers: [
    { id: 'c1', name: 'shop_db_1', service: 'db', state: 'running' },
    { id: 'c2', name: 'shop_web_1', service: 'web', state: 'exited' },
  ],
  networks: [{ id: 'n1', name: 'shop_default' }],
  volumes: ['shop_db_data'],
  releaseImages: ['shipproof-release/shop-web:abc123'],
  releases: 2,
  statefulServices: ['db'],
};

describe('shipproof down: commands', () => {
  it('finds containers, networks and volumes by the compose project label both versions set', () => {
    expect(listProjectContainersCommand('shop')).toEqual([
      'docker', 'ps', '--all', '--no-trunc', '--filter', 'label=com.docker.compose.project=shop', '--format', '{{.ID}}\t{{.Names}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}',
    ]);
    expect(listProjectNetworksCommand('shop')).toEqual(['docker', 'network', 'ls', '--no-trunc', '--filter', 'label=com.docker.compose.project=shop', '--format', '{{.ID}}\t{{.Name}}']);
    expect(listProjectVolumesCommand('shop')).toEqual(['docker', 'volume', 'ls', '--filter', 'label=com.docker.compose.project=shop', '--format', '{{.Name}}']);
    expect(removeFolderExceptCommand('/srv/shop', '/srv/shop/backups')).toEqual(['find', '/srv/shop', '-mindepth', '1', '-maxdepth', '1', '!', '-path', '/srv/shop/backups', '-exec', 'rm', '-rf', '--', '{}', '+']);
  });
});

describe('shipproof down: the plan', () => {
  it('by default stops and removes containers and networks, and keeps volumes, images, the app folder, backups and the ledger', () => {
    const plan = computeDownPlan(inv, 'prod', { volumes: false, purge: false });
    expect(plan.steps.map((s) => [s.id, s.argv])).toEqual([
      ['stop-containers', ['docker', 'stop', '--time', '10', 'c1']],
      ['remove-containers', ['docker', 'rm', 'c1', 'c2']],
      ['remove-networks', ['docker', 'network', 'rm', 'n1']],
    ]);
    expect(plan.backupFirst).toBeNull();
    expect(plan.keeps).toEqual([
      'volumes shop_db_data (the data; --volumes removes them after a fresh verified backup)',
      "1 release image tag(s) shipproof made for rollbacks (--purge removes them)",
      'the app folder /srv/shop: 2 release(s), env files and the deploy state (--purge removes it)',
      'backups in /srv/shop/backups',
      'the evidence ledger (on this machine)',
    ]);
  });

  it('--volumes asks for a fresh verified backup of the stateful services first, or records the --force reason', () => {
    const plan = computeDownPlan(inv, 'prod', { volumes: true, purge: false });
    expect(plan.backupFirst).toEqual({ services: ['db'] });
    expect(plan.steps.map((s) => s.id)).toEqual(['stop-containers', 'remove-containers', 'remove-networks', 'remove-volumes']);
    expect(plan.steps.find((s) => s.id === 'remove-containers')?.argv).toEqual(['docker', 'rm', '--volumes', 'c1', 'c2']);
    expect(plan.steps.at(-1)?.argv).toEqual(['docker', 'volume', 'rm', 'shop_db_data']);
    expect(computeDownPlan(inv, 'prod', { volumes: true, purge: false, force: 'scratch stack' }).backupFirst).toEqual({ forced: 'scratch stack' });
  });

  it('--purge removes the release images and the app folder but never the backups inside it', () => {
    const plan = computeDownPlan(inv, 'prod', { volumes: false, purge: true });
    expect(plan.steps.slice(-2).map((s) => s.argv)).toEqual([
      ['docker', 'image', 'rm', 'shipproof-release/shop-web:abc123'],
      ['find', '/srv/shop', '-mindepth', '1', '-maxdepth', '1', '!', '-path', '/srv/shop/backups', '-exec', 'rm', '-rf', '--', '{}', '+'],
    ]);
    const outside = computeDownPlan({ ...inv, backupsDir: '/var/backups/shop' }, 'prod', { volumes: false, purge: true });
    expect(outside.steps.at(-1)?.argv).toEqual(['rm', '-rf', '--', '/srv/shop']);
    const notOurs = computeDownPlan({ ...inv, appFolderIsOurs: false }, 'prod', { volumes: false, purge: true });
    expect(notOurs.steps.some((s) => s.id === 'remove-app-folder')).toBe(false);
    expect(notOurs.notes).toEqual(['/srv/shop holds no shipproof deploy state, so it is not removed']);
  });

  it('an empty project plans nothing, and the rendering shows every command', () => {
    const empty = computeDownPlan({ ...inv, containers: [], networks: [], volumes: [], releaseImages: [] }, 'prod', { volumes: false, purge: false });
    expect(empty.empty).toBe(true);
    const text = renderDownPlan(computeDownPlan(inv, 'prod', { volumes: true, purge: false }), shellJoin);
    expect(text).toContain('first: a fresh backup of db, each restore-rehearsed; nothing is removed unless all pass');
    expect(text).toContain('$ docker volume rm shop_db_data');
    expect(text).toContain('remove networks shop_default');
  });
});
