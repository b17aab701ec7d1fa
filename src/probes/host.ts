// Host preflight: OS, kernel, arch, CPUs, memory, uptime, clock sync and skew against this machine.
import { fail, pass, type Probe } from './types.js';

// A fixed script (no input spliced in): prints key=value lines only.
const HOST_SCRIPT = [
  '. /etc/os-release 2>/dev/null; echo "os=${PRETTY_NAME:-unknown}"',
  'echo "kernel=$(uname -r)"',
  'echo "arch=$(uname -m)"',
  'echo "cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"',
  "echo \"mem_total_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)\"",
  "echo \"mem_available_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)\"",
  "echo \"uptime_s=$(cut -d' ' -f1 /proc/uptime)\"",
  'echo "ntp_synced=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown)"',
  'echo "epoch_ms=$(date -u +%s%3N)"',
].join('; ');

export function hostCommand(): string[] {
  return ['sh', '-c', HOST_SCRIPT];
}

export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Clock skew beyond this breaks TLS validation and makes evidence timestamps lie. */
export const MAX_CLOCK_SKEW_MS = 60_000;

export const hostProbe: Probe = {
  id: 'host',
  title: 'Host preflight',
  reads: 'OS release, kernel, architecture, CPU count, memory, uptime, clock sync and skew',
  gate: true,
  neverRecords: ['hostnames of other machines', 'process lists'],
  plan: () => [{ where: 'target', argv: hostCommand() }],
  async run(ctx) {
    const before = Date.now();
    const r = await ctx.run(hostCommand());
    const after = Date.now();
    if (r.exitCode !== 0) return fail(`the host script exited with code ${r.exitCode}`);
    const kv = parseKeyValues(r.stdout);
    const remoteMs = Number(kv.epoch_ms);
    // The remote clock was read somewhere between before and after; take the midpoint.
    const skewMs = Number.isFinite(remoteMs) ? Math.round(remoteMs - (before + after) / 2) : null;
    const observations = {
      os: kv.os ?? 'unknown',
      kernel: kv.kernel ?? 'unknown',
      arch: kv.arch ?? 'unknown',
      cpus: Number(kv.cpus) || null,
      memTotalMiB: kv.mem_total_kb ? Math.round(Number(kv.mem_total_kb) / 1024) : null,
      memAvailableMiB: kv.mem_available_kb ? Math.round(Number(kv.mem_available_kb) / 1024) : null,
      uptimeSeconds: kv.uptime_s ? Math.round(Number(kv.uptime_s)) : null,
      ntpSynchronized: kv.ntp_synced ?? 'unknown',
      clockSkewMs: skewMs,
    };
    if (skewMs === null) return fail('could not read the host clock', observations);
    if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) {
      return fail(`the host clock is ${Math.round(skewMs / 1000)} s off this machine's (limit ${MAX_CLOCK_SKEW_MS / 1000} s)`, observations);
    }
    return pass(observations);
  },
};
