import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { UsageEvent } from '../../src/ledger/types.js';

function event(overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    time: new Date('2026-11-01T10:00:00Z'),
    provider: 'openai',
    operation: 'chat.completions',
    model: 'gpt-4o-mini',
    keyFingerprint: 'aaaaaaaaaaaa',
    maskedId: 'sk-proj-****aaaa',
    workflow: null,
    inputTokens: 10,
    cachedInputTokens: 2,
    cacheWriteTokens: null,
    outputTokens: 5,
    reasoningTokens: 1,
    requests: 1,
    costUsd: null,
    pricing: null,
    latencyMs: 12,
    outcome: 'ok',
    status: 200,
    stream: false,
    ...overrides,
  };
}

describe('MemoryLedger', () => {
  it('sums everything into one row by default', async () => {
    const ledger = new MemoryLedger();
    ledger.record(event());
    ledger.record(event({ inputTokens: 20, outputTokens: null, costUsd: 0.5 }));
    ledger.record(
      event({
        outcome: 'unauthorized',
        status: 401,
        inputTokens: null,
        outputTokens: null,
        cachedInputTokens: null,
        reasoningTokens: null,
      }),
    );
    expect(await ledger.totals()).toEqual([
      {
        requests: 3,
        errors: 1,
        inputTokens: 30,
        cachedInputTokens: 4,
        cacheWriteTokens: 0,
        outputTokens: 5,
        reasoningTokens: 2,
        costUsd: 0.5,
        unpricedRequests: 1,
      },
    ]);
  });

  it('groups by key, model, workflow and day, and filters by time and fields', async () => {
    const ledger = new MemoryLedger();
    ledger.record(event({ workflow: 'a' }));
    ledger.record(event({ workflow: 'b', keyFingerprint: 'bbbbbbbbbbbb', maskedId: 'sk-proj-****bbbb' }));
    ledger.record(event({ workflow: 'a', time: new Date('2026-11-02T10:00:00Z'), model: 'gpt-4o' }));
    const byKey = await ledger.totals({ by: ['fingerprint'] });
    expect(byKey.map((row) => [row.fingerprint, row.maskedId, row.requests])).toEqual([
      ['aaaaaaaaaaaa', 'sk-proj-****aaaa', 2],
      ['bbbbbbbbbbbb', 'sk-proj-****bbbb', 1],
    ]);
    const byDayWorkflow = await ledger.totals({ by: ['day', 'workflow'] });
    expect(byDayWorkflow.map((row) => [row.day, row.workflow, row.requests])).toEqual([
      ['2026-11-01', 'a', 1],
      ['2026-11-01', 'b', 1],
      ['2026-11-02', 'a', 1],
    ]);
    const since = await ledger.totals({ since: new Date('2026-11-02T00:00:00Z') });
    expect(since[0]?.requests).toBe(1);
    const until = await ledger.totals({ until: new Date('2026-11-02T00:00:00Z') });
    expect(until[0]?.requests).toBe(2);
    const where = await ledger.totals({ by: ['model'], where: { workflow: 'a' } });
    expect(where.map((row) => [row.model, row.requests])).toEqual([
      ['gpt-4o-mini', 1],
      ['gpt-4o', 1],
    ]);
  });

  it('iterates events oldest first, as copies that cannot change the ledger', async () => {
    const ledger = new MemoryLedger();
    const original = event();
    ledger.record(original);
    original.inputTokens = 999;
    const seen: UsageEvent[] = [];
    for await (const recorded of ledger.events()) seen.push(recorded);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.inputTokens).toBe(10);
    expect(Object.isFrozen(seen[0])).toBe(true);
  });

  it('ignores events after close', async () => {
    const ledger = new MemoryLedger();
    await ledger.close();
    ledger.record(event());
    expect(await ledger.totals()).toEqual([]);
  });
});
