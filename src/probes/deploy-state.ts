// The deploy state on the target, as `status` reads it: a collect run must not sign "passed"
// while the stack is DOWN (a rollback's gate failed) or runs a release that never passed its
// gate (a deploy interrupted by Ctrl-C or SIGKILL).
import { readFileCommand, readLinkCommand } from '../deploy/commands.js';
import { layout } from '../deploy/layout.js';
import { holderIsDead, type LockHolder } from '../deploy/lock.js';
import { stackHealth, type DeployState } from '../deploy/state.js';
import { fail, pass, skipped, type Probe } from './types.js';

export const deployStateProbe: Probe = {
  id: 'deploy-state',
  title: 'Deployed release passed its gate',
  reads: 'state.json, the live link and the deploy lock holder in the app folder',
  gate: true,
  neverRecords: ['env values'],
  plan: (ctx) => {
    const l = layout(ctx.target.appDir);
    return [
      { where: 'target', argv: readFileCommand(l.stateFile) },
      { where: 'target', argv: readLinkCommand(l.live) },
      { where: 'target', argv: readFileCommand(l.lockHolder) },
    ];
  },
  async run(ctx) {
    const l = layout(ctx.target.appDir);
    const [stateText, link, holderText] = await Promise.all([ctx.run(readFileCommand(l.stateFile)), ctx.run(readLinkCommand(l.live)), ctx.run(readFileCommand(l.lockHolder))]);
    if (stateText.stdout.trim() === '') return skipped('shipproof has not deployed to this target');
    let state: DeployState;
    try {
      state = JSON.parse(stateText.stdout) as DeployState;
    } catch {
      return fail(`${l.stateFile} is not valid JSON`);
    }
    let holder: LockHolder | undefined;
    try {
      holder = holderText.stdout.trim() ? (JSON.parse(holderText.stdout) as LockHolder) : undefined;
    } catch {
      holder = undefined;
    }
    const live = link.stdout.trim().startsWith('releases/') ? link.stdout.trim().slice('releases/'.length) : undefined;
    const holderAlive = holder !== undefined && !holderIsDead(holder);
    const verdict = stackHealth({ ...state, releases: state.releases ?? [] }, live, holderAlive);
    const observations = { health: verdict.health, current: state.current ?? null, live: live ?? null };
    if (state.inProgress && holderAlive) return fail(`a deploy of ${state.inProgress.release} is in progress: what runs has not passed its gate yet`, observations);
    if (verdict.health === 'down' || verdict.health === 'ungated') return fail(verdict.reason ?? verdict.health, observations);
    return verdict.health === 'none' ? skipped('no release is current', observations) : pass(observations, `release ${state.current} passed its health gate`);
  },
};
