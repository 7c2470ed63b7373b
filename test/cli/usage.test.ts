/**
 * `keycard usage` on a real SQLite ledger: table with a totals row, several --by dimensions, JSON
 * and CSV whose rows name their provider, the terminal chart, and the HTML report opened in
 * headless Chromium (Debian's chromium with playwright-core) with JavaScript off: its tables are
 * there, and its date labels do not overlap at a desktop and a phone width. Screenshots go to a
 * temporary folder; with KEYCARD_REPORT_SCREENSHOT=1 the desktop one also goes to
 * docs/usage-report.png (the README shows it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { keycard } from '../helpers/cli.js';
import { usageEvent } from '../helpers/ledgers.js';

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

let url: string;
/** Six weeks of three providers and three workflows: the screenshot's data. */
let monthUrl: string;
/** One day of usage: a first day. */
let firstDayUrl: string;
const CHROMIUM = '/usr/bin/chromium';
const day = (n: number) => new Date(Date.now() - n * 86_400_000);

async function seed(name: string, events: UsageEvent[]): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), `keycard-cli-usage-${name}-`)), 'ledger.db');
  const ledger = await openSqliteLedger(path);
  for (const event of events) ledger.record(event);
  await ledger.close();
  return `sqlite:${path}`;
}

const anthropic = {
  keyFingerprint: 'bbbbbbbbbbbb',
  maskedId: 'sk-ant-api03-****bbAA',
  provider: 'anthropic',
  model: 'claude-haiku-4-5',
} as const;
const gemini = {
  keyFingerprint: 'cccccccccccc',
  maskedId: 'AIza****cccc',
  provider: 'gemini',
  model: 'gemini-2.0-flash',
} as const;

beforeAll(async () => {
  const events: UsageEvent[] = [];
  for (let n = 0; n < 5; n += 1) {
    events.push(usageEvent({ time: day(n), costUsd: 0.01 * (n + 1), workflow: 'inbox' }));
    events.push(usageEvent({ time: day(n), ...anthropic, costUsd: 0.02, workflow: 'triage' }));
  }
  events.push(
    usageEvent({
      time: day(1),
      outcome: 'unauthorized',
      status: 401,
      costUsd: 0,
      inputTokens: null,
      outputTokens: null,
    }),
  );
  events.push(usageEvent({ time: day(2), ...gemini, costUsd: 0.000024, workflow: 'triage' }));
  url = await seed('small', events);
  const month: UsageEvent[] = [];
  for (let n = 0; n < 42; n += 1) {
    const wave = 1 + Math.sin(n / 3);
    month.push(usageEvent({ time: day(n), costUsd: 0.4 * wave, workflow: 'inbox', inputTokens: 4000 }));
    month.push(
      usageEvent({ time: day(n), ...anthropic, costUsd: 0.25 + 0.01 * (n % 9), workflow: 'triage' }),
    );
    if (n % 3 === 0)
      month.push(usageEvent({ time: day(n), ...gemini, costUsd: 0.08, workflow: 'translate' }));
  }
  monthUrl = await seed('month', month);
  firstDayUrl = await seed('first', [
    usageEvent({ time: day(0), costUsd: 0.003, workflow: 'inbox' }),
    usageEvent({ time: day(0), ...anthropic, costUsd: 0.001, workflow: 'triage' }),
  ]);
});

describe('keycard usage', () => {
  it("prints a table by key with each key's provider, precise costs and a totals row", async () => {
    const { code, stdout } = await keycard(['usage', '--ledger', url]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const line = (text: string) => lines.find((item) => item.includes(text)) ?? '';
    expect(line('sk-proj-****aaaa (aaaaaaaaaaaa)')).toMatch(/│ openai\s+│ 6\s+│ 1\s+│.*\$0\.1500/);
    expect(line('sk-ant-api03-****bbAA')).toMatch(/│ anthropic\s+│ 5\s+│ 0\s+│.*\$0\.1000/);
    // Never $0.0000 for a cost that is not zero.
    expect(line('AIza****cccc')).toContain('$0.000024');
    expect(stdout).not.toContain('$0.0000 ');
    expect(line('total (3 rows)')).toMatch(/│ 12\s+│ 1\s+│.*\$0\.2500/);
    expect(lines.findIndex((item) => item.includes('total ('))).toBeGreaterThan(
      lines.findIndex((item) => item.includes('AIza****cccc')),
    );
  });

  it('groups by several dimensions, keeps the single-value form, and filters by time', async () => {
    const multi = await keycard(['usage', '--ledger', url, '--by', 'provider,model', '--json']);
    expect(multi.code).toBe(0);
    const rows = JSON.parse(multi.stdout) as Array<{ provider: string; model: string; requests: number }>;
    expect(rows.map((row) => `${row.provider}/${row.model}`).sort()).toEqual([
      'anthropic/claude-haiku-4-5',
      'gemini/gemini-2.0-flash',
      'openai/gpt-4o-mini',
    ]);
    const table = await keycard(['usage', '--ledger', url, '--by', 'workflow,provider']);
    expect(table.stdout).toMatch(/│ workflow\s+│ provider\s+│ requests/);
    expect(table.stdout).toMatch(/│ triage\s+│ gemini\s+│ 1\s+│/);
    const json = await keycard(['usage', '--ledger', url, '--by', 'workflow', '--json']);
    const byWorkflow = JSON.parse(json.stdout) as Array<{ workflow: string | null; requests: number }>;
    expect(byWorkflow.find((row) => row.workflow === 'inbox')?.requests).toBe(5);
    const recent = await keycard(['usage', '--ledger', url, '--by', 'day', '--since', '2d', '--json']);
    expect((JSON.parse(recent.stdout) as unknown[]).length).toBe(2);
  });

  it('names the provider in every JSON and CSV row, by key too', async () => {
    const json = await keycard(['usage', '--ledger', url, '--json']);
    const rows = JSON.parse(json.stdout) as Array<{
      provider: string;
      maskedId: string;
      fingerprint: string;
    }>;
    expect(rows.map((row) => `${row.provider} ${row.maskedId}`).sort()).toEqual([
      'anthropic sk-ant-api03-****bbAA',
      'gemini AIza****cccc',
      'openai sk-proj-****aaaa',
    ]);
    const byWorkflow = await keycard(['usage', '--ledger', url, '--by', 'workflow', '--json']);
    const workflows = JSON.parse(byWorkflow.stdout) as Array<{ workflow: string | null; provider: string }>;
    expect(workflows.find((row) => row.workflow === 'triage')?.provider).toBe('anthropic,gemini');
    const byDay = await keycard(['usage', '--ledger', url, '--by', 'day', '--csv']);
    const [dayHead, ...dayLines] = byDay.stdout.trim().split('\n');
    expect(dayHead?.startsWith('day,provider,requests,')).toBe(true);
    expect(dayLines.every((line) => /^\d{4}-\d\d-\d\d,("[a-z,]+"|[a-z]+),\d/.test(line))).toBe(true);
  });

  it('writes CSV by key with the provider', async () => {
    const { stdout } = await keycard(['usage', '--ledger', url, '--csv']);
    const [head, ...lines] = stdout.trim().split('\n');
    expect(head).toBe(
      'key,maskedId,provider,requests,errors,inputTokens,cachedInputTokens,cacheWriteTokens,outputTokens,reasoningTokens,costUsd,unpricedRequests',
    );
    expect(lines).toHaveLength(3);
    expect(lines.some((line) => line.startsWith('aaaaaaaaaaaa,sk-proj-****aaaa,openai,6,1,'))).toBe(true);
    expect(
      lines.some(
        (line) => line.startsWith('cccccccccccc,AIza****cccc,gemini,1,0,') && line.includes(',0.000024,'),
      ),
    ).toBe(true);
  });

  it('draws the daily cost per key in the terminal: symbols, legend, dates, 80 columns when not a terminal (or COLUMNS)', async () => {
    const { code, stdout } = await keycard(['usage', '--ledger', url, '--chart'], {
      env: { COLUMNS: undefined },
    });
    expect(code).toBe(0);
    // NO_COLOR (set by the helper): no escape sequence; the symbols tell the series apart.
    expect(stdout).not.toContain('\u001b[');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Daily cost per key, \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(UTC\)$/);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(Math.max(...lines.map((line) => line.length))).toBeGreaterThan(70);
    const { plot, dates, legend } = chartParts(stdout);
    expect(legend).toContain('● sk-proj-****aaaa');
    expect(legend).toContain('▲ sk-ant-api03-****bbAA');
    expect(legend).toContain('■ AIza****cccc');
    for (const symbol of ['●', '▲', '■']) expect(plot).toContain(symbol);
    const today = new Date().toISOString().slice(5, 10);
    expect(dates).toContain(today);
    // COLUMNS, when the output is not a terminal.
    const wide = await keycard(['usage', '--ledger', url, '--chart'], { env: { COLUMNS: '150' } });
    const wideLines = wide.stdout.trimEnd().split('\n');
    expect(Math.max(...wideLines.map((line) => line.length))).toBeLessThanOrEqual(150);
    expect(Math.max(...wideLines.map((line) => line.length))).toBeGreaterThan(140);
    const byProvider = await keycard(['usage', '--ledger', url, '--chart', '--by', 'provider']);
    expect(byProvider.stdout).toContain('Daily cost per provider');
    expect(chartParts(byProvider.stdout).legend).toBe(
      '● openai $0.1500   ▲ anthropic $0.1000   ■ gemini $0.000024',
    );
  });

  it('colours the chart with FORCE_COLOR, the legend as the plot', async () => {
    const { stdout } = await keycard(['usage', '--ledger', url, '--chart'], {
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    const blue = '\u001b[34m●\u001b[39m';
    const yellow = '\u001b[33m▲\u001b[39m';
    const parts = chartParts(stdout);
    expect(parts.legend).toContain(`${blue} sk-proj-****aaaa`);
    expect(parts.legend).toContain(`${yellow} sk-ant-api03-****bbAA`);
    expect(parts.plot).toContain(blue);
    expect(parts.plot).toContain(yellow);
  });

  it('refuses a bad --by or --since, or --home with --ledger, with exit 2', async () => {
    expect((await keycard(['usage', '--ledger', url, '--by', 'colour'])).code).toBe(2);
    const twice = await keycard(['usage', '--ledger', url, '--by', 'model,model']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('twice');
    const both = await keycard(['usage', '--ledger', url, '--home', tmpdir()]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--home or a ledger');
    const bad = await keycard(['usage', '--ledger', url, '--since', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes a date');
  });

  describe.skipIf(!existsSync(CHROMIUM))('the HTML report in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    });
    afterAll(async () => {
      await browser?.close();
    });

    async function report(ledger: string, extra: string[] = []): Promise<string> {
      const file = join(await mkdtemp(join(tmpdir(), 'keycard-report-')), 'report.html');
      const { code } = await keycard(['usage', '--ledger', ledger, '--html', file, ...extra]);
      expect(code).toBe(0);
      const html = await readFile(file, 'utf8');
      // Self-contained, and readable without JavaScript: there is no script at all.
      expect(html).not.toMatch(/<script|<link[^>]+href=/i);
      return file;
    }

    interface Layout {
      tables: Record<string, string[][]>;
      charts: Array<{
        id: string;
        bars: number;
        labels: Array<{ text: string; x: number; y: number; width: number; height: number }>;
        width: number;
      }>;
      legend: string;
      budget: number;
      pageWidth: number;
      viewport: number;
    }

    /** Opens `file` at `width` with JavaScript off; returns what is on the page and where. */
    async function open(file: string, width: number, shot: string): Promise<Layout> {
      const context = await browser.newContext({
        viewport: { width, height: 900 },
        javaScriptEnabled: false,
      });
      try {
        const page = await context.newPage();
        const requests: string[] = [];
        page.on('request', (request) => requests.push(request.url()));
        await page.goto(`file://${file}`);
        expect(requests.every((request) => request.startsWith('file://'))).toBe(true);
        await page.screenshot({ path: shot, fullPage: true });
        // Evaluated by the tool, not by the page's scripts (there are none); a string: the test
        // code itself has no DOM types.
        return (await page.evaluate(`(() => {
          const tables = {};
          for (const table of document.querySelectorAll('table')) {
            tables[table.id] = [...table.querySelectorAll('tr')].map((row) => [...row.children].map((cell) => cell.textContent.trim()));
          }
          const charts = [...document.querySelectorAll('figure.chart')].map((figure) => ({
            id: figure.id,
            bars: figure.querySelectorAll('rect.bar').length,
            width: figure.querySelector('svg.daily').getBoundingClientRect().width,
            labels: [...figure.querySelectorAll('text.x-label')]
              .filter((label) => getComputedStyle(label).display !== 'none')
              .map((label) => { const box = label.getBoundingClientRect(); return { text: label.textContent, x: box.x, y: box.y, width: box.width, height: box.height }; }),
          }));
          return {
            tables,
            charts,
            legend: document.querySelector('#by-key .legend')?.textContent ?? '',
            budget: document.querySelectorAll('#budget .bar').length,
            pageWidth: document.documentElement.scrollWidth,
            viewport: window.innerWidth,
          };
        })()`)) as Layout;
      } finally {
        await context.close();
      }
    }

    function expectNoOverlap(layout: Layout, where: string): void {
      for (const chart of layout.charts) {
        expect(chart.labels.length, `${where} ${chart.id}`).toBeGreaterThan(1);
        const sorted = [...chart.labels].sort((a, b) => a.x - b.x);
        for (let index = 1; index < sorted.length; index += 1) {
          const [left, right] = [sorted[index - 1], sorted[index]];
          if (left === undefined || right === undefined) continue;
          expect(left.x + left.width, `${where} ${chart.id}: ${left.text} and ${right.text}`).toBeLessThan(
            right.x,
          );
        }
        // Inside the page: nothing sticks out to the left or right.
        expect(sorted[0]?.x ?? -1, `${where} ${chart.id}`).toBeGreaterThanOrEqual(0);
        const last = sorted.at(-1);
        expect((last?.x ?? 0) + (last?.width ?? 0), `${where} ${chart.id}`).toBeLessThanOrEqual(
          layout.viewport,
        );
      }
      // The page itself fits: wide tables scroll in their own box.
      expect(layout.pageWidth, where).toBeLessThanOrEqual(layout.viewport);
    }

    it('has tables of totals by provider, model, key and workflow, and the charts, without JavaScript', async () => {
      const file = await report(url, ['--budget-usd', '0.2']);
      const folder = await mkdtemp(join(tmpdir(), 'keycard-report-shots-'));
      const layout = await open(file, 1280, join(folder, 'desktop.png'));
      const { tables } = layout;
      expect(tables['table-provider']?.[0]).toEqual([
        'provider',
        'cost',
        'requests',
        'errors',
        'input',
        'cached input',
        'cache write',
        'output',
        'reasoning',
      ]);
      const openai = tables['table-provider']?.find((cells) => cells[0] === 'openai');
      expect(openai?.slice(0, 4)).toEqual(['openai', '$0.1500', '6', '1']);
      const geminiRow = tables['table-model']?.find((cells) => cells[1] === 'gemini-2.0-flash');
      expect(geminiRow?.slice(0, 3)).toEqual(['gemini', 'gemini-2.0-flash', '$0.000024']);
      const keyRow = tables['table-key']?.find((cells) => cells[1] === 'sk-ant-api03-****bbAA');
      expect(keyRow?.slice(0, 4)).toEqual(['anthropic', 'sk-ant-api03-****bbAA', '$0.1000', '5']);
      expect(
        tables['table-workflow']
          ?.map((cells) => cells[0])
          .slice(1)
          .sort(),
      ).toEqual(['(no workflow)', 'inbox', 'triage']);
      // Costliest first.
      expect(tables['table-provider']?.[1]?.[0]).toBe('openai');
      expect(layout.charts.map((chart) => chart.id)).toEqual(['by-provider', 'by-key', 'by-workflow']);
      // Five days, two series each day, and the one Gemini day.
      expect(layout.charts.find((chart) => chart.id === 'by-key')?.bars).toBe(11);
      expect(layout.legend).toContain('sk-proj-****aaaa');
      expect(layout.budget).toBe(3);
      expectNoOverlap(layout, 'desktop');
    });

    it('keeps date labels apart at a desktop and a phone width, over six weeks and on a first day', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'keycard-report-shots-'));
      const month = await report(monthUrl, ['--budget-usd', '20']);
      const desktop = await open(month, 1280, join(folder, 'month-1280.png'));
      const phone = await open(month, 390, join(folder, 'month-390.png'));
      expectNoOverlap(desktop, 'desktop');
      expectNoOverlap(phone, 'phone');
      // The chart follows the page's width.
      const width = (layout: Layout) => layout.charts[0]?.width ?? 0;
      expect(width(desktop)).toBeGreaterThan(900);
      expect(width(phone)).toBeLessThan(390);
      // Thinned, not dropped: the latest day is labelled at both widths.
      const today = new Date().toISOString().slice(5, 10);
      expect(desktop.charts[0]?.labels.at(-1)?.text).toBe(today);
      expect(phone.charts[0]?.labels.at(-1)?.text).toBe(today);
      expect(desktop.charts[0]?.labels.length ?? 0).toBeGreaterThan(phone.charts[0]?.labels.length ?? 0);
      const first = await report(firstDayUrl);
      const firstDesktop = await open(first, 1280, join(folder, 'first-1280.png'));
      const firstPhone = await open(first, 390, join(folder, 'first-390.png'));
      expectNoOverlap(firstDesktop, 'first day, desktop');
      expectNoOverlap(firstPhone, 'first day, phone');
      // A first day is one bar in a week, not a block across the page.
      const chart = firstDesktop.charts[0];
      expect(chart?.labels.map((label) => label.text)).toHaveLength(7);
      if (process.env['KEYCARD_REPORT_SCREENSHOT'] === '1') {
        await open(month, 1280, join(import.meta.dirname, '../../docs/usage-report.png'));
      }
    });
  });
});
