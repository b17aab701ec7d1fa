// The keys a service may have, from the Compose specification's schema
// (compose-spec/compose-spec, schema/compose-spec.json: definitions.service.properties), plus
// `x-` extensions, which the spec allows anywhere. Compose refuses any other key ("Unsupported
// config option for services.<name>: '<key>'", v1 1.29 and v2 alike); keys the spec added after
// Compose v1 (develop, models, post_start, provider…) are accepted here, as the spec says.
import { didYouMean } from '../config/did-you-mean.js';
import { ConfigError, type SourceLocation } from '../errors.js';

export const SERVICE_KEYS: readonly string[] = [
  'annotations', 'attach', 'blkio_config', 'build', 'cap_add', 'cap_drop', 'cgroup', 'cgroup_parent', 'command', 'configs',
  'container_name', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period', 'cpu_rt_runtime', 'cpu_shares', 'cpus', 'cpuset',
  'credential_spec', 'depends_on', 'deploy', 'develop', 'device_cgroup_rules', 'devices', 'dns', 'dns_opt', 'dns_search', 'domainname',
  'entrypoint', 'env_file', 'environment', 'expose', 'extends', 'external_links', 'extra_hosts', 'gpus', 'group_add', 'healthcheck',
  'hostname', 'image', 'init', 'ipc', 'isolation', 'label_file', 'labels', 'links', 'logging', 'mac_address',
  'mem_limit', 'mem_reservation', 'mem_swappiness', 'memswap_limit', 'models', 'network_mode', 'networks', 'oom_kill_disable', 'oom_score_adj', 'pid',
  'pids_limit', 'platform', 'ports', 'post_start', 'pre_stop', 'privileged', 'profiles', 'provider', 'pull_policy', 'pull_refresh_after',
  'read_only', 'restart', 'runtime', 'scale', 'secrets', 'security_opt', 'shm_size', 'stdin_open', 'stop_grace_period', 'stop_signal',
  'storage_opt', 'sysctls', 'tmpfs', 'tty', 'ulimits', 'use_api_socket', 'user', 'userns_mode', 'uts', 'volumes',
  'volumes_from', 'working_dir',
];

const KNOWN = new Set(SERVICE_KEYS);

/** Undefined for a key the spec allows; else the error Compose would give, at the key, with a did-you-mean. */
export function unknownServiceKey(service: string, key: string, location: SourceLocation): ConfigError | undefined {
  if (KNOWN.has(key) || key.startsWith('x-')) return undefined;
  return new ConfigError(`Unsupported config option for services.${service}: '${key}'.`, {
    location,
    hint: `${guessOf(key)}Compose (v1 and v2) refuses a key the specification does not define; your own keys must start with "x-".`,
  });
}

function guessOf(key: string): string {
  const guess = didYouMean(key, SERVICE_KEYS);
  return guess === undefined ? '' : `Did you mean "${guess}"? `;
}
