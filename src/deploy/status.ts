// `shipproof status`: the milestone table of the release this source makes (from the ledger),
// the server's releases, and an honest word on the stack: healthy only when the current release
// passed its gate and nothing since says otherwise; DOWN after a failed rollback; "interrupted"
// (never "in progress") when the deploy that marked itself in progress is gone.
import { lockStatus } from './lock.js';
import { closeSession, openSession, type DeployOptions } from './session.js';
import { stackHealth, type DeployState, type StackHealth } from './state.js';
import { ledgerTable } from './guards.js';
import { readLinkCommand } from './commands.js';

export { stackHealth, type StackHealth } from './state.js';

export interface StatusReport {
  target: string;
  release: string;
  current?: string;
  lastKnownGood?: string;
  /** The release the stack runs from (the live link). */
  live?: string;
  health: StackHealth;
  healthReason?: string;
  releases: DeployState['releases'];
  milestones: Awaited<ReturnType<typeof ledgerTable>>['rows'];
  /** A deploy whose process is still alive. */
  inProgress?: DeployState['inProgress'];
  /** A deploy that marked itself in progress and is gone (killed): the next deploy reconciles it. */
  interrupted?: DeployState['inProgress'];
  down?: DeployState['down'];
}

export async function status(o: DeployOptions): Promise<StatusReport> {
  const s = await openSession({ ...o, noSignalHandlers: true });
  try {
    const table = await ledgerTable(s.config, s.target.name, s.release);
    const lock = await lockStatus(s.host, s.layout);
    const link = (await s.host.exec(readLinkCommand(s.layout.live), { reject: false, timeoutMs: 30_000 })).stdout.trim();
    const live = link.startsWith('releases/') ? link.slice('releases/'.length) : undefined;
    // The marker is live only while a lock is held by a process that has not died.
    const holderAlive = s.state.inProgress !== undefined && lock.held && !lock.stale;
    const verdict = stackHealth(s.state, live, holderAlive);
    return {
      target: s.target.name,
      release: s.release,
      ...(s.state.current ? { current: s.state.current } : {}),
      ...(s.state.lastKnownGood ? { lastKnownGood: s.state.lastKnownGood } : {}),
      ...(live ? { live } : {}),
      health: holderAlive ? 'ungated' : verdict.health,
      ...(holderAlive ? { healthReason: 'a deploy is in progress' } : verdict.reason ? { healthReason: verdict.reason } : {}),
      releases: s.state.releases,
      milestones: table.rows,
      ...(s.state.inProgress && holderAlive ? { inProgress: s.state.inProgress } : {}),
      ...(s.state.inProgress && !holderAlive ? { interrupted: s.state.inProgress } : {}),
      ...(s.state.down ? { down: s.state.down } : {}),
    };
  } finally {
    await closeSession(s);
  }
}
