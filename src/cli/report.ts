/**
 * The usage report page: one self-contained HTML file, rendered here and readable without
 * JavaScript (there is no script in it): totals, tables by provider, model, key, workflow and tag, and
 * per-day charts as inline SVG whose width follows the page and whose date labels are thinned so
 * that they never overlap, on a desktop or a phone.
 * @module
 * @internal
 */
import type { TotalsRow } from '../ledger/types.js';
import { dayRange, formatUsd } from './usage-format.js';

export interface ReportData {
  generatedAt: string;
  since: string | null;
  until: string | null;
  /** Rows by provider. */
  byProvider: TotalsRow[];
  /** Rows by provider and model. */
  byModel: TotalsRow[];
  /** Rows by provider and key. */
  byKey: TotalsRow[];
  /** Rows by workflow. */
  byWorkflow: TotalsRow[];
  /** Per tag name present in the range: its rows by that tag (calls without it in one row). */
  byTag?: Array<{ name: string; rows: TotalsRow[] }>;
  /** Rows by day and provider. */
  byDayProvider: TotalsRow[];
  /** Rows by day and key. */
  byDayKey: TotalsRow[];
  /** Rows by day and workflow. */
  byDayWorkflow: TotalsRow[];
  /** Month-to-date cost per key against a budget, when one was given. */
  budget: { usd: number; keys: Array<{ maskedId: string; costUsd: number }> } | null;
  totals: TotalsRow | null;
}

/** The series colours, in order (the legend's swatches are the same). */
export const REPORT_PALETTE = [
  '#0a84ff',
  '#ff9f0a',
  '#30d158',
  '#ff375f',
  '#bf5af2',
  '#40c8e0',
  '#a2845e',
  '#8e8e93',
] as const;

/** Below this page width, charts show only the labels of the narrow set (see the style sheet). */
const NARROW_PAGE = 760;
/** The plot width the label sets are thinned for: a desktop page, and a phone of 320 px. */
const WIDE_PLOT = 640;
const NARROW_PLOT = 250;
const LABEL_GAP = 12;
/** A generous width per character of the axis labels (11 px digits are about 6.2 px wide). */
const CHAR_WIDTH = 7;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const count = (value: number) => value.toLocaleString('en-US');

/** A summary table: the label columns, then cost, requests, errors and tokens by kind; costliest first. */
function summaryTable(
  id: string,
  caption: string,
  labels: string[],
  rows: TotalsRow[],
  cells: (row: TotalsRow) => string[],
): string {
  if (rows.length === 0) return `<p class="empty" id="${id}">No usage in this range.</p>`;
  const sorted = [...rows].sort((a, b) => (b.costUsd ?? 0) - (a.costUsd ?? 0) || b.requests - a.requests);
  const head = [
    ...labels,
    'cost',
    'requests',
    'errors',
    'input',
    'cached input',
    'cache write',
    'output',
    'reasoning',
  ];
  const body = sorted
    .map((row) => {
      const sums = [
        `${formatUsd(row.costUsd)}${row.unpricedRequests > 0 ? ` (+${row.unpricedRequests} unpriced)` : ''}`,
        count(row.requests),
        count(row.errors),
        count(row.inputTokens),
        count(row.cachedInputTokens),
        count(row.cacheWriteTokens),
        count(row.outputTokens),
        count(row.reasoningTokens),
      ];
      return `<tr>${cells(row)
        .map((cell) => `<th scope="row">${escapeHtml(cell)}</th>`)
        .join('')}${sums.map((sum) => `<td>${escapeHtml(sum)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table id="${id}"><caption>${escapeHtml(caption)}</caption>
<thead><tr>${head.map((title, index) => `<th scope="col"${index >= labels.length ? ' class="num"' : ''}>${escapeHtml(title)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}

/** Every `step`-th index from the last one back (the latest day is always labelled). */
function labelled(index: number, total: number, step: number): boolean {
  return (total - 1 - index) % step === 0;
}

/**
 * Cost per day as stacked bars in inline SVG: x in percent of the width (the chart follows the
 * page), y in pixels. At least a week is shown, so that a first day is one bar among empty days,
 * not a block across the page. Date labels come in two thinned sets: all shown on a wide page,
 * only the narrow set on a phone.
 */
function dailyChart(
  id: string,
  title: string,
  rows: TotalsRow[],
  seriesOf: (row: TotalsRow) => string,
): string {
  const present = rows
    .map((row) => row.day ?? '')
    .filter((day) => day !== '')
    .sort();
  if (present.length === 0) return `<p class="empty" id="${id}">No usage in this range.</p>`;
  const days = dayRange(present[0] ?? '', present.at(-1) ?? '', 7);
  const costs = new Map<string, number[]>();
  for (const row of rows) {
    const name = seriesOf(row);
    const values = costs.get(name) ?? days.map(() => 0);
    const index = days.indexOf(row.day ?? '');
    if (index >= 0) values[index] = (values[index] ?? 0) + (row.costUsd ?? 0);
    costs.set(name, values);
  }
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  let series = [...costs]
    .map(([name, values]) => ({ name, values }))
    .sort((a, b) => sum(b.values) - sum(a.values));
  if (series.length > REPORT_PALETTE.length) {
    const rest = series.slice(REPORT_PALETTE.length - 1);
    series = [
      ...series.slice(0, REPORT_PALETTE.length - 1),
      {
        name: `other (${rest.length})`,
        values: days.map((_, index) => sum(rest.map((item) => item.values[index] ?? 0))),
      },
    ];
  }
  const stacks = days.map((_, index) => sum(series.map((item) => item.values[index] ?? 0)));
  const max = Math.max(...stacks) || 1;
  const [top, plotHeight, height] = [16, 170, 212];
  const slot = 100 / days.length;
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const pct = (value: number) => `${Number(value.toFixed(4))}%`;
  const parts: string[] = [];
  const ticks: string[] = [];
  for (const fraction of [1, 0.5, 0]) {
    const lineY = y(max * fraction);
    parts.push(`<line class="grid" x1="0" x2="100%" y1="${lineY}" y2="${lineY}"/>`);
    // Drawn after the bars, on a white halo: readable over them.
    if (fraction > 0)
      ticks.push(`<text class="tick" x="2" y="${lineY - 4}">${escapeHtml(formatUsd(max * fraction))}</text>`);
  }
  days.forEach((day, index) => {
    let base = 0;
    series.forEach((item, seriesIndex) => {
      const value = item.values[index] ?? 0;
      if (value <= 0) return;
      const barTop = y(base + value);
      const barHeight = Math.max(1, y(base) - barTop);
      base += value;
      parts.push(
        `<rect class="bar" x="${pct(index * slot + slot * 0.15)}" width="${pct(slot * 0.7)}" y="${barTop.toFixed(2)}" height="${barHeight.toFixed(2)}" fill="${REPORT_PALETTE[seriesIndex]}" data-day="${day}" data-series="${escapeHtml(item.name)}" data-cost="${value}"><title>${escapeHtml(`${item.name}, ${day}: ${formatUsd(value)}`)}</title></rect>`,
      );
    });
  });
  parts.push(...ticks);
  const sameYear = days[0]?.slice(0, 4) === days.at(-1)?.slice(0, 4);
  const labelOf = (day: string) => (sameYear ? day.slice(5) : day);
  const labelWidth = (sameYear ? 5 : 10) * CHAR_WIDTH + LABEL_GAP;
  const wideStep = Math.max(1, Math.ceil((days.length * labelWidth) / WIDE_PLOT));
  // A multiple of the wide step: the narrow set is a subset of the wide one.
  const narrowStep = wideStep * Math.ceil(Math.ceil((days.length * labelWidth) / NARROW_PLOT) / wideStep);
  days.forEach((day, index) => {
    if (!labelled(index, days.length, wideStep)) return;
    const narrow = labelled(index, days.length, narrowStep);
    parts.push(
      `<text class="x-label${narrow ? ' narrow' : ''}" x="${pct((index + 0.5) * slot)}" y="${height - 4}" text-anchor="middle">${escapeHtml(labelOf(day))}</text>`,
    );
  });
  const legend = series
    .map(
      (item, index) =>
        `<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${REPORT_PALETTE[index]}"/></svg> ${escapeHtml(item.name)} <span class="num">${escapeHtml(formatUsd(sum(item.values)))}</span></li>`,
    )
    .join('');
  const first =
    present.length > 0 && new Set(present).size === 1
      ? `<p class="note">One day of usage so far: the chart shows the week ending with it.</p>`
      : '';
  return `<figure class="chart" id="${id}">
<svg class="daily" width="100%" height="${height}" role="img" aria-label="${escapeHtml(`${title}, ${days[0]} to ${days.at(-1)}`)}" data-chart="${id}">
${parts.join('\n')}
</svg>
<ul class="legend">${legend}</ul>${first}
</figure>`;
}

function budgetSection(budget: ReportData['budget']): string {
  if (budget === null)
    return '<p class="empty" id="budget">No budget given (keycard usage --html FILE --budget-usd N).</p>';
  if (budget.keys.length === 0) return '<p class="empty" id="budget">No usage this month.</p>';
  const rows = budget.keys
    .map((key) => {
      const share = Math.min(1, key.costUsd / budget.usd);
      const level = share >= 1 ? 'over' : share >= 0.8 ? 'near' : 'ok';
      return `<tr><th scope="row">${escapeHtml(key.maskedId)}</th><td class="meter-cell"><span class="meter"><span class="bar ${level}" data-series="${escapeHtml(key.maskedId)}" data-share="${share}" style="width:${(share * 100).toFixed(1)}%"></span></span></td><td>${escapeHtml(`${Math.round((key.costUsd / budget.usd) * 100)} % of ${formatUsd(budget.usd)} (${formatUsd(key.costUsd)})`)}</td></tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table id="budget"><caption>Month to date, each key against ${escapeHtml(formatUsd(budget.usd))}</caption><tbody>
${rows}
</tbody></table></div>`;
}

/** The page: everything rendered here, no script. */
export function renderReport(data: ReportData): string {
  const total = data.totals;
  const summary =
    total === null || total.requests === 0
      ? '<p id="summary">No usage recorded in this range.</p>'
      : `<dl id="summary">
<div><dt>cost</dt><dd>${escapeHtml(formatUsd(total.costUsd))}${total.unpricedRequests > 0 ? ` <small>(+${total.unpricedRequests} unpriced)</small>` : ''}</dd></div>
<div><dt>requests</dt><dd>${count(total.requests)}</dd></div>
<div><dt>errors</dt><dd>${count(total.errors)}</dd></div>
<div><dt>input tokens</dt><dd>${count(total.inputTokens)}</dd></div>
<div><dt>output tokens</dt><dd>${count(total.outputTokens)}</dd></div>
</dl>`;
  const keyName = (row: TotalsRow) => row.maskedId ?? row.fingerprint ?? 'key';
  const workflowName = (row: TotalsRow) => row.workflow ?? '(no workflow)';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keycard usage report</title>
<style>
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 1.5rem; max-width: 1200px; color: #1d1d1f; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
  .meta, .note, .empty { color: #6e6e73; }
  #summary { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
  #summary div { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; min-width: 8rem; }
  #summary dt { color: #6e6e73; font-size: .8rem; } #summary dd { margin: 0; font-size: 1.2rem; font-variant-numeric: tabular-nums; }
  .scroll { overflow-x: auto; max-width: 100%; }
  table { border-collapse: collapse; margin: .25rem 0 1rem; font-variant-numeric: tabular-nums; }
  caption { text-align: left; font-weight: 600; padding: .25rem 0; }
  th, td { padding: .3rem .6rem; border-bottom: 1px solid #eee; white-space: nowrap; }
  thead th { text-align: left; border-bottom: 1px solid #ccc; font-weight: 600; }
  thead th.num, td { text-align: right; }
  tbody th { text-align: left; font-weight: normal; }
  .chart { margin: 0 0 1rem; padding: 0 1.5rem; border: 1px solid #ddd; border-radius: 6px; }
  svg.daily { display: block; overflow: visible; margin-top: .5rem; }
  svg.daily .grid { stroke: #e5e5ea; } svg.daily .tick, svg.daily .x-label { font-size: 11px; fill: #6e6e73; }
  svg.daily .tick { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
  .legend { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
  .legend li { white-space: nowrap; } .legend svg { vertical-align: -1px; } .legend .num { color: #6e6e73; }
  .meter { display: inline-block; width: 12rem; height: .9rem; background: #eee; border-radius: 3px; overflow: hidden; vertical-align: middle; }
  .meter .bar { display: block; height: 100%; } .bar.ok { background: #30d158; } .bar.near { background: #ff9f0a; } .bar.over { background: #ff375f; }
  @media (max-width: ${NARROW_PAGE - 1}px) {
    body { padding: .75rem; }
    .chart { padding: 0 1.25rem; }
    svg.daily .x-label:not(.narrow) { display: none; }
  }
</style>
</head>
<body>
<h1>keycard usage report</h1>
<p class="meta">Generated ${escapeHtml(data.generatedAt)}${data.since === null ? '' : `, since ${escapeHtml(data.since)}`}${data.until === null ? '' : `, until ${escapeHtml(data.until)}`}. Days in UTC. Keys appear by masked id only.</p>
${summary}
<h2>Totals</h2>
${summaryTable('table-provider', 'By provider', ['provider'], data.byProvider, (row) => [row.provider ?? ''])}
${summaryTable('table-model', 'By model', ['provider', 'model'], data.byModel, (row) => [row.provider ?? '', row.model ?? '(none)'])}
${summaryTable('table-key', 'By key', ['provider', 'key'], data.byKey, (row) => [row.provider ?? '', keyName(row)])}
${summaryTable('table-workflow', 'By workflow', ['workflow'], data.byWorkflow, (row) => [workflowName(row)])}
${(data.byTag ?? [])
  .map(({ name, rows }) =>
    summaryTable(`table-tag-${name}`, `By tag ${name}`, [name], rows, (row) => [
      row.tags?.[name] ?? `(no ${name} tag)`,
    ]),
  )
  .join('\n')}
<h2>Cost per day, by provider</h2>
${dailyChart('by-provider', 'Cost per day, by provider', data.byDayProvider, (row) => row.provider ?? '')}
<h2>Cost per day, by key</h2>
${dailyChart('by-key', 'Cost per day, by key', data.byDayKey, keyName)}
<h2>Cost per day, by workflow</h2>
${dailyChart('by-workflow', 'Cost per day, by workflow', data.byDayWorkflow, workflowName)}
<h2>Budget use this month</h2>
${budgetSection(data.budget)}
</body>
</html>
`;
}
