// The human view of a record, made only from its JSON. Pure and deterministic (no clock, no
// locale, no environment), so verify can re-render a record and compare bytes: the Markdown can
// never say something the signed JSON does not.
import { shellJoin } from '../shell/quote.js';
import type { CommandRecord, EvidenceStatement, ObservationValue } from './predicate-schema.js';
import { parseStatement, validateStatement } from './statement.js';

export function renderEvidenceMarkdown(statementJson: string | Buffer | EvidenceStatement): string {
  const st = typeof statementJson === 'string' || Buffer.isBuffer(statementJson) ? parseStatement(statementJson) : validateStatement(statementJson);
  const p = st.predicate;
  const out: string[] = [];

  out.push('---');
  out.push(`kind: ${yamlString(p.kind)}`);
  out.push(`title: ${yamlString(p.title)}`);
  out.push(`project: ${yamlString(p.project)}`);
  out.push(`target: ${yamlString(p.target.name)}`);
  out.push(`status: ${yamlString(p.status)}`);
  out.push(`startedAt: ${yamlString(p.startedAt)}`);
  out.push(`finishedAt: ${yamlString(p.finishedAt)}`);
  if (p.release !== undefined) out.push(`release: ${yamlString(p.release)}`);
  if (p.milestone !== undefined) out.push(`milestone: ${p.milestone.number}`, `milestoneId: ${yamlString(p.milestone.id)}`);
  out.push(`toolVersion: ${yamlString(p.toolVersion)}`);
  out.push('---', '');

  out.push(`# ${inline(p.title)}`, '');
  const gates = p.results.filter((r) => r.gate).length;
  out.push(
    `**Status: ${p.status.toUpperCase().replace('_', ' ')}** — ${summaryLine(p.summary)} ` +
      `(${p.results.length} ${plural(p.results.length, 'result')}, ${gates} ${plural(gates, 'gate')})`,
    '',
  );
  out.push(`- Project: ${inline(p.project)}`);
  out.push(`- Target: ${inline(p.target.name)}${p.target.description === '' ? '' : ` — ${inline(p.target.description)}`}`);
  if (p.release !== undefined) out.push(`- Release: ${inline(p.release)}`);
  if (p.milestone !== undefined) out.push(`- Milestone: ${p.milestone.number} (${inline(p.milestone.id)})`);
  out.push(`- Started: ${p.startedAt}`);
  out.push(`- Finished: ${p.finishedAt} (${formatMs(Date.parse(p.finishedAt) - Date.parse(p.startedAt))})`);
  out.push(`- Operator: ${inline(p.operator)}`);
  out.push(`- shipproof: ${inline(p.toolVersion)}`);
  if (p.approval !== undefined) {
    const a = p.approval;
    out.push(`- Approves: record #${a.seq} ${inline(a.record)} (.json sha256 \`${a.sha256}\`), reviewed by ${inline(a.reviewer)}`);
    if (a.note !== '') out.push(`- Review note: ${inline(a.note)}`);
  }
  out.push('');

  out.push('## Results', '');
  if (p.results.length === 0) {
    out.push('No results were recorded.', '');
  } else {
    out.push('| id | title | gate | status | why |', '| --- | --- | --- | --- | --- |');
    for (const r of p.results) {
      out.push(`| ${cell(r.id)} | ${cell(r.title)} | ${r.gate ? 'yes' : 'no'} | ${r.status} | ${cell(r.reason ?? '')} |`);
    }
    out.push('');
  }
  out.push(`Summary: ${summaryLine(p.summary)}.`, '');

  out.push('## What ran', '');
  if (p.results.length === 0) out.push('Nothing ran.', '');
  for (const r of p.results) {
    out.push(`### ${inline(r.id)} — ${inline(r.title)}`, '');
    out.push(`${r.status}${r.gate ? ' (gate)' : ''} in ${formatMs(r.durationMs)}.`, '');
    if (r.reason !== undefined && r.reason !== '') out.push(`Why: ${inline(r.reason)}`, '');
    if (r.commands.length === 0) out.push('- No commands ran.');
    for (const c of r.commands) out.push(`- ${commandLine(c)}`);
    const keys = Object.keys(r.observations).sort();
    if (keys.length > 0) {
      out.push('', 'Observations:', '');
      for (const k of keys) out.push(`- ${inline(k)}: ${observation(r.observations[k] ?? null)}`);
    }
    out.push('');
  }

  out.push('## Redacted', '');
  if (p.redactions.length === 0) {
    out.push('Nothing was redacted.', '');
  } else {
    out.push('| rule | count |', '| --- | --- |');
    for (const r of p.redactions) out.push(`| ${cell(r.rule)} | ${r.count} |`);
    out.push('');
  }

  out.push('## Not collected', '');
  if (p.notCollected.length === 0) out.push('Nothing was left out on purpose.');
  for (const n of p.notCollected) out.push(`- ${inline(n)}`);
  out.push('');

  if (p.notes !== undefined && p.notes.length > 0) {
    out.push('## Notes', '');
    for (const n of p.notes) out.push(`- ${inline(n)}`);
    out.push('');
  }

  out.push('## Subjects', '', '| name | sha256 |', '| --- | --- |');
  for (const s of st.subject) out.push(`| ${cell(s.name)} | \`${s.digest.sha256}\` |`);
  out.push('');

  return out.join('\n');
}

function summaryLine(s: { passed: number; failed: number; error: number; skipped: number }): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.error} error, ${s.skipped} skipped`;
}

function commandLine(c: CommandRecord): string {
  const exit = c.timedOut ? 'timed out' : c.exitCode === null ? 'killed' : `exit ${c.exitCode}`;
  const attempts = `${c.attempts} ${plural(c.attempts, 'attempt')}`;
  return (
    `${code(shellJoin(c.argv))} → ${exit} in ${formatMs(c.durationMs)}, ${attempts}; ` +
    `stdout ${c.stdout.bytes} bytes (sha256 \`${c.stdout.sha256}\`), stderr ${c.stderr.bytes} bytes (sha256 \`${c.stderr.sha256}\`)`
  );
}

function observation(v: ObservationValue): string {
  if (v === null) return '(none)';
  if (Array.isArray(v)) return v.length === 0 ? '(empty list)' : v.map((x) => code(x)).join(', ');
  if (typeof v === 'string') return code(v);
  return String(v);
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function formatMs(ms: number): string {
  const r = Math.round(ms);
  return r < 10_000 ? `${r} ms` : `${(r / 1000).toFixed(1)} s`;
}

/** A YAML double-quoted scalar; JSON string syntax is a subset of it. */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Text on one line of running Markdown (list item, heading). */
function inline(s: string): string {
  return escapeHtml(s).replace(/\r\n|\r|\n/g, ' ');
}

/** A table cell: `\` and `|` escaped, line breaks as <br>, so a value can't end the cell or the row. */
function cell(s: string): string {
  return escapeHtml(s)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, '<br>');
}

/** An inline code span that survives backticks and line breaks in the value. */
function code(s: string): string {
  const flat = s.replace(/\r\n|\r|\n/g, '⏎');
  const longest = Math.max(0, ...Array.from(flat.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat === '' ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
