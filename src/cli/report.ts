/**
 * The usage report page: one self-contained HTML file (no network: data, styles and the drawing
 * script inline) with charts of cost per day by key and by workflow, and budget use.
 * @module
 */
import type { TotalsRow } from '../ledger/types.js';

export interface ReportData {
  generatedAt: string;
  since: string | null;
  until: string | null;
  /** Rows by day and key. */
  byDayKey: TotalsRow[];
  /** Rows by day and workflow. */
  byDayWorkflow: TotalsRow[];
  /** Month-to-date cost per key against a budget, when one was given. */
  budget: { usd: number; keys: Array<{ maskedId: string; costUsd: number }> } | null;
  totals: TotalsRow | null;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The page. Data goes in as JSON inside a script tag, with `<` escaped so it cannot end the tag. */
export function renderReport(data: ReportData): string {
  const payload = JSON.stringify(data).replace(/</g, '\\u003c');
  const total = data.totals;
  const summary =
    total === null
      ? 'No usage recorded in this range.'
      : `${total.requests} requests, ${total.errors} errors, ${total.inputTokens} input and ${total.outputTokens} output tokens, $${(total.costUsd ?? 0).toFixed(4)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keycard usage report</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  .chart { border: 1px solid #ddd; border-radius: 6px; padding: .5rem; max-width: 960px; }
  .legend span { display: inline-block; margin-right: 1rem; }
  .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
  .empty { color: #888; }
</style>
</head>
<body>
<h1>keycard usage report</h1>
<p id="summary">${escapeHtml(summary)}</p>
<p class="meta">Generated ${escapeHtml(data.generatedAt)}${data.since === null ? '' : `, since ${escapeHtml(data.since)}`}${data.until === null ? '' : `, until ${escapeHtml(data.until)}`}. Keys appear by masked id only.</p>
<h2>Cost per day, by key</h2>
<div class="chart" id="by-key"></div>
<h2>Cost per day, by workflow</h2>
<div class="chart" id="by-workflow"></div>
<h2>Budget use this month</h2>
<div class="chart" id="budget"></div>
<script id="data" type="application/json">${payload}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('data').textContent);
  var palette = ['#0a84ff', '#ff9f0a', '#30d158', '#ff375f', '#bf5af2', '#64d2ff', '#ffd60a', '#8e8e93'];
  var NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function stacked(target, rows, seriesOf) {
    var box = document.getElementById(target);
    var days = [], series = [], cost = {};
    rows.forEach(function (row) {
      var s = seriesOf(row);
      if (days.indexOf(row.day) < 0) days.push(row.day);
      if (series.indexOf(s) < 0) series.push(s);
      cost[row.day + '|' + s] = (cost[row.day + '|' + s] || 0) + (row.costUsd || 0);
    });
    days.sort();
    if (days.length === 0) { box.innerHTML = '<p class="empty">No data.</p>'; return; }
    var width = 900, height = 260, pad = 40, barWidth = Math.max(4, (width - pad * 2) / days.length - 4);
    var max = 0;
    days.forEach(function (d) { var sum = 0; series.forEach(function (s) { sum += cost[d + '|' + s] || 0; }); max = Math.max(max, sum); });
    if (max === 0) max = 1;
    var svg = el('svg', { width: width, height: height, role: 'img', 'aria-label': target, 'data-chart': target }, box);
    el('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: '#999' }, svg);
    days.forEach(function (d, i) {
      var y = height - pad, x = pad + i * ((width - pad * 2) / days.length) + 2;
      series.forEach(function (s, j) {
        var value = cost[d + '|' + s] || 0;
        var h = (value / max) * (height - pad * 2);
        if (h <= 0) return;
        y -= h;
        var rect = el('rect', { x: x, y: y, width: barWidth, height: h, fill: palette[j % palette.length], class: 'bar', 'data-day': d, 'data-series': s, 'data-cost': value }, svg);
        el('title', {}, rect).textContent = s + ' ' + d + ': $' + value.toFixed(4);
      });
      if (days.length <= 31) { var label = el('text', { x: x, y: height - pad + 14, 'font-size': 10 }, svg); label.textContent = d.slice(5); }
    });
    var top = el('text', { x: 2, y: pad - 8, 'font-size': 10 }, svg); top.textContent = '$' + max.toFixed(4);
    var legend = document.createElement('div'); legend.className = 'legend';
    series.forEach(function (s, j) { var item = document.createElement('span'); item.innerHTML = '<i style="background:' + palette[j % palette.length] + '"></i>'; item.appendChild(document.createTextNode(s)); legend.appendChild(item); });
    box.appendChild(legend);
  }
  stacked('by-key', data.byDayKey, function (row) { return row.maskedId || row.fingerprint || 'key'; });
  stacked('by-workflow', data.byDayWorkflow, function (row) { return row.workflow || '(no workflow)'; });
  var budgetBox = document.getElementById('budget');
  if (!data.budget) { budgetBox.innerHTML = '<p class="empty">No budget given (keycard usage --html FILE --budget-usd N).</p>'; }
  else {
    var svg = el('svg', { width: 900, height: 30 + data.budget.keys.length * 28, role: 'img', 'aria-label': 'budget', 'data-chart': 'budget' }, budgetBox);
    data.budget.keys.forEach(function (key, i) {
      var share = Math.min(1, key.costUsd / data.budget.usd), y = 10 + i * 28;
      el('rect', { x: 200, y: y, width: 600, height: 18, fill: '#eee' }, svg);
      el('rect', { x: 200, y: y, width: 600 * share, height: 18, fill: share >= 1 ? '#ff375f' : share >= 0.8 ? '#ff9f0a' : '#30d158', class: 'bar', 'data-series': key.maskedId, 'data-share': share }, svg);
      var label = el('text', { x: 0, y: y + 14, 'font-size': 12 }, svg); label.textContent = key.maskedId;
      var value = el('text', { x: 810, y: y + 14, 'font-size': 12 }, svg); value.textContent = Math.round(share * 100) + ' % of $' + data.budget.usd;
    });
  }
  document.body.setAttribute('data-rendered', 'true');
})();
</script>
</body>
</html>
`;
}
