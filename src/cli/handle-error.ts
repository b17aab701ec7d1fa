// The one top-level handler: maps any error to one clear message and an exit code.
// 0 ok, 1 a check failed, 2 bad input or usage. Stack traces only with --debug.
import { ConfigError, ExitCode, formatLocation, isShipproofError, type ShipproofError } from '../errors.js';
import { redactedJson, redactText } from '../redact/index.js';

export interface ErrorReport {
  code: string;
  message: string;
  location?: string;
  hint?: string;
}

function reportOf(e: ShipproofError): ErrorReport {
  const r: ErrorReport = { code: e.code, message: e.message };
  if (e.location) r.location = formatLocation(e.location);
  if (e.hint) r.hint = e.hint;
  return r;
}

export function handleError(e: unknown, o: { json: boolean; debug: boolean }, err: NodeJS.WritableStream = process.stderr): number {
  if (!isShipproofError(e)) {
    const message = e instanceof Error ? e.message : String(e);
    if (o.json) {
      const report: ErrorReport = { code: 'unexpected', message: `unexpected failure: ${message}`, hint: 'run again with --debug to see where it happened, and report it.' };
      err.write(`${redactedJson({ error: report, more: [] })}\n`);
      if (o.debug && e instanceof Error && e.stack) err.write(redactText(`${e.stack}\n`));
      return ExitCode.checkFailed;
    }
    err.write(redactText(`error: unexpected failure: ${message}\n`));
    if (o.debug && e instanceof Error && e.stack) err.write(redactText(`${e.stack}\n`));
    else err.write('hint: run again with --debug to see where it happened, and report it.\n');
    return ExitCode.checkFailed;
  }
  const reports = [reportOf(e), ...(e instanceof ConfigError ? e.more.map(reportOf) : [])];
  if (o.json) {
    err.write(`${redactedJson({ error: reports[0], more: reports.slice(1) })}\n`);
  } else {
    for (const r of reports) {
      // A message that starts with its own file:line (as the issue-17 wording does) is not prefixed twice.
      const where = r.location && !r.message.startsWith(r.location) ? `${r.location}: ` : '';
      err.write(redactText(`error: ${where}${r.message}\n`));
      if (r.hint) err.write(redactText(`  hint: ${r.hint}\n`));
    }
  }
  if (o.debug && e.stack) err.write(redactText(`${e.stack}\n`));
  return e.exitCode;
}
