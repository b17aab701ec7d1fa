// Trends: deploy duration, health-gate time and downtime per release, probe latencies over time.
import { html } from 'hono/html';
import { trendSeries } from '../facts.js';
import { layout, type Html, type PageContext } from './layout.js';
import { plot } from './plots.js';

export function trendsPage(ctx: PageContext): Html {
  const series = trendSeries(ctx.snapshot.records);
  const body = html`<p>From the records' timings; each point links to its release in the table below the plot.</p>
<div class="plots">${series.map((s, i) => plot({ id: `trend-${i}`, title: s.label, unit: s.unit, points: s.points }))}</div>
${series[2]?.points.length === 0 ? html`<p class="muted">No downtime has been measured: the records hold no downtime observation yet (a deploy or rollback that changes the stack adds one per observed service; a service not seen serving before the change has no figure).</p>` : ''}`;
  return layout(ctx, 'Trends', body);
}
