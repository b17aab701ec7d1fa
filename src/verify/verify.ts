// `shipproof verify`: runs every check the must-haves declare, judges them by the status rules
// (status.ts), and returns what was observed. Writing the report and recording it in the ledger
// are separate steps (report.ts), so a run can be inspected before anything is written.
import path from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { resolveTargetName } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import { EvidenceStore } from '../evidence/store.js';
import type { CreateTargetOptions } from '../targets/create.js';
import type { Target } from '../targets/target.js';
import { TOOL_VERSION } from '../version.js';
import { backAttestations, evaluateHumanItems, loadAttestations } from './attestations.js';
import { scanAntiPatterns } from './checks/anti-patterns.js';
import { checkArtifact } from './checks/artifact.js';
import { VerifyHosts } from './checks/hosts.js';
import { runHttpProbe } from './checks/http-probe.js';
import { checkKeyLink } from './checks/key-link.js';
import { checkMilestone, evidenceRef } from './checks/milestone.js';
import { runSpotCheck } from './checks/spot-check.js';
import { currentRelease } from './release.js';
import type { VerifySection } from './schema.js';
import { SETTINGS_FILE_NAME, type ProjectSettings } from './settings.js';
import { judge } from './status.js';
import type { AntiPatternScan, CheckOutcome, EvidenceRef, HumanOutcome, Verdict } from './types.js';

export interface VerifyOptions extends CreateTargetOptions {
  config: ResolvedConfig;
  settings: ProjectSettings;
  cwd: string;
  targetName?: string;
  /** Tests: a ready target instead of one built from the config. */
  target?: Target;
  now?: () => Date;
  operator?: string;
  /** Tests: how an attestation's evidence URL is checked. */
  urlAnswers?: (url: string) => Promise<boolean>;
}

export interface VerifyRun {
  spec: VerifySection;
  project: string;
  target: { name: string; description: string };
  release?: string;
  startedAt: string;
  finishedAt: string;
  /** The must-haves file, as shown to people, and the sha256 of its bytes. */
  mustHaves: { path: string; sha256: string };
  /** The attestation file; sha256 undefined when it does not exist. */
  attestations: { path: string; sha256?: string };
  checks: CheckOutcome[];
  antiPatterns?: AntiPatternScan;
  human: HumanOutcome[];
  verdict: Verdict;
  /** Every ledger record the verdict relied on, with the sha256 of its .json. */
  evidenceUsed: EvidenceRef[];
  toolVersion: string;
  operator: string;
}

/** The must-haves, or a usage error saying where to write them. */
export function requireMustHaves(settings: ProjectSettings): VerifySection {
  if (settings.verify !== undefined) return settings.verify;
  throw new UsageError(
    settings.path === undefined ? `No must-haves: ${SETTINGS_FILE_NAME} does not exist.` : `No must-haves: ${settings.shownPath ?? SETTINGS_FILE_NAME} has no verify: section.`,
    { hint: `Write a verify: section with phase:, truths: and the checks that back them (artifacts:, keyLinks:, spotChecks:, probes:, milestones:, human:) in ${SETTINGS_FILE_NAME}.` },
  );
}

/** Where the report goes by default: <output folder>/<phase>.md, relative to the project folder. */
export function defaultReportPath(config: ResolvedConfig, spec: VerifySection): string {
  return path.resolve(config.rootDir, spec.output, `${spec.phase}.md`);
}

export async function runVerify(o: VerifyOptions): Promise<VerifyRun> {
  const spec = requireMustHaves(o.settings);
  const now = o.now ?? (() => new Date());
  const resolved = resolveTargetName(o.config, o.targetName);
  // Bad input is reported before anything runs.
  const attestationFile = await loadAttestations(path.resolve(o.config.rootDir, spec.attestations), o.cwd, spec.human);
  const startedAt = now();

  const store = EvidenceStore.open(o.config.evidenceDir);
  let entries: LedgerEntry[] = [];
  let ledgerProblem: string | undefined;
  try {
    entries = await store.list();
  } catch (e) {
    ledgerProblem = e instanceof Error ? e.message : String(e);
  }
  const current = currentRelease(entries, resolved.name);

  const hosts = new VerifyHosts(resolved, o.config.rootDir, {
    ...(o.acceptNewHostKey === undefined ? {} : { acceptNewHostKey: o.acceptNewHostKey }),
    ...(o.target === undefined ? {} : { target: o.target }),
  });
  const checks: CheckOutcome[] = [];
  let antiPatterns: AntiPatternScan | undefined;
  try {
    const fileChecks = Promise.all([
      ...spec.artifacts.map((a) => checkArtifact(a, o.config.rootDir)),
      ...spec.keyLinks.map((k) => checkKeyLink(k, o.config.rootDir)),
    ]);
    // Spot-checks one after another: two test suites at once may fight over ports or files.
    const spotChecks = (async () => {
      const out: CheckOutcome[] = [];
      for (const s of spec.spotChecks) out.push(await runSpotCheck(s, hosts));
      return out;
    })();
    const probes = Promise.all(spec.probes.map((p) => runHttpProbe(p, hosts)));
    const milestones = Promise.all(
      spec.milestones.map((m) =>
        ledgerProblem === undefined
          ? checkMilestone(m, { store, entries, target: resolved.name, ...(current === undefined ? {} : { release: current.release }) })
          : Promise.resolve(ledgerError(m.id, m.milestone, ledgerProblem)),
      ),
    );
    const scan =
      spec.antiPatterns === undefined
        ? Promise.resolve(undefined)
        : scanAntiPatterns({
            rootDir: o.config.rootDir,
            spec: spec.antiPatterns,
            skip: [
              o.config.evidenceDir,
              path.resolve(o.config.rootDir, spec.output),
              path.resolve(o.config.rootDir, spec.attestations),
              path.resolve(o.config.rootDir, o.settings.handover.path),
              ...(o.settings.path === undefined ? [] : [o.settings.path]),
            ],
          });
    const [files, spots, probeOutcomes, milestoneOutcomes, scanned] = await Promise.all([fileChecks, spotChecks, probes, milestones, scan]);
    checks.push(...files, ...spots, ...probeOutcomes, ...milestoneOutcomes);
    antiPatterns = scanned;
  } finally {
    await hosts.close();
  }

  const backing = await backAttestations(attestationFile.attestations, { rootDir: o.config.rootDir, evidenceDir: o.config.evidenceDir, ...(o.urlAnswers === undefined ? {} : { urlAnswers: o.urlAnswers }) });
  const human = evaluateHumanItems(spec.human, attestationFile.attestations, startedAt, backing);
  const verdict = judge({ truths: spec.truths, checks, human, ...(antiPatterns === undefined ? {} : { antiPatterns }) });
  const used = new Map<number, EvidenceRef>();
  if (current !== undefined && spec.milestones.length > 0) used.set(current.entry.seq, evidenceRef(current.entry));
  for (const c of checks) for (const e of c.evidence) used.set(e.seq, e);

  return {
    spec,
    project: o.config.project,
    target: { name: resolved.name, description: resolved.kind === 'ssh' ? `${resolved.user}@${resolved.host}:${resolved.port}` : 'this machine' },
    ...(current === undefined ? {} : { release: current.release }),
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    mustHaves: { path: o.settings.shownPath ?? SETTINGS_FILE_NAME, sha256: o.settings.sha256 ?? '' },
    attestations: { path: attestationFile.shownPath, ...(attestationFile.sha256 === undefined ? {} : { sha256: attestationFile.sha256 }) },
    checks,
    ...(antiPatterns === undefined ? {} : { antiPatterns }),
    human,
    verdict,
    evidenceUsed: [...used.values()].sort((a, b) => a.seq - b.seq),
    toolVersion: TOOL_VERSION,
    operator: o.operator ?? 'unknown',
  };
}

function ledgerError(id: string, milestone: number, problem: string): CheckOutcome {
  return {
    kind: 'milestone',
    id,
    subject: `milestone ${milestone}`,
    status: 'error',
    label: 'ERROR',
    detail: `the evidence ledger could not be read: ${problem}`,
    durationMs: 0,
    observations: { milestone },
    commands: [],
    evidence: [],
  };
}
