// The swarm target's release history on the manager: <appDir>/.shipproof/swarm-state.json.
import { Readable } from 'node:stream';
import { posix } from 'node:path';
import type { Layout } from '../deploy/layout.js';
import type { Target } from '../targets/target.js';
import type { Expected } from './observe.js';

export interface SwarmRelease {
  id: string;
  stackFile: string;
  status: 'healthy' | 'failed';
  at: string;
  expected: Record<string, Expected>;
  objects?: string[];
}

export interface SwarmState {
  current?: string;
  lastGood?: string;
  releases: SwarmRelease[];
}

export const swarmStateFile = (l: Layout): string => posix.join(l.metaDir, 'swarm-state.json');

export async function readSwarmState(t: Target, l: Layout): Promise<SwarmState> {
  const r = await t.exec(['cat', '--', swarmStateFile(l)], { reject: false });
  if (r.exitCode !== 0 || r.stdout.trim() === '') return { releases: [] };
  return JSON.parse(r.stdout) as SwarmState;
}

export async function writeSwarmState(t: Target, l: Layout, s: SwarmState): Promise<void> {
  await t.putStream(Readable.from([Buffer.from(`${JSON.stringify(s, null, 2)}\n`)]), swarmStateFile(l), { mode: 0o600, mkdirs: true });
}
