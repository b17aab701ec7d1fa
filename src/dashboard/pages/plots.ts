// A plot is a <figure> the client script draws with uPlot from a JSON data block, plus the same
// numbers as a table, so the page says everything without the script (and to a screen reader).
import { html } from 'hono/html';
import { clock, jsonData, type Html } from './layout.js';

export interface PlotData {
  id: string;
  title: string;
  unit: string;
  points: { x: number; y: number; label: string; mark?: string }[];
  /** Name of the marked points' series (a backup size plot marks sudden drops). */
  markLabel?: string;
  /** Start the y axis at zero (sizes: a drop must look like one). */
  fromZero?: boolean;
}

export function plot(p: PlotData): Html {
  const data = {
    title: p.title,
    unit: p.unit,
    x: p.points.map((q) => q.x),
    y: p.points.map((q) => q.y),
    marks: p.points.map((q) => q.mark ?? null),
    markLabel: p.markLabel ?? null,
    fromZero: p.fromZero === true,
  };
  return html`<figure class="plot" aria-labelledby="${p.id}-cap">
<figcaption id="${p.id}-cap">${p.title} (${p.unit})</figcaption>
${p.points.length === 0 ? html`<p class="muted">No data recorded yet.</p>` : html`<div class="plot-area" data-plot="${p.id}" role="img" aria-label="${p.title}, ${p.points.length} point(s)"></div>${jsonData(p.id, data)}
<details><summary>The numbers</summary><table class="list"><thead><tr><th scope="col">When</th><th scope="col">${p.title} (${p.unit})</th><th scope="col">Of</th></tr></thead>
<tbody>${p.points.map((q) => html`<tr><td>${clock(new Date(q.x * 1000))}</td><td>${round(q.y)}${q.mark ? html` <span class="status bad">${q.mark}</span>` : ''}</td><td>${q.label}</td></tr>`)}</tbody></table></details>`}
</figure>`;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
