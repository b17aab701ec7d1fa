// What verify observed. Every field is an observation or says that nothing was observed: details
// are short sentences about what was seen (line numbers, exit codes, status codes), never file
// content, command output or response bodies.
import type { CommandRecord, ObservationValue } from '../evidence/predicate-schema.js';
import type { AntiPatternName, AntiPatternSeverity, Attestation, HumanItemSpec } from './schema.js';

export type CheckKind = 'artifact' | 'key-link' | 'spot-check' | 'probe' | 'milestone';
export type CheckStatus = 'pass' | 'fail' | 'error';

/** A ledger record a check relied on, named with the sha256 of its .json file. */
export interface EvidenceRef {
  seq: number;
  record: string;
  kind: string;
  status: string;
  time: string;
  sha256: string;
}

export interface CheckOutcome {
  kind: CheckKind;
  id: string;
  /** What was checked, for people: a path, "from → to", a behaviour, a URL, a milestone. */
  subject: string;
  status: CheckStatus;
  /** The word in the report's status column: VERIFIED, STUB, MISSING, WIRED, NOT WIRED, PASS, FAIL, ERROR. */
  label: string;
  /** What was observed, one short line. */
  detail: string;
  durationMs: number;
  observations: Record<string, ObservationValue>;
  commands: CommandRecord[];
  evidence: EvidenceRef[];
}

export interface AntiPatternFinding {
  /** Relative to the project folder, with "/". */
  file: string;
  line: number;
  pattern: AntiPatternName;
  severity: AntiPatternSeverity;
  /** The trimmed line, or undefined when it looks like it holds a secret. */
  excerpt?: string;
}

export interface AntiPatternScan {
  paths: string[];
  /** Paths that do not exist: nothing was scanned there. */
  missing: string[];
  filesScanned: number;
  skipped: { lockFiles: number; vendored: number; binary: number; large: number; excluded: number };
  findings: AntiPatternFinding[];
}

/** invalid: a sign-off exists but does not hold (unknown identity, missing or changed evidence). */
export type HumanState = 'needed' | 'attested' | 'expired' | 'failed' | 'invalid';

export interface HumanOutcome {
  spec: HumanItemSpec;
  state: HumanState;
  attestation?: Attestation;
  /** The signing identity the sign-off names, when it resolves. */
  identity?: { name: string; keyid: string };
  /** Why the sign-off does not hold (state invalid). */
  problem?: string;
}

export type TruthStatus = 'VERIFIED' | 'FAILED' | 'UNCERTAIN';

export interface TruthOutcome {
  number: number;
  id?: string;
  truth: string;
  checks: string[];
  status: TruthStatus;
  /** Why, from the checks it names. */
  evidence: string;
}

export type VerificationStatus = 'passed' | 'gaps_found' | 'human_needed';

export interface Verdict {
  status: VerificationStatus;
  score: { verified: number; total: number };
  truths: TruthOutcome[];
  /** Each failed check, blocking anti-pattern and failed sign-off, one line each. */
  gaps: string[];
  /** Human items that still need a person, and truths nothing automated backs. */
  open: string[];
}
