// What `shipproof down` takes away and what it keeps, as data: read the project's containers,
// networks, volumes and release images from the server (by Compose labels and the deploy state),
// then compute the plan without touching anything. `--dry-run` prints this plan; the run executes it.
import { posix } from 'node:path';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { layout, type Layout } from '../deploy/layout.js';
import { readState, type DeployState } from '../deploy/state.js';
import type { Target } from '../targets/target.js';
import {
  imageIdsCommand,
  isAppFolderCommand,
  listProjectContainersCommand,
  listProjectNetworksCommand,
  listProjectVolumesCommand,
  removeContainersCommand,
  removeFolderCommand,
  removeFolderExceptCommand,
  removeImageTagsCommand,
  removeNetworksCommand,
  removeVolumesCommand,
  stopContainersCommand,
} from './commands.js';

export interface DownOptions {
  /** Also remove the project's volumes (after a fresh verified backup, or with `force`). */
  volumes: boolean;
  /** Also remove the app folder (but never the backups in it) and shipproof's release images. */
  purge: boolean;
  /** The reason to remove volumes without a fresh backup. */
  force?: string;
}

export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  state: string;
}

export interface DownInventory {
  project: string;
  appDir: string;
  backupsDir: string;
  /** The app folder holds shipproof's deploy state. */
  appFolderIsOurs: boolean;
  containers: ProjectContainer[];
  networks: { id: string; name: string }[];
  volumes: string[];
  /** shipproof's own release tags (from the deploy state) that exist on the host. */
  releaseImages: string[];
  releases: number;
  /** Stateful services the compose files name (what a backup before --volumes covers). */
  statefulServices: string[];
}

export interface DownStep {
  id: 'stop-containers' | 'remove-containers' | 'remove-networks' | 'remove-volumes' | 'remove-images' | 'remove-app-folder';
  what: string;
  argv: string[];
}

export interface DownPlan {
  project: string;
  target: string;
  /** Before anything is removed: a fresh backup of these services, restore-rehearsed; or a recorded reason to skip it. */
  backupFirst: { services: string[] } | { forced: string } | null;
  steps: DownStep[];
  /** What stays, in words. */
  keeps: string[];
  /** Why something asked for is not done (e.g. an app folder that is not shipproof's). */
  notes: string[];
  /** Nothing of the project is left to take down. */
  empty: boolean;
}

function parseLines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

export async function readInventory(o: { config: ResolvedConfig; target: ResolvedTarget; host: Target; statefulServices: string[] }): Promise<{ inventory: DownInventory; layout: Layout; state: DeployState }> {
  const l = layout(o.target.appDir);
  const project = o.config.project;
  const [c, n, v, ours] = await Promise.all([
    o.host.exec(listProjectContainersCommand(project), { timeoutMs: 30_000 }),
    o.host.exec(listProjectNetworksCommand(project), { timeoutMs: 30_000 }),
    o.host.exec(listProjectVolumesCommand(project), { timeoutMs: 30_000 }),
    o.host.exec(isAppFolderCommand(l.stateFile), { reject: false, timeoutMs: 30_000 }),
  ]);
  const state = ours.exitCode === 0 ? await readState(o.host, l) : { version: 1 as const, releases: [] };
  const tags = [...new Set(state.releases.flatMap((r) => Object.values(r.images).map((i) => i.releaseTag)))].sort();
  const present: string[] = [];
  for (const tag of tags) {
    const r = await o.host.exec(imageIdsCommand([tag]), { reject: false, timeoutMs: 30_000 });
    if (r.exitCode === 0) present.push(tag);
  }
  return {
    layout: l,
    state,
    inventory: {
      project,
      appDir: l.appDir,
      backupsDir: o.target.backupsDir,
      appFolderIsOurs: ours.exitCode === 0,
      containers: parseLines(c.stdout).map(([id = '', name = '', service = '', st = '']) => ({ id, name, service, state: st })),
      networks: parseLines(n.stdout).map(([id = '', name = '']) => ({ id, name })),
      volumes: parseLines(v.stdout).map(([name = '']) => name),
      releaseImages: present,
      releases: state.releases.length,
      statefulServices: o.statefulServices,
    },
  };
}

/** The plan: pure, so what goes and what stays is unit-tested. */
export function computeDownPlan(inv: DownInventory, targetName: string, o: DownOptions): DownPlan {
  const steps: DownStep[] = [];
  const keeps: string[] = [];
  const notes: string[] = [];
  const running = inv.containers.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused');
  if (running.length) steps.push({ id: 'stop-containers', what: `stop ${running.map((c) => c.name).join(', ')}`, argv: stopContainersCommand(running.map((c) => c.id)) });
  if (inv.containers.length) {
    steps.push({ id: 'remove-containers', what: `remove containers ${inv.containers.map((c) => c.name).join(', ')}`, argv: removeContainersCommand(inv.containers.map((c) => c.id), o.volumes) });
  }
  if (inv.networks.length) steps.push({ id: 'remove-networks', what: `remove networks ${inv.networks.map((x) => x.name).join(', ')}`, argv: removeNetworksCommand(inv.networks.map((x) => x.id)) });
  let backupFirst: DownPlan['backupFirst'] = null;
  if (inv.volumes.length) {
    if (o.volumes) {
      backupFirst = o.force !== undefined ? { forced: o.force } : { services: inv.statefulServices };
      steps.push({ id: 'remove-volumes', what: `remove volumes ${inv.volumes.join(', ')}`, argv: removeVolumesCommand(inv.volumes) });
    } else {
      keeps.push(`volumes ${inv.volumes.join(', ')} (the data; --volumes removes them after a fresh verified backup)`);
    }
  }
  if (o.purge && inv.releaseImages.length) {
    steps.push({ id: 'remove-images', what: `remove shipproof's release images ${inv.releaseImages.join(', ')}`, argv: removeImageTagsCommand(inv.releaseImages) });
  } else if (inv.releaseImages.length) {
    keeps.push(`${inv.releaseImages.length} release image tag(s) shipproof made for rollbacks (--purge removes them)`);
  }
  const backupsInside = isInside(inv.backupsDir, inv.appDir);
  if (o.purge) {
    if (!inv.appFolderIsOurs) {
      notes.push(`${inv.appDir} holds no shipproof deploy state, so it is not removed`);
    } else if (backupsInside) {
      const child = posix.join(inv.appDir, posix.relative(inv.appDir, inv.backupsDir).split('/')[0] ?? '');
      steps.push({ id: 'remove-app-folder', what: `remove the app folder ${inv.appDir} (releases, env files, deploy state), all but ${child}`, argv: removeFolderExceptCommand(inv.appDir, child) });
    } else {
      steps.push({ id: 'remove-app-folder', what: `remove the app folder ${inv.appDir} (releases, env files, deploy state)`, argv: removeFolderCommand(inv.appDir) });
    }
  } else if (inv.appFolderIsOurs) {
    keeps.push(`the app folder ${inv.appDir}: ${inv.releases} release(s), env files and the deploy state (--purge removes it)`);
  }
  keeps.push(`backups in ${inv.backupsDir}`);
  keeps.push('the evidence ledger (on this machine)');
  if (o.volumes && backupFirst === null && o.force === undefined) notes.push('no volumes of the project exist, so there is nothing to back up first');
  return { project: inv.project, target: targetName, backupFirst, steps, keeps, notes, empty: steps.length === 0 };
}

function isInside(child: string, parent: string): boolean {
  const rel = posix.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !posix.isAbsolute(rel);
}

/** The plan in words, with every command: what `--dry-run` prints. */
export function renderDownPlan(plan: DownPlan, shellJoin: (argv: readonly string[]) => string): string {
  const lines = [`shipproof down: project ${plan.project} on ${plan.target}`];
  if (plan.backupFirst && 'services' in plan.backupFirst) {
    lines.push(`first: a fresh backup of ${plan.backupFirst.services.join(', ') || '(no stateful service)'}, each restore-rehearsed; nothing is removed unless all pass`);
  } else if (plan.backupFirst) {
    lines.push(`first: no backup (--force: ${plan.backupFirst.forced}); the reason is recorded`);
  }
  lines.push('takes the deploy lock, then:');
  if (plan.empty) lines.push('  nothing: no container, network or volume of the project is left');
  for (const s of plan.steps) lines.push(`  ${s.what}`, `    $ ${shellJoin(s.argv)}`);
  lines.push('keeps:');
  for (const k of plan.keeps) lines.push(`  ${k}`);
  for (const n of plan.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
