// A key link: the file that must wire one part to another contains the pattern that does it.
import type { KeyLinkSpec } from '../schema.js';
import type { CheckOutcome } from '../types.js';
import { lineOf, readProjectFile } from './files.js';

export async function checkKeyLink(spec: KeyLinkSpec, rootDir: string): Promise<CheckOutcome> {
  const started = Date.now();
  const done = (status: CheckOutcome['status'], label: string, detail: string, observations: CheckOutcome['observations'] = {}): CheckOutcome => ({
    kind: 'key-link',
    id: spec.id,
    subject: `${spec.from} → ${spec.to}`,
    status,
    label,
    detail,
    durationMs: Date.now() - started,
    observations: { from: spec.from, ...observations },
    commands: [],
    evidence: [],
  });
  const read = await readProjectFile(rootDir, spec.from);
  if (read.state === 'missing' || read.state === 'folder') return done('fail', 'MISSING', `${spec.from} does not exist`, { exists: false });
  if (read.state === 'unreadable') return done('error', 'ERROR', `${spec.from} could not be read (${read.code})`);
  const index = spec.pattern !== undefined ? (new RegExp(spec.pattern, 'm').exec(read.text)?.index ?? -1) : read.text.indexOf(spec.text as string);
  const what = spec.pattern !== undefined ? `/${spec.pattern}/` : JSON.stringify(spec.text);
  if (index < 0) return done('fail', 'NOT WIRED', `no match for ${what} in ${spec.from}`, { exists: true, found: false });
  const line = lineOf(read.text, index);
  return done('pass', 'WIRED', `${what} at line ${line} of ${spec.from}`, { exists: true, found: true, line });
}
