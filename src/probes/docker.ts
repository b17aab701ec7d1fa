// Docker engine version and daemon status, and the Compose version.
import { dockerVersionCommand, composeVersionCommand } from '../docker/commands.js';
import { parseComposeVersion, parseDockerVersion } from '../docker/parse.js';
import { fail, pass, type Probe } from './types.js';

export function dockerInfoCommand(): string[] {
  return ['docker', 'info', '--format', '{{json .}}'];
}

export const dockerEngineProbe: Probe = {
  id: 'docker-engine',
  title: 'Docker engine version',
  reads: 'the engine and API version reported by the daemon',
  gate: true,
  neverRecords: [],
  plan: () => [{ where: 'target', argv: dockerVersionCommand() }],
  async run(ctx) {
    const r = await ctx.run(dockerVersionCommand());
    if (r.exitCode === 127) return fail('docker is not installed');
    try {
      const v = parseDockerVersion(r.stdout);
      return pass({ engine: v.serverVersion, api: v.apiVersion ?? null, client: v.clientVersion ?? null, os: v.os ?? null, arch: v.arch ?? null });
    } catch {
      return fail('the Docker daemon is not answering');
    }
  },
};

export const dockerDaemonProbe: Probe = {
  id: 'docker-daemon',
  title: 'Docker daemon status',
  reads: 'daemon status: storage driver, cgroup driver, container and image counts, warnings',
  gate: true,
  neverRecords: ['registry credentials', 'container names of other projects'],
  plan: () => [{ where: 'target', argv: dockerInfoCommand() }],
  async run(ctx) {
    const r = await ctx.run(dockerInfoCommand());
    let info: Record<string, unknown>;
    try {
      info = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      return fail('docker info did not answer: the daemon is not running or not reachable');
    }
    const errors = Array.isArray(info.ServerErrors) ? info.ServerErrors.length : 0;
    const observations = {
      serverVersion: typeof info.ServerVersion === 'string' ? info.ServerVersion : null,
      storageDriver: typeof info.Driver === 'string' ? info.Driver : null,
      cgroupDriver: typeof info.CgroupDriver === 'string' ? info.CgroupDriver : null,
      containersRunning: typeof info.ContainersRunning === 'number' ? info.ContainersRunning : null,
      containersStopped: typeof info.ContainersStopped === 'number' ? info.ContainersStopped : null,
      images: typeof info.Images === 'number' ? info.Images : null,
      warnings: Array.isArray(info.Warnings) ? info.Warnings.length : 0,
      serverErrors: errors,
    };
    if (errors > 0 || observations.serverVersion === null) return fail('the Docker daemon reported errors', observations);
    return pass(observations);
  },
};

export const composeProbe: Probe = {
  id: 'compose',
  title: 'Docker Compose version',
  reads: 'whether `docker compose` (v2) or `docker-compose` (v1) is installed, and its version',
  gate: true,
  neverRecords: [],
  plan: () => [
    { where: 'target', argv: composeVersionCommand('v2') },
    { where: 'target', argv: composeVersionCommand('v1') },
  ],
  async run(ctx) {
    for (const flavor of ['v2', 'v1'] as const) {
      const r = await ctx.run(composeVersionCommand(flavor));
      const version = r.exitCode === 0 ? parseComposeVersion(r.stdout) : undefined;
      if (version) return pass({ flavor, version, command: flavor === 'v2' ? 'docker compose' : 'docker-compose' });
    }
    return fail('neither `docker compose` nor `docker-compose` is installed');
  },
};
