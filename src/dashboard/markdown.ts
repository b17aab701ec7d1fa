// Markdown to HTML for record views, verify reports and HANDOVER.md. markdown-it with raw HTML
// off: a `<script>` in a record, a report or a hand-edited HANDOVER.md is shown as text, never
// run. Links keep markdown-it's scheme check (no javascript:, no data:), and none open elsewhere.
import MarkdownIt from 'markdown-it';
import { redactText } from '../redact/index.js';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** Redacted, then rendered. The evidence renderer writes `<br>` in table cells; shown as a line break. */
export function renderMarkdown(text: string): string {
  const rendered = md.render(stripFrontMatter(redactText(text)));
  return rendered.replace(/&lt;br&gt;/g, '<br>');
}

/** The YAML front matter of a record's Markdown repeats its header; the page shows it as a table. */
function stripFrontMatter(text: string): string {
  const m = /^---\n[\s\S]*?\n---\n/.exec(text);
  return m === null ? text : text.slice(m[0].length);
}
