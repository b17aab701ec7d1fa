// Prints, after the run, how long each test file took (slowest first) and the total per folder
// (unit, integration), so CI shows where its time goes as heavier parts arrive. Figures only: no
// test passes or fails on time.
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
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
