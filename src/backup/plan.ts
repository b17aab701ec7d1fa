// The commands a backup run (milestone 9) and a deploy's restore rehearsal (milestone 10) execute,
// as data for `--dry-run`: built by the same builders the run uses (backup/commands.ts, each
// engine's dumpCommand, the pipeline and put commands), every value known locally filled in;
// `<…>` marks what only the server knows (container names, backup ids with their time stamp,
// scratch names). Secrets never appear: the dump scripts read them inside the container.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { detectStatefulServices } from '../compose/stateful.js';
import { inspectContainersCommand, inspectImagesCommand, projectContainerIdsCommand } from '../docker/commands.js';
import { putFileCommand } from '../targets/file-commands.js';
import {
  containerMountsCommand,
  finalizeCommand,
  labelledResourcesCommand,
  listBackupsCommand,
  networkCreateCommand,
  pipelineCommand,
  prepareBackupsDirCommand,
  removeContainersCommand,
  removeFilesCommand,
  removeNetworksCommand,
  removeVolumesCommand,
  sha256Command,
  startContainersCommand,
  stopContainersCommand,
} from './commands.js';
import { engineSpec } from './engines/index.js';
import type { LiveService } from './engines/types.js';
import { dataSourceExistsCommand } from './live.js';
import { lastRunName } from './naming.js';
import { rehearsalExpiryCommand, REHEARSAL_EXPIRES_LABEL, REHEARSAL_LABEL } from './scratch.js';
import { resolveBackupSettings } from './settings.js';
import { joinPath } from './store.js';

export interface PlannedBackupCommand {
  argv: string[];
  note?: string;
  serverOnly?: boolean;
  when?: string;
}

export interface BackupPlanInput {
  config: ResolvedConfig;
  target: ResolvedTarget;
  compose: ComposeModel;
}

/** A LiveService whose every server-known value is a placeholder, for an engine's dump builder. */
function placeholderLive(service: string, stateful: ReturnType<typeof detectStatefulServices>[number]): LiveService {
  const container = `<container of ${service}>`;
  return {
    stateful,
    container: { id: container, name: container, image: `<image of ${service}>`, imageId: `<image id of ${service}>`, running: true },
    volumes: stateful.volumes.map((v) => ({ name: v, volume: `<volume ${v} of ${service}>`, destination: `<mount point of ${v}>` })),
  };
}

// As streamToFile decides: gzip on the server (and its own tee writes the file) when it is reached over SSH.
const onServer = (t: ResolvedTarget): boolean => t.kind !== 'local';

/** Milestone 9: per stateful service, the commands `runBackups` runs, in order. */
export function backupRunPlan(i: BackupPlanInput): PlannedBackupCommand[] {
  const stateful = detectStatefulServices(i.compose, i.config.stateful);
  if (stateful.length === 0) return [];
  const settings = resolveBackupSettings(i.config);
  const dir = i.target.backupsDir;
  const out: PlannedBackupCommand[] = [
    { argv: prepareBackupsDirCommand(dir), note: 'the backups folder, mode 0700' },
    { argv: listBackupsCommand(dir), note: 'what is there already (names, retention, off-site state)' },
    { argv: projectContainerIdsCommand(i.config.project) },
    { argv: inspectContainersCommand(['<ids of the project containers>']), serverOnly: true },
  ];
  for (const s of stateful) {
    const spec = engineSpec(s.engine);
    const live = placeholderLive(s.service, s);
    const id = `<backup id of ${s.service}>`;
    const file = `<backup file of ${s.service}>`;
    const partial = joinPath(dir, `${file}.partial`);
    const helper = spec.helperImage ? `<helper image for ${s.engine}>` : undefined;
    out.push({ argv: containerMountsCommand(live.container!.id), serverOnly: true, note: `${s.service} (${s.engine}): ${spec.procedure}` });
    if (helper) {
      out.push({ argv: inspectImagesCommand([helper]), serverOnly: true });
      out.push({ argv: ['docker', 'pull', helper], serverOnly: true, when: 'only when the helper image is not on the server' });
    }
    if (!spec.needsRunningContainer) for (const v of live.volumes) out.push({ argv: dataSourceExistsCommand(v, s.engine === 'files' ? 'bind' : 'volume'), serverOnly: true });
    out.push({ argv: inspectImagesCommand([live.container!.imageId]), serverOnly: true });
    if (s.stop && !spec.needsRunningContainer) {
      out.push({ argv: stopContainersCommand(['<containers using its volumes>']), serverOnly: true, when: `${s.service} is stopped for a consistent copy` });
      out.push({ argv: startContainersCommand(['<containers using its volumes>']), serverOnly: true, when: 'started again after the copy' });
    }
    const labels = { 'shipproof.backup': id };
    const dump = spec.dumpCommand({ live, settings, labels, ...(helper ? { helper: { ref: helper, id: helper } } : {}) });
    const encrypted = settings.encryptTo.length > 0;
    const gzipOnServer = onServer(i.target);
    out.push({
      argv: pipelineCommand([dump], gzipOnServer ? { gzipLevel: settings.gzipLevel, ...(encrypted ? {} : { teeTo: partial }) } : {}),
      serverOnly: true,
      note: `the ${s.engine} dump of ${s.service}, streamed ${gzipOnServer ? 'gzipped on the server' : 'here, gzipped here'}${encrypted ? ', encrypted here (age)' : ''}, fingerprinted as it passes`,
    });
    if (!gzipOnServer || encrypted) out.push({ argv: putFileCommand(partial, 0o600, false), serverOnly: true, note: 'stdin: the compressed (and encrypted) backup' });
    out.push({ argv: sha256Command(partial), serverOnly: true, note: 'the stored file read back: its sha256 must be what was streamed' });
    out.push({ argv: putFileCommand(joinPath(dir, `${id}.sha256`), 0o600, false), serverOnly: true, note: 'stdin: the checksum line' });
    out.push({ argv: putFileCommand(joinPath(dir, `${id}.manifest.json`), 0o600, false), serverOnly: true, note: 'stdin: the manifest' });
    out.push({ argv: finalizeCommand(partial, joinPath(dir, file)), serverOnly: true, note: 'given its final name only when complete' });
    out.push({ argv: removeFilesCommand(dir, [`<partial files of ${s.service}>`]), serverOnly: true, when: 'only when the backup failed' });
    out.push({ argv: putFileCommand(joinPath(dir, lastRunName(s.service)), 0o600, false), note: 'stdin: the last run of this service' });
  }
  if (settings.offsite.length > 0) out.push({ argv: listBackupsCommand(dir), when: `before the off-site copies (${settings.offsite.length} destination(s); S3 uploads are not server commands)` });
  if (settings.keep !== undefined || settings.keepDays !== undefined) {
    out.push({ argv: listBackupsCommand(dir), when: 'retention, after every backup passed' });
    out.push({ argv: removeFilesCommand(dir, ['<files of each backup retention drops>']), serverOnly: true, when: 'retention, after every backup passed' });
  }
  return out;
}

/** Milestone 10: per backup taken, the commands a rehearsal runs around its engine's own restore. */
export function rehearsalPlan(i: BackupPlanInput): PlannedBackupCommand[] {
  const stateful = detectStatefulServices(i.compose, i.config.stateful);
  if (stateful.length === 0) return [];
  const dir = i.target.backupsDir;
  const scratch = '<rehearsal id>';
  const encrypted = resolveBackupSettings(i.config).encryptTo.length > 0;
  const labels = { [REHEARSAL_LABEL]: scratch, [REHEARSAL_EXPIRES_LABEL]: '<expiry, epoch seconds>' };
  const out: PlannedBackupCommand[] = [{ argv: listBackupsCommand(dir), note: 'find the backups milestone 9 took' }];
  for (const s of stateful) {
    const spec = engineSpec(s.engine);
    const id = `<backup id of ${s.service}>`;
    const file = `<backup file of ${s.service}>`;
    out.push({ argv: listBackupsCommand(dir) });
    out.push({ argv: sha256Command(joinPath(dir, file)), serverOnly: true, note: `${s.service} (${s.engine}): the file must match its manifest` });
    if (!spec.rehearse) {
      out.push({ argv: putFileCommand(joinPath(dir, `${id}.rehearsal.json`), 0o600, false), serverOnly: true, note: `no rehearsal procedure for ${s.engine} yet: recorded as not proved` });
      continue;
    }
    out.push({ argv: rehearsalExpiryCommand(), note: 'sweep scratch resources a crashed rehearsal left' });
    out.push({ argv: removeContainersCommand(['<expired scratch containers>']), serverOnly: true, when: 'only when some expired' });
    out.push({ argv: removeVolumesCommand(['<expired scratch volumes>']), serverOnly: true, when: 'only when some expired' });
    out.push({ argv: removeNetworksCommand(['<expired scratch networks>']), serverOnly: true, when: 'only when some expired' });
    out.push({ argv: ['docker', 'image', 'inspect', '--format', '{{.Id}}', `<restore image id of ${s.service}>`], serverOnly: true, note: 'the image the backup was taken with' });
    out.push({ argv: networkCreateCommand(`shipproof-rehearsal-${scratch}`, labels), serverOnly: true, note: 'internal network: no route out, no published ports' });
    const backupFile = joinPath(dir, file);
    // An encrypted backup is decrypted on this machine and fed on stdin; the file is read as it streams.
    const feed = (stages: readonly (readonly string[])[]): string[] => (encrypted ? pipelineCommand(stages, { feedStdin: true }) : pipelineCommand(stages, { feedFrom: backupFile }));
    for (const c of spec.rehearsalCommands?.(`<restore image id of ${s.service}>`, { network: `shipproof-rehearsal-${scratch}`, labels, name: (suffix) => `shipproof-rehearsal-${scratch}-${suffix}`, backupFile, feed }) ?? []) out.push({ ...c, serverOnly: true });
    out.push({ argv: labelledResourcesCommand(`${REHEARSAL_LABEL}=${scratch}`), serverOnly: true, note: 'what the rehearsal created, removed and checked gone' });
    out.push({ argv: removeContainersCommand(['<scratch containers>']), serverOnly: true });
    out.push({ argv: removeVolumesCommand(['<scratch volumes>']), serverOnly: true, when: 'when it created volumes' });
    out.push({ argv: removeNetworksCommand(['<scratch network>']), serverOnly: true });
    out.push({ argv: putFileCommand(joinPath(dir, `${id}.rehearsal.json`), 0o600, false), serverOnly: true, note: 'stdin: the rehearsal record' });
  }
  return out;
}
