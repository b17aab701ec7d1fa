// Reports: the verify reports (<verify.output>/*.md) and HANDOVER.md, rendered (raw HTML off,
// redacted). Only files from the list are ever read: the query names one by its list index.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { html, raw } from 'hono/html';
import { renderMarkdown } from '../markdown.js';
import { layout, when, type Html, type PageContext } from './layout.js';

export interface ReportFile {
  label: string;
  path: string;
  modified: string;
}

export interface ReportSources {
  verifyDir?: string;
  handover?: string;
}

export async function listReports(src: ReportSources): Promise<ReportFile[]> {
  const out: ReportFile[] = [];
  const add = async (path: string, label: string): Promise<void> => {
    const s = await stat(path).catch(() => undefined);
    if (s?.isFile()) out.push({ label, path, modified: s.mtime.toISOString() });
  };
  if (src.handover !== undefined) await add(src.handover, basename(src.handover));
  if (src.verifyDir !== undefined) {
    const names = await readdir(src.verifyDir).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith('.md')).sort()) await add(join(src.verifyDir, n), `verify report ${n}`);
  }
  return out;
}

export async function reportsPage(ctx: PageContext, files: ReportFile[], chosen: number): Promise<Html> {
  const file = files[chosen] ?? files[0];
  const text = file === undefined ? undefined : await readFile(file.path, 'utf8').catch(() => undefined);
  const body = html`${
    files.length === 0
      ? html`<p class="muted">No report yet: <code>shipproof verify</code> writes a verification report, <code>shipproof handover</code> writes HANDOVER.md.</p>`
      : html`<nav aria-label="Reports"><ul class="tabs">${files.map(
          (f, i) => html`<li><a href="/reports?file=${i}"${f === file ? html` aria-current="page"` : ''}>${f.label}</a> <span class="muted">${when(f.modified, ctx.now)}</span></li>`,
        )}</ul></nav>`
  }
${file !== undefined && text !== undefined ? html`<article class="markdown report" data-testid="report" aria-label="${file.label}">${raw(renderMarkdown(text, 1))}</article>` : ''}`;
  return layout(ctx, 'Reports', body);
}
