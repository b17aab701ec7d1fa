// Disk space per mount, and a gate on the filesystem that holds the app folder.
import { fail, pass, type Probe } from './types.js';

export const MIN_FREE_BYTES = 2 * 1024 ** 3;
export const MIN_FREE_PERCENT = 10;

export function dfAllCommand(): string[] {
  return ['df', '-P', '-k'];
}

/** df for the nearest existing ancestor of `path` (the app folder may not exist yet). */
export function dfPathCommand(path: string): string[] {
  return ['sh', '-c', 'd="$1"; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; df -P -k -- "$d"', 'shipproof-df', path];
}

export interface DfRow {
  filesystem: string;
  sizeKiB: number;
  usedKiB: number;
  availKiB: number;
  mount: string;
}

export function parseDf(text: string): DfRow[] {
  const rows: DfRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 6) continue;
    const [filesystem, size, used, avail] = parts;
    rows.push({
      filesystem: filesystem ?? '',
      sizeKiB: Number(size),
      usedKiB: Number(used),
      availKiB: Number(avail),
      mount: parts.slice(5).join(' '),
    });
  }
  return rows;
}

const PSEUDO_FS = /^(tmpfs|devtmpfs|overlay|shm|udev|none|proc|sysfs|cgroup2?)$/;

function human(kib: number): string {
  const gib = kib / 1024 ** 2;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(kib / 1024).toFixed(0)} MiB`;
}

export const diskProbe: Probe = {
  id: 'disk',
  title: 'Disk space',
  reads: `free space per mount; the app folder's filesystem must keep ${MIN_FREE_PERCENT}% and ${MIN_FREE_BYTES / 1024 ** 3} GiB free`,
  gate: true,
  neverRecords: ['file names or contents'],
  plan: (ctx) => [
    { where: 'target', argv: dfAllCommand() },
    { where: 'target', argv: dfPathCommand(ctx.target.appDir) },
  ],
  async run(ctx) {
    const [all, app] = await Promise.all([ctx.run(dfAllCommand()), ctx.run(dfPathCommand(ctx.target.appDir))]);
    const mounts = parseDf(all.stdout)
      .filter((r) => !PSEUDO_FS.test(r.filesystem) && r.sizeKiB > 0)
      .map((r) => `${r.mount}: ${human(r.availKiB)} free of ${human(r.sizeKiB)}`);
    const appRow = parseDf(app.stdout)[0];
    if (app.exitCode !== 0 || appRow === undefined) return fail('could not read the free space of the app folder', { mounts });
    const freePercent = Math.round((appRow.availKiB / Math.max(1, appRow.sizeKiB)) * 1000) / 10;
    const observations = {
      mounts,
      appMount: appRow.mount,
      appFreeBytes: appRow.availKiB * 1024,
      appFreePercent: freePercent,
    };
    if (appRow.availKiB * 1024 < MIN_FREE_BYTES || freePercent < MIN_FREE_PERCENT) {
      return fail(`only ${human(appRow.availKiB)} (${freePercent}%) free on ${appRow.mount}`, observations);
    }
    return pass(observations);
  },
};
