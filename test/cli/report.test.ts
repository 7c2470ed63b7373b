/**
 * The HTML report as text: no script, values from the ledger escaped, the date labels' two thinned
 * sets (the phone's a subset of the desktop's, the latest day in both), a first day as its week.
 * The browser's view of it is in usage.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type ReportData, renderReport } from '../../src/cli/report.js';
import type { TotalsRow } from '../../src/ledger/types.js';

const row = (fields: Partial<TotalsRow>): TotalsRow => ({
  requests: 1,
  errors: 0,
  inputTokens: 10,
  cachedInputTokens: 2,
  cacheWriteTokens: 3,
  outputTokens: 5,
  reasoningTokens: 1,
  costUsd: 0.000024,
  unpricedRequests: 0,
  ...fields,
});

function data(days: string[], workflow = 'inbox'): ReportData {
  const byDay = days.map((day) =>
    row({ day, provider: 'openai', fingerprint: 'aaaaaaaaaaaa', maskedId: 'sk-proj-****aaaa', workflow }),
  );
  return {
    generatedAt: '2026-12-03T12:00:00.000Z',
    since: null,
    until: null,
    byProvider: [row({ provider: 'openai' })],
    byModel: [row({ provider: 'openai', model: 'gpt-4o-mini' })],
    byKey: [row({ provider: 'openai', fingerprint: 'aaaaaaaaaaaa', maskedId: 'sk-proj-****aaaa' })],
    byWorkflow: [row({ workflow })],
    byDayProvider: byDay,
    byDayKey: byDay,
    byDayWorkflow: byDay,
    budget: null,
    totals: row({}),
  };
}

function labels(html: string, chart: string): Array<{ text: string; narrow: boolean }> {
  const figure = html.slice(html.indexOf(`<figure class="chart" id="${chart}">`));
  const svg = figure.slice(0, figure.indexOf('</svg>'));
  return [...svg.matchAll(/<text class="x-label( narrow)?"[^>]*>([^<]*)<\/text>/g)].map((match) => ({
    text: match[2] ?? '',
    narrow: match[1] !== undefined,
  }));
}

const range = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    new Date(Date.UTC(2026, 0, 1) + index * 86_400_000).toISOString().slice(0, 10),
  );

describe('the HTML report', () => {
  it('has no script and escapes what came from the ledger', () => {
    const html = renderReport(data(range(3), '<script>alert(1)</script>"&'));
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#38;');
    expect(html).toContain('$0.000024');
    expect(html).not.toContain('$0.0000<');
  });

  it('thins the date labels: the phone set is a subset of the desktop set, the latest day in both', () => {
    for (const count of [7, 14, 31, 60, 120, 365]) {
      const html = renderReport(data(range(count)));
      const all = labels(html, 'by-key');
      const narrow = all.filter((label) => label.narrow);
      const last = range(count).at(-1)?.slice(5);
      expect(all.at(-1)?.text, String(count)).toBe(last);
      expect(narrow.at(-1)?.text, String(count)).toBe(last);
      // About 40 px a label: at most 16 across a 640 px plot, 6 across a 250 px one.
      expect(all.length, String(count)).toBeLessThanOrEqual(16);
      expect(narrow.length, String(count)).toBeLessThanOrEqual(6);
      expect(narrow.length, String(count)).toBeGreaterThanOrEqual(2);
    }
  });

  it('shows a first day as the last bar of its week', () => {
    const html = renderReport(data(['2026-11-05']));
    expect(labels(html, 'by-key').map((label) => label.text)).toEqual([
      '10-30',
      '10-31',
      '11-01',
      '11-02',
      '11-03',
      '11-04',
      '11-05',
    ]);
    expect(html).toContain('One day of usage so far');
    const bar = /<rect class="bar" x="([\d.]+)%" width="([\d.]+)%"/.exec(html);
    expect(Number(bar?.[2])).toBeLessThan(15);
    expect(Number(bar?.[1])).toBeGreaterThan(85);
  });
});
