// Lint findings for people: one block per finding (file:line:column, severity, rule, what), then
// why and how to fix; a summary line; every rule the project switched off, with its reason.
import { formatLocation } from '../errors.js';
import type { LintReport } from './lint.js';

export function renderLintReport(report: LintReport, paint: (color: 'red' | 'yellow' | 'green' | 'dim', s: string) => string = (_c, s) => s): string {
  const out: string[] = [];
  for (const f of report.findings) {
    const sev = f.severity === 'error' ? paint('red', 'error') : paint('yellow', 'warning');
    out.push(`${formatLocation(f.location)}  ${sev}  ${f.rule}  ${f.message}`);
    out.push(`  why: ${f.why}`);
    out.push(`  fix: ${f.fix}`);
    out.push('');
  }
  const checked = report.target === undefined ? '' : ` (env files checked on ${report.target})`;
  if (report.findings.length === 0) out.push(`${paint('green', 'ok')}: no findings${checked}.`);
  else out.push(`${report.errors} ${report.errors === 1 ? 'error' : 'errors'}, ${report.warnings} ${report.warnings === 1 ? 'warning' : 'warnings'}${checked}.`);
  for (const s of report.switchedOff) {
    const scope = s.services === undefined ? '' : ` for ${s.services.join(', ')}`;
    const hidden = s.hidden > 0 ? `, hid ${s.hidden} ${s.hidden === 1 ? 'finding' : 'findings'}` : '';
    out.push(paint('dim', `switched off${scope}: ${s.rule} — ${s.reason}${hidden}`));
  }
  for (const c of report.severityChanged) out.push(paint('dim', `severity changed: ${c.rule} → ${c.severity} — ${c.reason}`));
  return out.join('\n');
}
