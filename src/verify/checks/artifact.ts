// A required artifact: the file exists and is substantive — enough non-blank lines, no placeholder
// body, and each pattern it must contain is there.
import type { ArtifactSpec } from '../schema.js';
import type { CheckOutcome } from '../types.js';
import { lineOf, readProjectFile } from './files.js';

/** Bodies that say the work is not done. */
export const STUB_MARKERS: readonly { name: string; regex: RegExp }[] = [
  { name: 'not implemented', regex: /\bnot (?:yet )?implemented\b/i },
  { name: 'NotImplementedError', regex: /\bNotImplemented(?:Error|Exception)?\b/ },
  { name: 'unimplemented!()', regex: /\b(?:unimplemented|todo)!\s*\(/ },
  { name: 'PLACEHOLDER', regex: /\bPLACEHOLDER\b/ },
  { name: 'lorem ipsum', regex: /\blorem ipsum\b/i },
];

export async function checkArtifact(spec: ArtifactSpec, rootDir: string): Promise<CheckOutcome> {
  const started = Date.now();
  const done = (status: CheckOutcome['status'], label: string, detail: string, observations: CheckOutcome['observations'] = {}): CheckOutcome => ({
    kind: 'artifact',
    id: spec.id,
    subject: spec.path,
    status,
    label,
    detail,
    durationMs: Date.now() - started,
    observations: { path: spec.path, ...observations },
    commands: [],
    evidence: [],
  });
  const read = await readProjectFile(rootDir, spec.path);
  if (read.state === 'missing') return done('fail', 'MISSING', 'the file does not exist', { exists: false });
  if (read.state === 'folder') return done('fail', 'MISSING', 'this is a folder, not a file', { exists: false });
  if (read.state === 'unreadable') return done('error', 'ERROR', `the file could not be read (${read.code})`);
  const text = read.text;
  const lines = text.split('\n').filter((l) => l.trim() !== '').length;
  const observations = { exists: true, lines };
  if (lines < spec.minLines) {
    return done('fail', 'STUB', `${lines} non-blank ${lines === 1 ? 'line' : 'lines'}, fewer than the ${spec.minLines} a real implementation needs`, observations);
  }
  for (const marker of STUB_MARKERS) {
    const m = marker.regex.exec(text);
    if (m !== null) {
      const line = lineOf(text, m.index);
      return done('fail', 'STUB', `placeholder body: "${marker.name}" at line ${line}`, { ...observations, stubLine: line });
    }
  }
  const missing = spec.contains.filter((p) => !new RegExp(p, 'm').test(text));
  if (missing.length > 0) {
    return done('fail', 'INCOMPLETE', `${lines} lines, but no match for ${missing.map((p) => `/${p}/`).join(', ')}`, { ...observations, missing });
  }
  const found = spec.contains.map((p) => {
    const m = new RegExp(p, 'm').exec(text) as RegExpExecArray;
    return `/${p}/ at line ${lineOf(text, m.index)}`;
  });
  return done('pass', 'VERIFIED', `${lines} non-blank lines${found.length > 0 ? `; ${found.join(', ')}` : ''}`, observations);
}
