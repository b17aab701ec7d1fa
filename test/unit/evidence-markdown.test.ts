import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderEvidenceMarkdown } from '../../src/evidence/render-markdown.js';
import { FIXTURE_DIR, sampleStatement } from '../fixtures/evidence/helpers.js';

describe('renderEvidenceMarkdown', () => {
  it('renders the sample exactly as the reviewed golden file', async () => {
    const json = await readFile(join(FIXTURE_DIR, 'sample-statement.json'), 'utf8');
    const golden = await readFile(join(FIXTURE_DIR, 'sample-statement.md'), 'utf8');
    expect(renderEvidenceMarkdown(json)).toBe(golden);
  });

  it('is byte-identical across renders and across JSON text vs object', async () => {
    const json = await readFile(join(FIXTURE_DIR, 'sample-statement.json'), 'utf8');
    const a = renderEvidenceMarkdown(json);
    const b = renderEvidenceMarkdown(Buffer.from(json));
    const c = renderEvidenceMarkdown(await sampleStatement());
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('has frontmatter, the sections, the table and the summary line', async () => {
    const md = renderEvidenceMarkdown(await sampleStatement());
    const front = md.split('---\n')[1]!;
    expect(front).toContain('kind: "milestone"\n');
    expect(front).toContain('target: "staging"\n');
    expect(front).toContain('status: "failed"\n');
    expect(front).toContain('startedAt: "2026-11-23T15:04:05.000Z"\n');
    expect(front).toContain('finishedAt: "2026-11-23T15:04:17.250Z"\n');
    expect(front).toContain('release: "2026-11-23.1"\n');
    expect(front).not.toMatch(/^seq:/m);
    for (const h of ['## Results', '## What ran', '## Redacted', '## Not collected', '## Subjects']) expect(md).toContain(`\n${h}\n`);
    expect(md).toContain('| id | title | gate | status | why |');
    expect(md).toContain('Summary: 3 gates: 1 passed, 1 failed, 1 skipped; 1 other result (not gates): 1 passed.');
    expect(md).toContain('| env-value | 4 |');
    expect(md).toContain('- service logs');
    expect(md).toContain('| compose.yaml | `fa6ccea1ca4e3a031d9e99f25cc05db803aa9bac642c000ddab14f6d9da54b52` |');
  });

  it('escapes pipes, backslashes and line breaks so a cell cannot break the table', async () => {
    const s = await sampleStatement();
    s.predicate.results[1]!.reason = 'a | b\\\nc\r\nd <script>';
    const md = renderEvidenceMarkdown(s);
    const row = md.split('\n').find((l) => l.startsWith('| http-health '))!;
    expect(row).toBe('| http-health | Health endpoints \\| readiness | yes | fail | a \\| b\\\\<br>c<br>d &lt;script&gt; |');
    // Every table row still has exactly 6 unescaped pipes.
    expect(row.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length - 1).toBe(6);
  });

  it('shows states without results or commands plainly', async () => {
    const s = await sampleStatement();
    s.predicate.results = [];
    s.predicate.summary = { passed: 0, failed: 0, error: 0, skipped: 0 };
    s.predicate.status = 'pending';
    s.predicate.redactions = [];
    s.predicate.notCollected = [];
    delete s.predicate.notes;
    const md = renderEvidenceMarkdown(s);
    expect(md).toContain('**Status: PENDING**');
    expect(md).toContain('No results were recorded.');
    expect(md).toContain('Nothing was redacted.');
    expect(md).not.toContain('## Notes');
  });
});
