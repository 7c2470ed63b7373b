/**
 * Budgets while the PostgreSQL ledger is down (its proxy killed), with the real OpenAI SDK against
 * the simulator: `onLedgerDown: 'allow'` (the default) lets calls through and still stops this
 * process at the limit, counting its own calls; `onLedgerDown: 'block'` rejects each call with a
 * `LedgerUnavailableError` before anything is sent, and lets calls through again once the store
 * is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { type Budget, BudgetExceededError, resolveBudget } from '../../src/ledger/budget.js';
import { LedgerUnavailableError } from '../../src/ledger/unavailable.js';
import { fakeKey, type Simulator, startSimulator } from '../../src/testing/index.js';
import { CapturingLogger } from '../helpers/fixture.js';
import { type ProxiedLedger, proxiedLedger } from '../helpers/postgres-outage.js';
import { rejection } from '../helpers/rejections.js';

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello budget' }] };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(budget: Budget) {
  const key = fakeKey('openai');
  const simulator: Simulator = await startSimulator({ keys: [key] });
  cleanups.push(() => simulator.close());
  const store: ProxiedLedger = await proxiedLedger();
  cleanups.push(() => store.cleanup());
  const logger = new CapturingLogger();
  const client = await createClient('openai', keys.literal(key), {
    baseURL: simulator.baseURL('openai'),
    ledger: store.ledger,
    maxRetries: 0,
    logger,
    budget,
  });
  cleanups.push(() => client.close().catch(() => undefined));
  return { simulator, store, logger, client, call: () => client.sdk.chat.completions.create(chat) };
}

describe('a budget while the PostgreSQL ledger is down', () => {
  it("lets calls through by default (onLedgerDown: 'allow'), warns once, and stores every event once the ledger is back", async () => {
    const { simulator, store, logger, call } = await setup({ requests: 100, period: 'month' });
    for (let index = 0; index < 2; index += 1) await call();
    await store.proxy.kill();
    for (let index = 0; index < 5; index += 1) await call();
    expect(simulator.tally().total.requests).toBe(7);
    const unchecked = logger.lines.filter((line) => line.includes('cannot be checked'));
    expect(unchecked).toHaveLength(1);
    expect(unchecked[0]).toContain("onLedgerDown is 'allow'");
    await store.proxy.restart();
    await store.recovery();
    expect((await store.ledger.totals())[0]?.requests).toBe(7);
    // Checked against the store again: no second warning.
    await call();
    expect(logger.lines.filter((line) => line.includes('cannot be checked'))).toHaveLength(1);
  });

  it("still stops this process at the limit while the ledger is down (onLedgerDown: 'allow')", async () => {
    const { simulator, store, call } = await setup({ requests: 5, period: 'month' });
    for (let index = 0; index < 2; index += 1) await call();
    await store.proxy.kill();
    for (let index = 0; index < 3; index += 1) await call();
    const error = await rejection(call());
    expect(BudgetExceededError.is(error)).toBe(true);
    expect(error).toMatchObject({ limit: 'requests', spend: { requests: 5 } });
    expect(simulator.tally().total.requests).toBe(5);
  });

  it("rejects each call with a LedgerUnavailableError before anything is sent (onLedgerDown: 'block'), and lets calls through once it is back", async () => {
    const { simulator, store, client, call } = await setup({
      requests: 100,
      period: 'month',
      name: 'hard cap',
      onLedgerDown: 'block',
    });
    await call();
    await store.proxy.kill();
    for (let index = 0; index < 3; index += 1) {
      const started = performance.now();
      const error = await rejection(call());
      expect(LedgerUnavailableError.is(error)).toBe(true);
      expect(error).toBeInstanceOf(LedgerUnavailableError);
      const unavailable = error as LedgerUnavailableError;
      expect(unavailable).toMatchObject({
        budget: 'hard cap',
        scope: `key:${client.fingerprint}`,
        retryable: true,
        ledger: expect.stringContaining(`127.0.0.1:${store.proxy.port}`),
      });
      expect(unavailable.message).toContain('budget "hard cap"');
      expect(unavailable.message).toContain('cannot be checked');
      expect(unavailable.message).toContain("onLedgerDown is 'block'");
      expect(unavailable.message).toMatch(/ECONNREFUSED|ECONNRESET|terminated/);
      expect(unavailable.hint).toContain("onLedgerDown: 'allow'");
      // A generous floor: the SDK did not retry, and the gate did not wait for the store.
      expect(performance.now() - started).toBeLessThan(5_000);
    }
    expect(simulator.tally().total.requests).toBe(1);
    await store.proxy.restart();
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await call();
        break;
      } catch (error) {
        if (!LedgerUnavailableError.is(error) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(simulator.tally().total.requests).toBe(2);
    expect((await store.ledger.totals())[0]?.requests).toBe(2);
  });

  it("defaults onLedgerDown to 'allow' and accepts only 'allow' or 'block'", () => {
    expect(resolveBudget({ usd: 1 }).onLedgerDown).toBe('allow');
    expect(resolveBudget({ usd: 1, onLedgerDown: 'block' }).onLedgerDown).toBe('block');
    expect(() => resolveBudget({ usd: 1, onLedgerDown: 'deny' as 'block' })).toThrow(/onLedgerDown/);
  });
});
