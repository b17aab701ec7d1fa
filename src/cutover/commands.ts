// Pure argv builders for the cut-over. Argv arrays only; the target quotes them. Unit-tested by
// exact comparison (test/unit/cutover-commands.test.ts).
import { composeCommand, type ComposeContext } from '../docker/commands.js';

/** Label filters both Compose v1 and v2 set: containers are found by labels, never by names. */
export function serviceContainerIdsCommand(project: string, service: string): string[] {
  return [
    'docker',
    'ps',
    '--quiet',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
    '--filter',
    'label=com.docker.compose.oneoff=False',
  ];
}

export function inspectCommand(ids: readonly string[]): string[] {
  return ['docker', 'container', 'inspect', ...ids];
}

/**
 * Starts `count` containers of the service beside the ones already running. `--no-recreate`
 * keeps the old containers as they are although their configuration differs (that is the point),
 * `--no-deps` leaves the other services alone, `--no-build`: the release's images exist already.
 */
export function scaleUpCommand(ctx: ComposeContext, service: string, count: number | string): string[] {
  return composeCommand(ctx, ['up', '--detach', '--no-deps', '--no-build', '--no-recreate', '--scale', `${service}=${count}`, service]);
}

/** The plain compose way: recreate the service's containers when its configuration changed (or always with force). */
export function recreateCommand(ctx: ComposeContext, service: string, replicas: number, force = false): string[] {
  return composeCommand(ctx, ['up', '--detach', '--no-deps', '--no-build', ...(force ? ['--force-recreate'] : []), '--scale', `${service}=${replicas}`, service]);
}

/** SIGTERM, then SIGKILL after `seconds`. */
export function stopContainersCommand(ids: readonly string[], seconds: number | string): string[] {
  return ['docker', 'stop', '--time', typeof seconds === 'number' ? String(Math.max(0, Math.ceil(seconds))) : seconds, ...ids];
}

export function removeContainersCommand(ids: readonly string[]): string[] {
  return ['docker', 'rm', ...ids];
}

/** The proxy's running configuration, as Caddy's JSON, adapted from the Caddyfile the container reads. */
export function caddyAdaptCommand(proxy: string, configPath: string, adapter = 'caddyfile'): string[] {
  return ['docker', 'exec', proxy, 'caddy', 'adapt', '--config', configPath, '--adapter', adapter];
}

/**
 * A graceful reload (Caddy's POST /load) with a JSON config sent on stdin: it never lands on a
 * disk, since an adapted config can hold values from the proxy's environment.
 */
export function caddyLoadStdinCommand(proxy: string): string[] {
  return ['docker', 'exec', '--interactive', proxy, 'caddy', 'reload', '--config', '/dev/stdin', '--force'];
}

/** Back to the user's own proxy configuration (the Caddyfile the container mounts). */
export function caddyReloadFileCommand(proxy: string, configPath: string, adapter = 'caddyfile'): string[] {
  return ['docker', 'exec', proxy, 'caddy', 'reload', '--config', configPath, '--adapter', adapter, '--force'];
}

/**
 * Caddy re-opens its listening sockets on every config reload (SO_REUSEPORT) and closes the old
 * ones; Linux resets the connections still queued on a closed one unless tcp_migrate_req hands
 * them to the new socket. A per-network-namespace setting: this reads the proxy's own.
 */
export const TCP_MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

export function listenerMigrationReadCommand(proxy: string): string[] {
  return ['docker', 'exec', proxy, 'cat', TCP_MIGRATE_REQ];
}

/**
 * Turns it on in the proxy's network namespace only, from a throwaway container of the proxy's
 * own image (no pull) joined to that namespace; `systempaths=unconfined` makes /proc/sys writable
 * there, without --privileged.
 */
export function listenerMigrationEnableCommand(proxy: string, image: string): string[] {
  return ['docker', 'run', '--rm', '--pull', 'never', '--network', `container:${proxy}`, '--security-opt', 'systempaths=unconfined', '--entrypoint', 'sh', image, '-c', `echo 1 > ${TCP_MIGRATE_REQ}`];
}

// GET <admin>/reverse_proxy/upstreams from inside the proxy: wget (the official Alpine image),
// curl, or bash's /dev/tcp (Debian-based images without either). A fixed script; the address is
// passed as arguments.
const UPSTREAMS_SCRIPT = [
  'u="http://$1:$2/reverse_proxy/upstreams"',
  'if command -v wget >/dev/null 2>&1; then exec wget -qO- "$u"; fi',
  'if command -v curl >/dev/null 2>&1; then exec curl -fsS "$u"; fi',
  `exec bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "GET /reverse_proxy/upstreams HTTP/1.0\\r\\nHost: %s:%s\\r\\n\\r\\n" "$0" "$1" >&3 && cat <&3' "$1" "$2"`,
].join('\n');

/** Caddy's view of its upstreams: address, requests in flight to it (num_requests), fails. */
export function caddyUpstreamsCommand(proxy: string, host: string, port: number | string): string[] {
  return ['docker', 'exec', proxy, 'sh', '-c', UPSTREAMS_SCRIPT, 'sh', host, String(port)];
}
