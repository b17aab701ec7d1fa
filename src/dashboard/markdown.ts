// Markdown to HTML for record views, verify reports and HANDOVER.md. markdown-it with raw HTML
// off: a `<script>` in a record, a report or a hand-edited HANDOVER.md is shown as text, never
// run. Links keep markdown-it's scheme check (no javascript:, no data:), and none open elsewhere.
import MarkdownIt from 'markdown-it';
import { redactText } from '../redact/index.js';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/**
 * Redacted, then rendered. The evidence renderer writes `<br>` in table cells; shown as a line
 * break. Headings move down `shift` levels so the page keeps one h1 and an unbroken outline.
 */
export function renderMarkdown(text: string, shift = 0): string {
  const rendered = md.render(stripFrontMatter(redactText(text)));
  return rendered
    .replace(/&lt;br&gt;/g, '<br>')
    .replace(/<(\/?)h([1-6])>/g, (_m, slash: string, n: string) => `<${slash}h${Math.min(6, Number(n) + shift)}>`);
}

/** The YAML front matter of a record's Markdown repeats its header; the page shows it as a table. */
function stripFrontMatter(text: string): string {
  const m = /^---\n[\s\S]*?\n---\n/.exec(text);
  return m === null ? text : text.slice(m[0].length);
}
