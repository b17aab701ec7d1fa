// A recording fake of one Docker host for cut-over decisions: containers by compose service with
// addresses and health, Caddy's adapt/reload and admin API, the proxy's tcp_migrate_req and curl answers. Every argv is recorded;
// nothing runs. Only the commands the cut-over uses are understood; anything else fails loudly.
import type { CutoverResult, CutoverRun } from '../../src/cutover/types.js';

export interface FakeContainer {
  id: string;
  service: string;
  ip: string;
  state: 'running' | 'exited' | 'restarting';
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  exitCode?: number;
}

export interface FakeOptions {
  project: string;
  proxyService?: string;
  /** Caddy's adapted JSON config. */
  caddyConfig?: unknown;
  /** What a new container of the service looks like when it starts. */
  newHealth?: FakeContainer['health'];
  newState?: FakeContainer['state'];
  /** Requests in flight to the old containers on successive reads of Caddy's admin API. */
  inFlight?: number[];
  /** tcp_migrate_req in the proxy's network namespace at the start ('0' when unset). */
  migrateReq?: '0' | '1';
  /** Exit code of the throwaway container that turns tcp_migrate_req on. */
  migrateEnableExit?: number;
  /** Exit code of `caddy reload` from stdin (the pin), per call. */
  reloadExit?: number[];
  /** The proxy's admin API cannot be read from inside its container. */
  noAdmin?: boolean;
  curlStatus?: number;
}

const ok = (stdout = ''): CutoverResult => ({ exitCode: 0, stdout, stderr: '', timedOut: false });
const fail = (stderr: string, exitCode = 1): CutoverResult => ({ exitCode, stdout: '', stderr, timedOut: false });

export class FakeDockerHost {
  readonly calls: { argv: string[]; stdin?: string }[] = [];
  readonly containers: FakeContainer[] = [];
  /** Configs Caddy was given on stdin, parsed. */
  readonly loaded: unknown[] = [];
  reloadsFromFile = 0;
  private seq = 0;
  private adminReads = 0;
  migrateReq: '0' | '1' = '0';
  private stdinReloads = 0;

  constructor(readonly o: FakeOptions) {
    this.migrateReq = o.migrateReq ?? '0';
  }

  add(service: string, c: Partial<FakeContainer> = {}): FakeContainer {
    const n = ++this.seq;
    const box: FakeContainer = { id: `${service}${n}`.padEnd(12, '0'), service, ip: `172.20.0.${n + 10}`, state: 'running', health: 'healthy', ...c };
    this.containers.push(box);
    return box;
  }

  running(service: string): FakeContainer[] {
    return this.containers.filter((c) => c.service === service && c.state !== 'exited');
  }

  readonly run: CutoverRun = async (argv, o) => {
    this.calls.push({ argv: [...argv], ...(o?.stdin !== undefined ? { stdin: o.stdin } : {}) });
    return this.answer([...argv], o?.stdin);
  };

  private answer(a: string[], stdin?: string): CutoverResult {
    const label = (k: string): string | undefined => a.find((x) => x.startsWith(`label=com.docker.compose.${k}=`))?.split('=').slice(2).join('=');
    if (a[0] === 'docker' && a[1] === 'ps') {
      return ok(this.containers.filter((c) => c.state !== 'exited' && c.service === label('service')).map((c) => `${c.id}\n`).join(''));
    }
    if (a[0] === 'docker' && a[1] === 'container' && a[2] === 'inspect') {
      const found = a.slice(3).map((id) => this.containers.find((c) => c.id === id)).filter((c) => c !== undefined);
      return { ...ok(JSON.stringify(found.map((c) => this.inspect(c)))), exitCode: found.length === a.length - 3 ? 0 : 1 };
    }
    if (a[0] === 'docker-compose' || (a[0] === 'docker' && a[1] === 'compose')) {
      const svc = a[a.length - 1]!;
      const scale = Number(a[a.indexOf('--scale') + 1]!.split('=')[1]);
      if (a.includes('--no-recreate')) {
        while (this.running(svc).length < scale) this.add(svc, { health: this.o.newHealth ?? 'healthy', state: this.o.newState ?? 'running' });
      } else {
        for (const c of this.running(svc)) c.state = 'exited';
        for (let i = 0; i < scale; i++) this.add(svc, { health: this.o.newHealth ?? 'healthy' });
      }
      return ok();
    }
    if (a[0] === 'docker' && a[1] === 'stop') return ok();
    if (a[0] === 'docker' && a[1] === 'run' && a.some((x) => x.startsWith('container:')) && a.at(-1) === 'echo 1 > /proc/sys/net/ipv4/tcp_migrate_req') {
      if ((this.o.migrateEnableExit ?? 0) !== 0) return fail('docker: Error response from daemon', this.o.migrateEnableExit);
      this.migrateReq = '1';
      return ok();
    }
    if (a[0] === 'docker' && a[1] === 'rm') {
      for (const id of a.slice(2)) {
        const i = this.containers.findIndex((c) => c.id === id);
        if (i >= 0) this.containers.splice(i, 1);
      }
      return ok();
    }
    if (a[0] === 'docker' && a[1] === 'exec') {
      const rest = a.slice(a[2] === '--interactive' ? 4 : 3);
      if (rest[0] === 'caddy' && rest[1] === 'adapt') return this.o.caddyConfig === undefined ? fail('no caddy', 127) : ok(JSON.stringify(this.o.caddyConfig));
      if (rest[0] === 'caddy' && rest[1] === 'reload' && rest[3] === '/dev/stdin') {
        const code = this.o.reloadExit?.[this.stdinReloads++] ?? 0;
        if (code !== 0) return fail('reload refused', code);
        this.loaded.push(JSON.parse(stdin ?? 'null'));
        return ok();
      }
      if (rest[0] === 'caddy' && rest[1] === 'reload') {
        this.reloadsFromFile++;
        return ok();
      }
      if (rest[0] === 'cat' && rest[1] === '/proc/sys/net/ipv4/tcp_migrate_req') return ok(`${this.migrateReq}\n`);
      if (rest[0] === 'sh' && rest[1] === '-c' && rest[2]!.includes('/reverse_proxy/upstreams')) {
        if (this.o.noAdmin) return fail('sh: 1: exec: bash: not found', 127);
        // The old addresses are the ones the last config kept in its never-matching route.
        const last = JSON.stringify(this.loaded.at(-1) ?? {});
        const kept = [...last.matchAll(/"match":\[\{"path":\[\]\}\],"handle":\[\{"handler":"reverse_proxy","upstreams":(\[[^\]]*\])/g)].flatMap((m) => (JSON.parse(m[1]!) as { dial: string }[]).map((u) => u.dial));
        const n = this.o.inFlight?.[this.adminReads++] ?? 0;
        const list = kept.map((dial, i) => ({ address: dial, num_requests: i === 0 ? n : 0, fails: 0 }));
        return ok(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(list)}\n`);
      }
    }
    if (a[0] === 'curl') {
      const status = this.o.curlStatus ?? 200;
      return ok(`{"status":"ok"}\nshipproof-http-status:${status} 0.004 0`);
    }
    throw new Error(`the fake docker host does not know: ${a.join(' ')}`);
  }

  private inspect(c: FakeContainer): unknown {
    const proxy = c.service === this.o.proxyService;
    return {
      Id: c.id,
      Name: `/${this.o.project}_${c.service}_${c.id}`,
      Image: 'sha256:0',
      RestartCount: 0,
      State: { Status: c.state, ExitCode: c.exitCode ?? 0, ...(c.health === 'none' ? {} : { Health: { Status: c.health } }) },
      Config: { Image: 'img', Labels: { 'com.docker.compose.project': this.o.project, 'com.docker.compose.service': c.service } },
      Path: proxy ? 'caddy' : 'node',
      Args: proxy ? ['run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'] : ['dist/web.js'],
      NetworkSettings: { Networks: { [`${this.o.project}_default`]: { IPAddress: c.ip } } },
    };
  }
}
