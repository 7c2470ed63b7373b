/**
 * What `keycard usage` prints, unit by unit: cost precision, --by parsing, rows with their
 * provider, the totals row, and the terminal chart (legend and plot share colours and symbols;
 * without colour the symbols alone tell the series apart; the width follows the terminal).
 */
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import {
  attachProviders,
  CHART_SYMBOLS,
  chartWidth,
  dayRange,
  formatUsd,
  parseBy,
  queryDimensions,
  renderChart,
  seriesColor,
  tableRows,
  topSeries,
} from '../../src/cli/usage-format.js';
import type { TotalsRow } from '../../src/ledger/types.js';

/** A chart's parts: the plot's lines, the dates under the axis, and the legend (one or more lines). */
function chartParts(text: string): { plot: string; dates: string; legend: string } {
  const lines = text.trimEnd().split('\n');
  const axis = lines.findIndex((line) => line.includes('└'));
  return {
    plot: lines.slice(1, axis).join('\n'),
    dates: lines[axis + 1] ?? '',
    legend: lines.slice(axis + 2).join('\n'),
  };
}

const row = (fields: Partial<TotalsRow>): TotalsRow => ({
  requests: 1,
  errors: 0,
  inputTokens: 10,
  cachedInputTokens: 2,
  cacheWriteTokens: 0,
  outputTokens: 5,
  reasoningTokens: 1,
  costUsd: 0.001,
  unpricedRequests: 0,
  ...fields,
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: SGR sequences are what it strips.
const strip = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

describe('formatUsd', () => {
  it('never prints $0.0000 for a cost that is not zero', () => {
    expect(formatUsd(0.000024)).toBe('$0.000024');
    expect(formatUsd(0.0000024)).toBe('$0.0000024');
    expect(formatUsd(0.00042)).toBe('$0.00042');
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatUsd(0.15)).toBe('$0.1500');
    expect(formatUsd(12.3456)).toBe('$12.3456');
    expect(formatUsd(-0.000024)).toBe('-$0.000024');
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(null)).toBe('–');
    for (let exponent = -11; exponent <= 3; exponent += 1) {
      const text = formatUsd(3 * 10 ** exponent);
      expect(text, String(exponent)).toMatch(/[1-9]/);
    }
  });
});

describe('parseBy', () => {
  it('takes one dimension as before, and several comma-separated', () => {
    expect(parseBy('key')).toEqual([{ name: 'key', dimension: 'fingerprint' }]);
    expect(parseBy('provider, model').map((dim) => dim.dimension)).toEqual(['provider', 'model']);
    expect(parseBy('day,workflow').map((dim) => dim.name)).toEqual(['day', 'workflow']);
  });

  it('refuses unknown, empty and repeated dimensions with exit code 2, naming the known ones', () => {
    for (const text of ['colour', '', ',', 'key,key', 'provider,colour']) {
      expect(() => parseBy(text), text).toThrow(/--by/);
      try {
        parseBy(text);
      } catch (error) {
        expect((error as { code: number }).code).toBe(2);
      }
    }
    expect(() => parseBy('provider,colour')).toThrow(/key, provider, model, workflow/);
  });

  it('takes tag:NAME dimensions (the name keeps its case), and names an unknown name:argument', () => {
    expect(parseBy('tag:team,model')).toEqual([
      { name: 'tag:team', dimension: 'tag:team' },
      { name: 'model', dimension: 'model' },
    ]);
    expect(parseBy('TAG:Cost.Center')).toEqual([{ name: 'tag:Cost.Center', dimension: 'tag:Cost.Center' }]);
    expect(queryDimensions(parseBy('tag:team'))).toEqual(['tag:team']);
    expect(() => parseBy('tag:team,tag:team')).toThrow('--by names tag:team twice');
    expect(() => parseBy('tag:9lives')).toThrow('a tag name starts with a letter');
    expect(() => parseBy('label:team')).toThrow(/label:team/);
  });

  it('groups a key or a model by provider too, so every row names its provider', () => {
    expect(queryDimensions(parseBy('key'))).toEqual(['provider', 'fingerprint']);
    expect(queryDimensions(parseBy('model'))).toEqual(['provider', 'model']);
    expect(queryDimensions(parseBy('model,provider'))).toEqual(['model', 'provider']);
    expect(queryDimensions(parseBy('workflow'))).toEqual(['workflow']);
  });
});

describe('rows and the totals row', () => {
  it('names the providers of a group that is not by provider', () => {
    const rows = [row({ workflow: 'inbox' }), row({ workflow: 'triage' })];
    const byProvider = [
      row({ workflow: 'inbox', provider: 'openai' }),
      row({ workflow: 'inbox', provider: 'anthropic' }),
      row({ workflow: 'triage', provider: 'gemini' }),
    ];
    const attached = attachProviders(rows, byProvider, ['workflow']);
    expect(attached.map((item) => item.provider)).toEqual(['anthropic,openai', 'gemini']);
  });

  it('adds a totals row under the rows, and a provider column when not grouped by it', () => {
    const rows = [
      row({ provider: 'openai', model: 'gpt-4o-mini', costUsd: 0.000024 }),
      row({ provider: 'anthropic', model: 'claude-haiku-4-5', costUsd: 0.5, unpricedRequests: 1 }),
    ];
    const total = row({ requests: 2, costUsd: 0.500024, unpricedRequests: 1 });
    const { head, body } = tableRows(rows, total, parseBy('model'));
    expect(head).toEqual([
      'model',
      'provider',
      'requests',
      'errors',
      'input',
      'cached',
      'output',
      'reasoning',
      'cost',
    ]);
    expect(body[0]).toEqual(['gpt-4o-mini', 'openai', '1', '0', '10', '2', '5', '1', '$0.000024']);
    expect(body[1]?.[8]).toBe('$0.5000 (+1 unpriced)');
    expect(body[2]?.[0]).toBe('total (2 rows)');
    expect(body[2]?.[1]).toBe('');
    expect(body[2]?.[2]).toBe('2');
    expect(body[2]?.[8]).toBe('$0.5000 (+1 unpriced)');
    expect(body.every((cells) => cells.length === head.length)).toBe(true);
    const multi = tableRows(rows, total, parseBy('provider,model'));
    expect(multi.head.slice(0, 3)).toEqual(['provider', 'model', 'requests']);
  });
});

describe('the terminal chart', () => {
  const days = dayRange('2026-11-01', '2026-11-10');
  const series = [
    { name: 'sk-proj-****aaaa', values: days.map((_, index) => 0.01 * (index + 1)) },
    { name: 'sk-ant-api03-****bbAA', values: days.map(() => 0.02) },
    { name: 'AIza****cccc', values: days.map(() => 0.000024) },
  ];

  it('draws each series with its own symbol, and the legend names each symbol (no colour)', () => {
    const text = renderChart('Daily cost per key', days, series, {
      width: 80,
      colors: pc.createColors(false),
    });
    expect(text).not.toContain('\u001b[');
    const { plot, legend } = chartParts(text);
    for (const [index, item] of series.entries()) {
      const symbol = CHART_SYMBOLS[index] ?? '';
      expect(plot, item.name).toContain(symbol);
      expect(legend).toContain(`${symbol} ${item.name} $`);
    }
    expect(new Set(CHART_SYMBOLS).size).toBe(CHART_SYMBOLS.length);
    expect(text).toContain('$0.1000');
  });

  it('colours each series the same in the plot and the legend', () => {
    const colors = pc.createColors(true);
    const text = renderChart('Daily cost per key', days, series, { width: 80, colors });
    for (const [index, item] of series.entries()) {
      const painted = colors[seriesColor(index)](CHART_SYMBOLS[index] ?? '');
      const { legend: legendLine, plot } = chartParts(text);
      expect(legendLine).toContain(`${painted} ${item.name}`);
      expect(plot).toContain(painted);
    }
    expect(seriesColor(0)).not.toBe(seriesColor(1));
  });

  it('puts dates on the axis without overlap, the last day always, at the width given', () => {
    for (const width of [40, 80, 160]) {
      const many = dayRange('2026-09-01', '2026-11-30');
      const text = renderChart('t', many, [{ name: 'a', values: many.map((_, index) => index) }], {
        width,
        colors: pc.createColors(false),
      });
      const lines = text.split('\n');
      expect(Math.max(...lines.map((line) => strip(line).length)), String(width)).toBeLessThanOrEqual(width);
      const axis = lines.at(-2) ?? '';
      const labels = axis.trim().split(/\s+/);
      expect(labels.length).toBeGreaterThan(1);
      expect(
        labels.every((label) => /^\d\d-\d\d$/.test(label)),
        axis,
      ).toBe(true);
      expect(labels.at(-1)).toBe('11-30');
      // Two spaces at least between labels.
      expect(axis.trim()).not.toMatch(/\d \d/);
    }
    expect(chartWidth(undefined)).toBe(80);
    expect(chartWidth(0)).toBe(80);
    expect(chartWidth(120)).toBe(120);
    expect(chartWidth(10)).toBe(40);
    expect(chartWidth(1000)).toBe(200);
  });

  it('shows the year on the axis when the range spans two years', () => {
    const span = dayRange('2026-12-28', '2027-01-03');
    const text = renderChart('t', span, [{ name: 'a', values: span.map(() => 1) }], {
      width: 120,
      colors: pc.createColors(false),
    });
    expect(text.split('\n').at(-2)).toContain('2027-01-03');
  });

  it('keeps at most as many series as symbols, the rest summed as other', () => {
    const lots = Array.from({ length: 14 }, (_, index) => ({ name: `s${index}`, values: [index, 1] }));
    const kept = topSeries(lots, CHART_SYMBOLS.length);
    expect(kept).toHaveLength(CHART_SYMBOLS.length);
    expect(kept.at(-1)?.name).toBe('other (5)');
    expect(kept.at(-1)?.values).toEqual([0 + 1 + 2 + 3 + 4, 5]);
  });

  it('shows a first day as the week ending with it', () => {
    expect(dayRange('2026-11-05', '2026-11-05', 7)).toEqual([
      '2026-10-30',
      '2026-10-31',
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
    ]);
  });
});
