/**
 * Budgets and quotas through the real SDKs against the simulators: a blocked call throws
 * BudgetExceededError before any network traffic (and without SDK retries), warn mode, scopes,
 * thresholds that alert once, concurrency within a process and across processes sharing a
 * ledger file.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { type BudgetAlert, BudgetExceededError } from '../../src/ledger/budget.js';
import { startSimulator } from '../../src/testing/index.js';
import { CapturingLogger, clientFixture, openAIFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { type TestLedger, testLedger } from '../helpers/ledgers.js';
import { rejection } from '../helpers/rejections.js';

const run = promisify(execFile);
const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello budget' }] };
const open: TestLedger[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.cleanup();
});

describe('a request quota', () => {
  it('blocks the call past the quota before any network traffic, at once', async () => {
    const fixture = await openAIFixture({ client: { budget: { requests: 3, period: 'month' } } });
    try {
      for (let index = 0; index < 3; index += 1) await fixture.client.sdk.chat.completions.create(chat);
      const started = performance.now();
      const error = await rejection(fixture.client.sdk.chat.completions.create(chat));
      expect(performance.now() - started).toBeLessThan(300);
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(BudgetExceededError.is(error)).toBe(true);
      const blocked = error as BudgetExceededError;
      expect(blocked).toMatchObject({
        limit: 'requests',
        scope: `key:${fixture.client.fingerprint}`,
        spend: { requests: 3 },
      });
      expect(blocked.resetsAt.getUTCDate()).toBe(1);
      expect(blocked.message).toContain('3 of 3 requests');
      expect(fixture.simulator.tally().total.requests).toBe(3);
      expect((await fixture.ledger.totals())[0]?.requests).toBe(3);
    } finally {
      await fixture.close();
    }
  });

  it.each(['anthropic', 'gemini', 'google-genai', 'slack', 'telegram', 'xai'] as const)(
    'blocks a %s call the same way',
    async (provider) => {
      const fixture = await clientFixture(provider, { client: { budget: { requests: 0 } } });
      try {
        // biome-ignore lint/suspicious/noExplicitAny: one call per SDK, each typed differently.
        const sdk = fixture.client.sdk as unknown as Record<string, any>;
        const calls: Record<typeof provider, () => Promise<unknown>> = {
          anthropic: () =>
            sdk['messages'].create({
              model: 'claude-haiku-4-5',
              max_tokens: 10,
              messages: [{ role: 'user', content: 'hi' }],
            }),
          gemini: () => sdk['getGenerativeModel']({ model: 'gemini-2.0-flash' }).generateContent('hi'),
          'google-genai': () => sdk['models'].generateContent({ model: 'gemini-2.0-flash', contents: 'hi' }),
          slack: () => sdk['auth'].test(),
          telegram: () => sdk['getMe'](),
          xai: () => sdk['models'].list(),
        };
        const error = await rejection(calls[provider]());
        expect(error).toBeInstanceOf(BudgetExceededError);
        expect(fixture.simulator.tally().total.requests).toBe(0);
      } finally {
        await fixture.close();
      }
    },
  );
});

describe('a USD budget', () => {
  it('warns instead of blocking with onExceed: warn, once', async () => {
    const fixture = await openAIFixture({
      client: { budget: { usd: 0.000_000_1, onExceed: 'warn', alertAt: [1] } },
    });
    try {
      for (let index = 0; index < 4; index += 1) await fixture.client.sdk.chat.completions.create(chat);
      expect(fixture.simulator.tally().total.requests).toBe(4);
      expect(fixture.logger.lines.filter((line) => line.includes("onExceed is 'warn'"))).toHaveLength(1);
    } finally {
      await fixture.close();
    }
  });

  it('alerts at each threshold once, to listeners and the logger', async () => {
    const fixture = await openAIFixture({ client: { budget: { requests: 4, alertAt: [0.5, 0.75, 1] } } });
    const alerts: BudgetAlert[] = [];
    fixture.ledger.on('alert', (alert) => alerts.push(alert));
    try {
      for (let index = 0; index < 4; index += 1) await fixture.client.sdk.chat.completions.create(chat);
      await rejection(fixture.client.sdk.chat.completions.create(chat));
      await fixture.ledger.flush();
      expect(alerts.map((alert) => alert.threshold)).toEqual([0.5, 0.75, 1]);
      expect(alerts[0]).toMatchObject({
        kind: 'threshold',
        scope: `key:${fixture.client.fingerprint}`,
        spend: { requests: 2 },
      });
      expect(fixture.logger.lines.filter((line) => line.includes('% this month'))).toHaveLength(3);
    } finally {
      await fixture.close();
    }
  });

  it('keeps the overshoot within the calls in flight when many run at once', async () => {
    const fixture = await openAIFixture();
    try {
      // One call to learn the cost of this prompt.
      await fixture.client.sdk.chat.completions.create(chat);
      const [first] = await fixture.ledger.totals();
      const cost = first?.costUsd ?? 0;
      expect(cost).toBeGreaterThan(0);
      const client = await createClient('openai', keys.literal(fixture.key), {
        baseURL: fixture.simulator.baseURL('openai'),
        ledger: fixture.ledger,
        maxRetries: 0,
        budget: { usd: cost * 6.5, period: 'day' },
      });
      await client.sdk.chat.completions.create(chat);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => client.sdk.chat.completions.create(chat)),
      );
      const ok = results.filter((result) => result.status === 'fulfilled').length;
      expect(ok).toBe(4);
      const [after] = await fixture.ledger.totals();
      expect(after?.costUsd).toBeLessThanOrEqual(cost * 6.5 + 1e-12);
      for (const result of results)
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(BudgetExceededError);
    } finally {
      await fixture.close();
    }
  });
});

describe('scopes and ledger budgets', () => {
  it('counts a workflow budget per workflow, and applies budgets registered on the ledger', async () => {
    const item = await testLedger('sqlite');
    open.push(item);
    const key = testKey('openai', 'scopes');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const make = (workflow: string) =>
        createClient('openai', keys.literal(key), {
          baseURL: simulator.baseURL('openai'),
          ledger: item.ledger,
          workflow,
          maxRetries: 0,
          budget: { requests: 2, scope: 'workflow' },
        });
      const a = await make('a');
      const b = await make('b');
      await a.sdk.models.list();
      await a.sdk.models.list();
      await b.sdk.models.list();
      expect(await rejection(a.sdk.models.list())).toBeInstanceOf(BudgetExceededError);
      await b.sdk.models.list();
      // Four calls are recorded; a cap of five on the provider leaves one, for any workflow.
      item.ledger.addBudget({ requests: 5, scope: 'provider', name: 'openai cap' });
      const c = await make('c');
      await c.sdk.models.list();
      const capped = (await rejection(c.sdk.models.list())) as BudgetExceededError;
      expect(capped.budget).toBe('openai cap');
      expect(capped.scope).toBe('provider:openai');
    } finally {
      await simulator.close();
    }
  });

  it('refuses a budget without a keycard ledger, and a budget without a limit', async () => {
    await expect(openAIFixture({ client: { ledger: false, budget: { requests: 1 } } })).rejects.toThrow(
      /need one of keycard's ledgers/,
    );
    await expect(openAIFixture({ client: { budget: {} } })).rejects.toThrow(/at least one limit/);
  });
});

describe('a quota shared by processes', () => {
  it.each(['sqlite', 'jsonl', 'postgres'] as const)(
    'holds exactly across three processes on one %s ledger, and alerts once',
    async (backend) => {
      const item = await testLedger(backend);
      open.push(item);
      const key = testKey('openai', `processes-${backend}`);
      const simulator = await startSimulator({ keys: [key] });
      try {
        const script = join(import.meta.dirname, '../helpers/budget-client.mjs');
        const outputs = await Promise.all(
          [1, 2, 3].map(() =>
            run(process.execPath, [script, simulator.baseURL('openai'), item.url, '15', '20'], {
              env: { ...process.env, BUDGET_KEY: key },
            }),
          ),
        );
        const results = outputs.map(
          ({ stdout }) => JSON.parse(stdout) as { ok: number; blocked: number; alerts: number[] },
        );
        expect(results.reduce((sum, result) => sum + result.ok, 0)).toBe(20);
        expect(results.reduce((sum, result) => sum + result.blocked, 0)).toBe(25);
        expect(simulator.tally().total.requests).toBe(20);
        expect(results.flatMap((result) => result.alerts).sort()).toEqual([0.5, 1]);
      } finally {
        await simulator.close();
      }
    },
    60_000,
  );
});

describe('logger', () => {
  it('is told about thresholds even without listeners', async () => {
    const logger = new CapturingLogger();
    const fixture = await openAIFixture({ client: { logger, budget: { requests: 2, alertAt: [1] } } });
    try {
      await fixture.client.sdk.models.list();
      await fixture.client.sdk.models.list();
      await fixture.ledger.flush();
      expect(logger.lines.some((line) => line.startsWith('warn') && line.includes('at 100 %'))).toBe(true);
    } finally {
      await fixture.close();
    }
  });
});
