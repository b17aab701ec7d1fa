// The anti-pattern scan: debt markers (TODO, FIXME, XXX, HACK, PLACEHOLDER, TBD, "not implemented")
// in the chosen paths, each with file:line and a severity. Lock files, vendored code, binaries and
// shipproof's own reports are skipped. A line that looks like it holds a secret is reported by
// position only; its text is never shown.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { classifyKeyName, redactor, shannonEntropy } from '../../redact/index.js';
import type { AntiPatternName, AntiPatternSeverity, AntiPatternsSpec } from '../schema.js';
import type { AntiPatternFinding, AntiPatternScan } from '../types.js';
import { matchesAny } from './glob.js';

export const ANTI_PATTERNS: readonly { name: AntiPatternName; regex: RegExp; severity: AntiPatternSeverity }[] = [
  { name: 'TODO', regex: /\bTODO\b/, severity: 'warning' },
  { name: 'FIXME', regex: /\bFIXME\b/, severity: 'warning' },
  { name: 'XXX', regex: /\bXXX\b/, severity: 'warning' },
  { name: 'HACK', regex: /\bHACK\b/, severity: 'warning' },
  { name: 'TBD', regex: /\bTBD\b/, severity: 'warning' },
  { name: 'PLACEHOLDER', regex: /\bPLACEHOLDER\b/, severity: 'blocker' },
  { name: 'not implemented', regex: /\bnot (?:yet )?implemented\b|\bNotImplemented(?:Error|Exception)?\b|\b(?:unimplemented|todo)!\s*\(/i, severity: 'blocker' },
];

/** Folders of code someone else wrote (or tools fetched). */
const VENDORED_DIRS = new Set(['node_modules', 'vendor', 'third_party', 'third-party', 'bower_components', 'jspm_packages', '.yarn', 'Pods', '.venv', 'venv', '__pycache__', '.git', '.hg', '.svn']);
const LOCK_FILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'Gemfile.lock',
  'composer.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'go.sum',
  'flake.lock',
  'mix.lock',
  'packages.lock.json',
  'shipproof.lock',
]);
/** Generated or minified files: vendored in all but name. */
const GENERATED = /\.(min\.js|min\.css|map)$/;
const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_LINE_CHARS = 4000;
const EXCERPT_CHARS = 100;

export interface ScanOptions {
  rootDir: string;
  spec: AntiPatternsSpec;
  /** Absolute files and folders never scanned (the evidence folder, the reports, the must-haves). */
  skip: readonly string[];
}

export function isLockFile(name: string): boolean {
  return LOCK_FILES.has(name) || name.endsWith('.lock');
}

/** A line that may hold a secret: the redactor would change it, it assigns to a secret-sounding name, or it carries a long random token. */
export function lineLooksSecret(line: string): boolean {
  if (redactor.scan(line).length > 0) return true;
  for (const m of line.matchAll(/([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?([^\s"',;]+)/g)) {
    if (classifyKeyName(m[1] as string).secret && (m[2] as string).length >= 4) return true;
  }
  return line.split(/[^A-Za-z0-9+/=_-]+/).some((t) => t.length >= 24 && /\d/.test(t) && /[A-Za-z]/.test(t) && shannonEntropy(t) >= 4);
}

export function scanText(text: string, file: string, spec: AntiPatternsSpec): AntiPatternFinding[] {
  const findings: AntiPatternFinding[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX_LINE_CHARS) return;
    for (const p of ANTI_PATTERNS) {
      if (!p.regex.test(line)) continue;
      const trimmed = line.trim();
      findings.push({
        file,
        line: i + 1,
        pattern: p.name,
        severity: spec.severity[p.name] ?? p.severity,
        ...(lineLooksSecret(line) ? {} : { excerpt: trimmed.length > EXCERPT_CHARS ? `${trimmed.slice(0, EXCERPT_CHARS - 1)}…` : trimmed }),
      });
    }
  });
  return findings;
}

export async function scanAntiPatterns(o: ScanOptions): Promise<AntiPatternScan> {
  const scan: AntiPatternScan = {
    paths: o.spec.paths,
    missing: [],
    filesScanned: 0,
    skipped: { lockFiles: 0, vendored: 0, binary: 0, large: 0, excluded: 0 },
    findings: [],
  };
  const skip = new Set(o.skip.map((p) => path.resolve(p)));
  const seen = new Set<string>();
  const rel = (abs: string) => path.relative(o.rootDir, abs).split(path.sep).join('/');

  const visitFile = async (abs: string) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    const name = path.basename(abs);
    if (skip.has(abs) || matchesAny(rel(abs), o.spec.exclude)) return void scan.skipped.excluded++;
    if (isLockFile(name)) return void scan.skipped.lockFiles++;
    if (GENERATED.test(name)) return void scan.skipped.vendored++;
    const info = await stat(abs);
    if (info.size > MAX_FILE_BYTES) return void scan.skipped.large++;
    const bytes = await readFile(abs);
    if (bytes.subarray(0, 8192).includes(0)) return void scan.skipped.binary++;
    scan.filesScanned++;
    scan.findings.push(...scanText(bytes.toString('utf8'), rel(abs), o.spec));
  };

  const visitDir = async (abs: string): Promise<void> => {
    if (skip.has(abs) || matchesAny(rel(abs), o.spec.exclude)) return void scan.skipped.excluded++;
    const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const child = path.join(abs, entry.name);
      // Symlinks are not followed: they lead out of the project or round in circles.
      if (entry.isDirectory()) {
        if (VENDORED_DIRS.has(entry.name)) scan.skipped.vendored++;
        else await visitDir(child);
      } else if (entry.isFile()) {
        await visitFile(child);
      }
    }
  };

  for (const p of o.spec.paths) {
    const abs = path.resolve(o.rootDir, p);
    const info = await stat(abs).catch(() => undefined);
    if (info === undefined) {
      scan.missing.push(p);
      continue;
    }
    if (info.isDirectory()) await visitDir(abs);
    else if (info.isFile()) await visitFile(abs);
  }
  return scan;
}

/** Findings that count as gaps: blockers and warnings; info findings are listed only. */
export function blockingFindings(scan: AntiPatternScan | undefined): AntiPatternFinding[] {
  return scan?.findings.filter((f) => f.severity !== 'info') ?? [];
}
