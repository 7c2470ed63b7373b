/**
 * What `keycard usage` prints, as pure functions: costs with enough precision, `--by` with several
 * dimensions, rows with their provider, a totals row, and the terminal chart (series told apart by
 * colour and by symbol, a legend that matches, dates on the axis, the terminal's width).
 * @module
 * @internal
 */
import type pc from 'picocolors';
import { tagKeyOf } from '../ledger/tags.js';
import type { TotalsDimension, TotalsRow } from '../ledger/types.js';
import { CliError } from './output.js';
import { plain } from './sanitize.js';

type Colors = ReturnType<typeof pc.createColors>;

/**
 * A cost in USD that never reads `$0.0000` when it is not zero: four decimals from a cent up
 * (`$0.1500`, `$12.3456`), two significant digits below (`$0.0042`, `$0.000024`), `$0` for zero,
 * `–` when unknown.
 */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '$0';
  const size = Math.abs(value);
  if (size >= 0.01) return `${value < 0 ? '-' : ''}$${size.toFixed(4)}`;
  // Two significant digits: 0.000024 has its first digit at the 5th decimal.
  const decimals = Math.min(12, Math.max(4, -Math.floor(Math.log10(size)) + 1));
  return `${value < 0 ? '-' : ''}$${size.toFixed(decimals)}`;
}

/** One `--by` dimension: what the user typed and what the ledger groups by. */
export interface ByDimension {
  /** As typed: `key`, `provider`, `model`, …, `tag:team` (a tag's name keeps its case). */
  name: string;
  dimension: TotalsDimension;
}

/** The `--by` names, and the ledger dimension each means. */
export const BY_NAMES: Readonly<Record<string, TotalsDimension>> = {
  key: 'fingerprint',
  provider: 'provider',
  model: 'model',
  workflow: 'workflow',
  operation: 'operation',
  day: 'day',
  hour: 'hour',
};

/**
 * `--by key`, `--by provider,model`: comma-separated dimensions, in order. A name may carry an
 * argument after its first colon (`tag:team`); only the names in {@link BY_NAMES} are known.
 */
export function parseBy(text: string): ByDimension[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const known = `${Object.keys(BY_NAMES).join(', ')}, tag:NAME`;
  if (parts.length === 0) throw new CliError(`keycard usage: --by takes one or more of ${known}.`, 2);
  const seen = new Set<TotalsDimension>();
  return parts.map((part) => {
    const tag = /^tag:/i.test(part) ? tagKeyOf(`tag:${part.slice(4)}`) : undefined;
    if (/^tag:/i.test(part) && tag === undefined) {
      throw new CliError(
        `keycard usage: --by ${part}: a tag name starts with a letter and holds letters, digits, _, . and -.`,
        2,
      );
    }
    const name = tag === undefined ? part.toLowerCase() : `tag:${tag}`;
    const dimension = tag === undefined ? BY_NAMES[name] : (name as TotalsDimension);
    if (dimension === undefined) {
      const what = name.includes(':') ? `a dimension this ledger does not have (${part})` : `"${part}"`;
      throw new CliError(
        `keycard usage: --by takes one or more of ${known}, separated by commas; not ${what}.`,
        2,
      );
    }
    if (seen.has(dimension)) throw new CliError(`keycard usage: --by names ${name} twice.`, 2);
    seen.add(dimension);
    return { name, dimension };
  });
}

/**
 * The ledger query for `dims`: a key and a model belong to one provider, so asking by either also
 * groups by provider (the groups stay the same; each row then names its provider).
 */
export function queryDimensions(dims: readonly ByDimension[]): TotalsDimension[] {
  const wanted = dims.map((dim) => dim.dimension);
  const needsProvider = wanted.some((dim) => dim === 'fingerprint' || dim === 'model');
  if (needsProvider && !wanted.includes('provider')) return ['provider', ...wanted];
  return wanted;
}

/** A row's value for one dimension, as data (the CSV cell, the JSON value). */
export function rawValue(row: TotalsRow, dimension: TotalsDimension): string {
  switch (dimension) {
    case 'fingerprint':
      return row.fingerprint ?? '';
    case 'provider':
      return row.provider ?? '';
    case 'model':
      return row.model ?? '';
    case 'workflow':
      return row.workflow ?? '';
    case 'day':
      return row.day ?? '';
    case 'hour':
      return row.hour ?? '';
    case 'operation':
      return row.operation ?? '';
    default:
      return row.tags?.[dimension.slice(4)] ?? '';
  }
}

/** A row's value for one dimension, for a person: a key by masked id and fingerprint. */
export function labelOf(row: TotalsRow, dimension: TotalsDimension): string {
  if (dimension === 'fingerprint') return plain(`${row.maskedId ?? ''} (${row.fingerprint ?? ''})`);
  if (dimension === 'model') return plain(row.model ?? '(none)');
  if (dimension === 'workflow') return plain(row.workflow ?? '(none)');
  if (tagKeyOf(dimension) !== undefined) return plain(row.tags?.[dimension.slice(4)] ?? '(none)');
  return plain(rawValue(row, dimension));
}

/**
 * The provider of each row of a query that is not by provider: `rowsWithProvider` is the same
 * query by provider too; a group that spans several providers gets them comma-separated.
 */
export function attachProviders(
  rows: TotalsRow[],
  rowsWithProvider: TotalsRow[],
  dims: readonly TotalsDimension[],
): Array<Omit<TotalsRow, 'provider'> & { provider: string }> {
  const keyOf = (row: TotalsRow) => JSON.stringify(dims.map((dim) => rawValue(row, dim)));
  const providers = new Map<string, Set<string>>();
  for (const row of rowsWithProvider) {
    const key = keyOf(row);
    const set = providers.get(key) ?? new Set<string>();
    set.add(row.provider ?? '');
    providers.set(key, set);
  }
  return rows.map((row) => ({ ...row, provider: [...(providers.get(keyOf(row)) ?? [])].sort().join(',') }));
}

/** The sum columns of CSV and JSON, in order. */
export const SUM_COLUMNS = [
  'requests',
  'errors',
  'inputTokens',
  'cachedInputTokens',
  'cacheWriteTokens',
  'outputTokens',
  'reasoningTokens',
  'costUsd',
  'unpricedRequests',
] as const;

/** The table's head and rows for `dims`, with a last row of totals. Rows carry their provider. */
export function tableRows(
  rows: TotalsRow[],
  total: TotalsRow | undefined,
  dims: readonly ByDimension[],
): { head: string[]; body: string[][] } {
  const showProvider = !dims.some((dim) => dim.dimension === 'provider');
  const head = [
    ...dims.map((dim) => dim.name),
    ...(showProvider ? ['provider'] : []),
    'requests',
    'errors',
    'input',
    'cached',
    'output',
    'reasoning',
    'cost',
  ];
  const sums = (row: TotalsRow) => [
    String(row.requests),
    String(row.errors),
    String(row.inputTokens),
    String(row.cachedInputTokens),
    String(row.outputTokens),
    String(row.reasoningTokens),
    `${formatUsd(row.costUsd)}${row.unpricedRequests > 0 ? ` (+${row.unpricedRequests} unpriced)` : ''}`,
  ];
  const body = rows.map((row) => [
    ...dims.map((dim) => labelOf(row, dim.dimension)),
    ...(showProvider ? [plain(row.provider ?? '')] : []),
    ...sums(row),
  ]);
  if (total !== undefined) {
    const blanks = dims.length + (showProvider ? 1 : 0) - 1;
    body.push([
      `total (${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`,
      ...Array(blanks).fill(''),
      ...sums(total),
    ]);
  }
  return { head, body };
}

/** One line of the terminal chart: a name and its value per day. */
export interface ChartSeries {
  name: string;
  values: number[];
}

/** Symbols of the series, in order: distinct without colour, and named in the legend. */
export const CHART_SYMBOLS = ['●', '▲', '■', '◆', '✚', '✖', '○', '△', '□', '◇'] as const;
const PALETTE = ['blue', 'yellow', 'green', 'red', 'magenta', 'cyan'] as const;

/** The colour a series is drawn in (the same in the plot and the legend). */
export function seriesColor(index: number): (typeof PALETTE)[number] {
  return PALETTE[index % PALETTE.length] as (typeof PALETTE)[number];
}

/**
 * The chart's width: the terminal's (or `COLUMNS` when output is not a terminal), else 80;
 * between 40 and 200.
 */
export function chartWidth(columns: number | undefined): number {
  if (columns === undefined || !Number.isFinite(columns) || columns <= 0) return 80;
  return Math.max(40, Math.min(200, Math.floor(columns)));
}

/** Every day from `first` to `last` (`YYYY-MM-DD`), and at least `minimum` days ending at `last`. */
export function dayRange(first: string, last: string, minimum = 1): string[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  let start = Date.parse(`${first}T00:00:00Z`);
  start = Math.min(start, end - (minimum - 1) * 86_400_000);
  const days: string[] = [];
  for (let time = start; time <= end; time += 86_400_000)
    days.push(new Date(time).toISOString().slice(0, 10));
  return days;
}

/** At most `limit` series: the costliest, and the rest summed as `other (N)`. */
export function topSeries(series: ChartSeries[], limit: number): ChartSeries[] {
  if (series.length <= limit) return series;
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const sorted = [...series].sort((a, b) => sum(b.values) - sum(a.values));
  const kept = sorted.slice(0, limit - 1);
  const rest = sorted.slice(limit - 1);
  const other = rest[0]?.values.map((_, index) => sum(rest.map((item) => item.values[index] ?? 0))) ?? [];
  return [...kept, { name: `other (${rest.length})`, values: other }];
}

/**
 * Labels placed at columns, from the latest day back, each only where it keeps a gap of two
 * columns to the one after it: they never overlap, and the last day is always labelled.
 */
function axisLabels(days: string[], columnOf: (index: number) => number, width: number): string {
  const sameYear = days[0]?.slice(0, 4) === days.at(-1)?.slice(0, 4);
  const text = (day: string) => (sameYear ? day.slice(5) : day);
  const line = Array<string>(width).fill(' ');
  let limit = width;
  for (let index = days.length - 1; index >= 0; index -= 1) {
    const label = text(days[index] ?? '');
    const start = Math.max(0, Math.min(width - label.length, columnOf(index) - Math.floor(label.length / 2)));
    if (start + label.length > limit) continue;
    for (let offset = 0; offset < label.length; offset += 1) line[start + offset] = label[offset] ?? ' ';
    limit = start - 2;
  }
  return line.join('').trimEnd();
}

/**
 * The terminal chart: one symbol per series and day (dotted between days), in the series' colour;
 * a cost axis on the left, dates below (as many as fit), and a legend naming each series' symbol
 * and cost. Series go costliest first. With colours off, the symbols alone tell the series apart.
 */
export function renderChart(
  title: string,
  days: string[],
  input: ChartSeries[],
  options: { width: number; height?: number; colors: Colors },
): string {
  if (days.length === 0 || input.length === 0) return 'No usage in this range.';
  const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
  // Costliest first: they get the first symbols and colours, and draw over the others.
  const series = topSeries(
    [...input].sort((a, b) => total(b.values) - total(a.values)),
    CHART_SYMBOLS.length,
  );
  const { colors } = options;
  const height = options.height ?? 12;
  const max = Math.max(0, ...series.flatMap((item) => item.values));
  const ticks = [max, max / 2, 0].map((value) => formatUsd(value));
  const gutter = Math.max(...ticks.map((tick) => tick.length)) + 2;
  const plotWidth = Math.max(10, options.width - gutter - 1);
  const columnOf = (index: number) =>
    days.length === 1 ? Math.floor(plotWidth / 2) : Math.round((index * (plotWidth - 1)) / (days.length - 1));
  const rowOf = (value: number) => (max === 0 ? 0 : Math.round((value / max) * (height - 1)));
  // cells[row][column]: row 0 is the bottom.
  const cells: Array<Array<{ char: string; series: number } | undefined>> = Array.from(
    { length: height },
    () => Array<{ char: string; series: number } | undefined>(plotWidth).fill(undefined),
  );
  series.forEach((item, seriesIndex) => {
    // Dots between days first, so that the days' symbols draw over them.
    for (let index = 0; index + 1 < days.length; index += 1) {
      const [x0, x1] = [columnOf(index), columnOf(index + 1)];
      const [y0, y1] = [rowOf(item.values[index] ?? 0), rowOf(item.values[index + 1] ?? 0)];
      for (let x = x0 + 1; x < x1; x += 1) {
        const y = Math.round(y0 + ((y1 - y0) * (x - x0)) / (x1 - x0));
        const row = cells[y];
        if (row !== undefined && row[x] === undefined) row[x] = { char: '·', series: seriesIndex };
      }
    }
  });
  [...series.entries()].reverse().forEach(([seriesIndex, item]) => {
    item.values.forEach((value, index) => {
      const row = cells[rowOf(value)];
      if (row !== undefined)
        row[columnOf(index)] = { char: CHART_SYMBOLS[seriesIndex] ?? '?', series: seriesIndex };
    });
  });
  const paint = (text: string, seriesIndex: number) => colors[seriesColor(seriesIndex)](text);
  const lines: string[] = [colors.bold(title)];
  for (let row = height - 1; row >= 0; row -= 1) {
    const tick =
      row === height - 1
        ? ticks[0]
        : row === Math.round((height - 1) / 2)
          ? ticks[1]
          : row === 0
            ? ticks[2]
            : '';
    const plot = (cells[row] ?? [])
      .map((cell) => (cell === undefined ? ' ' : paint(cell.char, cell.series)))
      .join('');
    lines.push(`${(tick ?? '').padStart(gutter - 2)} ${tick === '' ? '│' : '┤'}${plot}`.trimEnd());
  }
  lines.push(`${' '.repeat(gutter - 1)}└${'─'.repeat(plotWidth)}`);
  lines.push(`${' '.repeat(gutter)}${axisLabels(days, columnOf, plotWidth)}`);
  // The legend: each series' symbol in its colour, its name and its cost; wrapped at the width.
  const names = series.map((item) => `${plain(item.name)} ${formatUsd(total(item.values))}`);
  const items = names.map((name, index) => `${paint(CHART_SYMBOLS[index] ?? '?', index)} ${name}`);
  const widths = names.map((name) => name.length + 2);
  let current = '';
  let used = 0;
  for (const [index, entry] of items.entries()) {
    const size = (widths[index] ?? 0) + (used === 0 ? 0 : 3);
    if (used > 0 && used + size > options.width) {
      lines.push(current);
      current = '';
      used = 0;
    }
    current += `${used === 0 ? '' : '   '}${entry}`;
    used += used === 0 ? (widths[index] ?? 0) : size;
  }
  if (current !== '') lines.push(current);
  return lines.join('\n');
}
