/**
 * After a mixed run (every provider, every call style, every fault) recorded in a SQLite file and
 * in PostgreSQL, the ledger's totals per provider equal what the simulator itself served; and the
 * anomaly alert fires on an unusual hour.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import type { BudgetAlert } from '../../src/ledger/budget.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { ProviderId } from '../../src/providers/ids.js';
import { adapters, providerOf, type SupportedProvider } from '../../src/providers/registry.js';
import { startSimulator } from '../../src/testing/index.js';
import { capturing } from '../helpers/capture.js';
import { EXERCISES } from '../helpers/exercise/index.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';
import { type TestLedger, testLedger, usageEvent } from '../helpers/ledgers.js';

const open: TestLedger[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.cleanup();
});

describe.each(['sqlite', 'jsonl', 'postgres'] as const)('a mixed run recorded in %s', (backend) => {
  it('totals equal the simulator tally, per provider', async () => {
    const item = await testLedger(backend);
    open.push(item);
    const providers = Object.keys(adapters) as SupportedProvider[];
    // A client of another SDK ('google-genai') takes its provider's keys and simulator, and is
    // recorded under its provider ('gemini'): the two Gemini clients add up in one row.
    const keyOf = (provider: SupportedProvider) => testKey(providerOf(provider) as TestKeyKind, 'mixed-run');
    const recorded: ProviderId[] = [...new Set(providers.map(providerOf))];
    const simulator = await startSimulator({ keys: providers.map(keyOf) });
    try {
      for (const provider of providers) {
        const client = await createClient(provider, keys.literal(keyOf(provider)), {
          baseURL: simulator.baseURL(providerOf(provider)),
          ledger: item.ledger,
          maxRetries: 0,
          timeout: 5_000,
          workflow: 'mixed',
        });
        await EXERCISES[provider]?.(client, simulator, capturing([]));
        await client.close();
      }
      const rows = await item.ledger.totals({ by: ['provider'] });
      const served = simulator.tally().byProvider;
      for (const provider of recorded) {
        const row = rows.find((candidate) => candidate.provider === provider);
        const tally = served[provider];
        expect(tally, provider).toBeDefined();
        expect(row?.requests, provider).toBe((tally?.requests ?? 0) + (tally?.unanswered ?? 0));
        expect(row?.inputTokens, provider).toBe(tally?.inputTokens);
        expect(row?.cachedInputTokens, provider).toBe(tally?.cachedInputTokens);
        expect(row?.outputTokens, provider).toBe(tally?.outputTokens);
        expect(row?.reasoningTokens, provider).toBe(tally?.reasoningTokens);
        // Errors: answers of 400 and more, unanswered requests, and broken bodies (a 200 the SDK could not read).
        const failed = simulator.requests.filter(
          (request) =>
            request.provider === provider &&
            (request.status === null || request.status >= 400 || request.fault !== null),
        );
        // Slack also fails calls in 200 answers (`ok: false`), which the log does not mark.
        if (provider === 'slack') expect(row?.errors, provider).toBeGreaterThanOrEqual(failed.length);
        else expect(row?.errors, provider).toBe(failed.length);
      }
      const keysSeen = await item.ledger.keys();
      expect(keysSeen.map((key) => key.provider).sort()).toEqual([...recorded].sort());
    } finally {
      await simulator.close();
    }
  }, 120_000);
});

describe('the anomaly alert', () => {
  it('fires once when the last hour spends far more than the hourly average', async () => {
    const ledger = new MemoryLedger({ anomaly: { multiple: 5, windowHours: 24, minUsd: 1 } });
    const alerts: BudgetAlert[] = [];
    ledger.on('alert', (alert) => alerts.push(alert));
    const hour = 3_600_000;
    const now = Date.now();
    for (let index = 2; index <= 25; index += 1)
      ledger.record(usageEvent({ time: new Date(now - index * hour), costUsd: 0.1 }));
    await ledger.flush();
    expect(alerts).toEqual([]);
    ledger.record(usageEvent({ time: new Date(now - 60_000), costUsd: 2 }));
    await ledger.flush();
    ledger.record(usageEvent({ time: new Date(now - 30_000), costUsd: 2 }));
    await ledger.flush();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'anomaly', scope: 'key:aaaaaaaaaaaa' });
    expect(alerts[0]?.message).toContain('rotate the key');
  });
});
