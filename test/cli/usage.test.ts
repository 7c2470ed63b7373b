/**
 * `keycard usage` on a real SQLite ledger: table, JSON, CSV, the terminal chart, and the HTML
 * report opened in headless Chromium (Debian's chromium with playwright-core), whose charts must
 * be drawn.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { keycard } from '../helpers/cli.js';
import { usageEvent } from '../helpers/ledgers.js';

let url: string;
const CHROMIUM = '/usr/bin/chromium';

beforeAll(async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-cli-usage-')), 'ledger.db');
  url = `sqlite:${path}`;
  const ledger = await openSqliteLedger(path);
  const day = (n: number) => new Date(Date.now() - n * 86_400_000);
  for (let n = 0; n < 5; n += 1) {
    ledger.record(usageEvent({ time: day(n), costUsd: 0.01 * (n + 1), workflow: 'inbox' }));
    ledger.record(
      usageEvent({
        time: day(n),
        keyFingerprint: 'bbbbbbbbbbbb',
        maskedId: 'sk-ant-api03-****bbAA',
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        costUsd: 0.02,
        workflow: 'triage',
      }),
    );
  }
  ledger.record(
    usageEvent({
      time: day(1),
      outcome: 'unauthorized',
      status: 401,
      costUsd: 0,
      inputTokens: null,
      outputTokens: null,
    }),
  );
  await ledger.close();
});

describe('keycard usage', () => {
  it('prints a table by key, with costs', async () => {
    const { code, stdout } = await keycard(['usage', '--ledger', url]);
    expect(code).toBe(0);
    expect(stdout).toContain('sk-proj-****aaaa (aaaaaaaaaaaa)');
    expect(stdout).toContain('sk-ant-api03-****bbAA');
    expect(stdout).toContain('$0.1500');
    expect(stdout).toContain('$0.1000');
  });

  it('groups by workflow and day, and filters by time', async () => {
    const json = await keycard(['usage', '--ledger', url, '--by', 'workflow', '--json']);
    const rows = JSON.parse(json.stdout) as Array<{
      workflow: string | null;
      requests: number;
      errors: number;
    }>;
    expect(rows.find((row) => row.workflow === 'inbox')?.requests).toBe(5);
    const recent = await keycard(['usage', '--ledger', url, '--by', 'day', '--since', '2d', '--json']);
    expect((JSON.parse(recent.stdout) as unknown[]).length).toBe(2);
  });

  it('writes CSV', async () => {
    const { stdout } = await keycard(['usage', '--ledger', url, '--csv']);
    const [head, ...lines] = stdout.trim().split('\n');
    expect(head).toBe(
      'key,maskedId,requests,errors,inputTokens,cachedInputTokens,outputTokens,reasoningTokens,costUsd,unpricedRequests',
    );
    expect(lines).toHaveLength(2);
    expect(lines.some((line) => line.startsWith('aaaaaaaaaaaa,sk-proj-****aaaa,6,1,'))).toBe(true);
  });

  it('draws the daily cost per key in the terminal', async () => {
    const { code, stdout } = await keycard(['usage', '--ledger', url, '--chart']);
    expect(code).toBe(0);
    expect(stdout).toContain('Daily cost per key');
    expect(stdout).toMatch(/[╭╮╯╰─│┼┤]/);
    expect(stdout).toContain('sk-ant-api03-****bbAA');
  });

  it('refuses a bad --by or --since with exit 2', async () => {
    expect((await keycard(['usage', '--ledger', url, '--by', 'colour'])).code).toBe(2);
    const bad = await keycard(['usage', '--ledger', url, '--since', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes a date');
  });

  it.skipIf(!existsSync(CHROMIUM))('writes an HTML report whose charts a browser draws', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'keycard-report-')), 'report.html');
    const { code } = await keycard(['usage', '--ledger', url, '--html', file, '--budget-usd', '0.2']);
    expect(code).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const browser = await chromium.launch({
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
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`file://${file}`);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 10_000 });
      expect(errors).toEqual([]);
      expect(requests.every((request) => request.startsWith('file://'))).toBe(true);
      // A string, evaluated in the page: the test code itself has no DOM types.
      const bars = (await page.evaluate(`(() => ({
        byKey: document.querySelectorAll('#by-key svg rect.bar').length,
        byWorkflow: document.querySelectorAll('#by-workflow svg rect.bar').length,
        budget: document.querySelectorAll('#budget svg rect.bar').length,
        series: [...new Set([...document.querySelectorAll('#by-workflow rect.bar')].map((bar) => bar.getAttribute('data-series')))].sort(),
        legend: document.querySelector('#by-key .legend')?.textContent ?? '',
      }))()`)) as { byKey: number; byWorkflow: number; budget: number; series: string[]; legend: string };
      expect(bars.byKey).toBe(10);
      expect(bars.byWorkflow).toBe(10);
      expect(bars.budget).toBe(2);
      expect(bars.series).toEqual(['inbox', 'triage']);
      expect(bars.legend).toContain('sk-proj-****aaaa');
    } finally {
      await browser.close();
    }
  });
});
