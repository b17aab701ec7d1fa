// The human view of a record, made only from its JSON. Pure and deterministic (no clock, no
// locale, no environment), so verify can re-render a record and compare bytes: the Markdown can
// never say something the signed JSON does not.
import { shellJoin } from '../shell/quote.js';
import type { CommandRecord, EvidencePredicate, EvidenceStatement, ObservationValue } from './predicate-schema.js';
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
  const head = headline(p);
  if (head !== undefined) out.push(`**${inline(head)}**`, '');
  out.push(`**Status: ${p.status.toUpperCase().replace('_', ' ')}** — ${countLine(p.results)}`, '');
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
  out.push(`Summary: ${countLine(p.results)}.`, '');

  if (p.changes !== undefined) out.push(...changesSection(p.changes));
  out.push('## What ran', '');
  if (p.results.length === 0) out.push('Nothing ran.', '');
  for (const r of p.results) {
    out.push(`### ${inline(r.id)} — ${inline(r.title)}`, '');
    // A summary line (a deploy record's row per milestone) points at the record holding the detail.
    const elsewhere = r.commands.length === 0 && r.durationMs === 0 && typeof r.observations['record'] === 'string' ? r.observations['record'] : undefined;
    if (elsewhere !== undefined) out.push(`${r.status}${r.gate ? ' (gate)' : ''}; its duration and commands are in record ${code(elsewhere)}.`, '');
    else if (r.durationMs === undefined) out.push(`${r.status}${r.gate ? ' (gate)' : ''}; not timed (no duration was measured for it).`, '');
    else out.push(`${r.status}${r.gate ? ' (gate)' : ''} in ${formatMs(r.durationMs)}.`, '');
    if (r.reason !== undefined && r.reason !== '') out.push(`Why: ${inline(r.reason)}`, '');
    if (elsewhere === undefined) {
      if (r.commands.length === 0) out.push('- No commands ran.');
      for (const c of r.commands) out.push(`- ${commandLine(c)}`);
    }
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

/** One plain sentence for records whose outcome is more than a status. */
export function headline(p: EvidencePredicate): string | undefined {
  if (p.rollback !== undefined) {
    const r = p.rollback;
    return r.serves ? `Rolled back from ${r.from ?? 'no release'} to ${r.to}: ${r.to} serves.` : `Rollback failed: nothing serves (tried to go from ${r.from ?? 'no release'} back to ${r.to}).`;
  }
  return undefined;
}

/** Gates and the other results counted apart, so the line cannot read against the status. */
function countLine(results: EvidencePredicate['results']): string {
  const gates = results.filter((r) => r.gate);
  const others = results.filter((r) => !r.gate);
  const line = (rs: typeof results) => {
    const c = { pass: 0, fail: 0, error: 0, skipped: 0 };
    for (const r of rs) c[r.status]++;
    return (['pass', 'fail', 'error', 'skipped'] as const)
      .filter((k) => c[k] > 0)
      .map((k) => `${c[k]} ${k === 'pass' ? 'passed' : k === 'fail' ? 'failed' : k}`)
      .join(', ');
  };
  if (results.length === 0) return 'no results';
  const g = gates.length === 0 ? 'no gates' : `${gates.length} ${plural(gates.length, 'gate')}: ${line(gates)}`;
  return others.length === 0 ? g : `${g}; ${others.length} other ${plural(others.length, 'result')} (not gates): ${line(others)}`;
}

function changesSection(c: NonNullable<EvidencePredicate['changes']>): string[] {
  const out = [`## What changed against release ${inline(c.against)}`, ''];
  const rows: [string, readonly string[]][] = [
    ['Files added', c.files.added],
    ['Files changed', c.files.changed],
    ['Files removed', c.files.removed],
    ['Service configurations changed', c.services],
    ['Images changed', c.images],
    ['Env files changed (fingerprint only)', c.env],
  ];
  const any = rows.filter(([, l]) => l.length > 0);
  const open = c.notCompared ?? [];
  if (any.length === 0) out.push(open.length === 0 ? 'Nothing changed.' : 'Nothing that was compared changed.');
  for (const [label, list] of any) out.push(`- ${label}: ${list.map((x) => code(x)).join(', ')}`);
  for (const n of open) out.push(`- Not compared: ${inline(n)}`);
  out.push('');
  return out;
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
