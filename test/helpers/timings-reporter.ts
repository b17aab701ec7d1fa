// Prints, after the run, how long each test file took (slowest first) and the total per folder
// (unit, integration), so CI shows where its time goes as heavier parts arrive. Figures only: no
// test passes or fails on time. Last, each failed test with the head of its error: CI keeps only
// the tail of the output, and that is where a failure must be readable.
import type { Reporter, TestModule } from 'vitest/node';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export default class TimingsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules.map((m) => {
      const d = m.diagnostic();
      const skipped = [...m.children.allTests('skipped')].length;
      return { file: m.relativeModuleId, ms: d.environmentSetupDuration + d.prepareDuration + d.collectDuration + d.setupDuration + d.duration, ok: m.ok(), skipped };
    });
    if (rows.length === 0) return;
    rows.sort((a, b) => b.ms - a.ms);
    const width = Math.max(...rows.map((r) => r.file.length));
    const lines = ['', '== test timings by file (slowest first; files run 2 at a time)'];
    for (const r of rows) lines.push(`  ${r.file.padEnd(width)}  ${seconds(r.ms).padStart(7)}${r.ok ? '' : '  FAILED'}${r.skipped ? `  (${r.skipped} skipped by design)` : ''}`);
    const folders = new Map<string, number>();
    for (const r of rows) {
      const folder = r.file.split('/').slice(0, 2).join('/');
      folders.set(folder, (folders.get(folder) ?? 0) + r.ms);
    }
    lines.push('== per folder (sum of file times)');
    for (const [folder, ms] of [...folders].sort()) lines.push(`  ${folder.padEnd(width)}  ${seconds(ms).padStart(7)}`);
    const failed = modules.flatMap((m) => [...m.children.allTests('failed')].map((t) => ({ file: m.relativeModuleId, t })));
    const broken = modules.filter((m) => !m.ok() && [...m.children.allTests('failed')].length === 0);
    if (failed.length > 0 || broken.length > 0) {
      lines.push(`== failed (${failed.length} test(s)${broken.length ? `, ${broken.length} file(s) that did not run` : ''})`);
      for (const { file, t } of failed) {
        lines.push(`  ${file} > ${t.fullName}`);
        for (const e of t.result().errors ?? []) lines.push(...head(e.message ?? String(e)));
      }
      for (const m of broken) {
        lines.push(`  ${m.relativeModuleId} (the file itself failed)`);
        for (const e of m.errors()) lines.push(...head(e.message ?? String(e)));
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** The first lines of an error message, colours stripped, each cut to a readable width. */
function head(message: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  return plain
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 4)
    .map((l) => `      ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`);
}
