/**
 * The ledger contract, for every backend: memory, a real SQLite file, real PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BaseLedger } from '../../src/ledger/base.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { type Backend, usageEvent as event, type TestLedger, testLedger } from '../helpers/ledgers.js';

const open: TestLedger[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.cleanup();
});

async function fresh(backend: Backend): Promise<BaseLedger> {
  const item = await testLedger(backend);
  open.push(item);
  return item.ledger;
}

describe.each(['memory', 'sqlite', 'jsonl', 'postgres'] as const)('%s ledger', (backend) => {
  it('sums everything into one row by default', async () => {
    const ledger = await fresh(backend);
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
    const ledger = await fresh(backend);
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
    const ledger = await fresh(backend);
    const original = event();
    ledger.record(original);
    original.inputTokens = 999;
    const seen: UsageEvent[] = [];
    for await (const recorded of ledger.events()) seen.push(recorded);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.inputTokens).toBe(10);
    expect(seen[0]).toEqual({ ...original, inputTokens: 10 });
  });

  it('groups by hour, keeps null workflows apart, and filters on null', async () => {
    const ledger = await fresh(backend);
    ledger.record(event({ time: new Date('2026-11-01T10:15:00Z') }));
    ledger.record(event({ time: new Date('2026-11-01T10:45:00Z'), workflow: 'w' }));
    ledger.record(event({ time: new Date('2026-11-01T11:05:00Z') }));
    const byHour = await ledger.totals({ by: ['hour'] });
    expect(byHour.map((row) => [row.hour, row.requests])).toEqual([
      ['2026-11-01T10', 2],
      ['2026-11-01T11', 1],
    ]);
    expect((await ledger.totals({ where: { workflow: null } }))[0]?.requests).toBe(2);
  });

  it('sums costs exactly, and counts unpriced calls apart', async () => {
    const ledger = await fresh(backend);
    for (let index = 0; index < 10; index += 1) ledger.record(event({ costUsd: 0.1 }));
    ledger.record(event({ costUsd: 0.2 }));
    ledger.record(event({ costUsd: null }));
    const [row] = await ledger.totals();
    expect(row?.costUsd).toBe(1.2);
    expect(row?.unpricedRequests).toBe(1);
  });

  it('lists keys with first and last use, requests, errors and cost', async () => {
    const ledger = await fresh(backend);
    ledger.record(event({ time: new Date('2026-10-01T00:00:00Z'), costUsd: 0.5 }));
    ledger.record(event({ time: new Date('2026-11-01T00:00:00Z'), outcome: 'unauthorized', status: 401 }));
    ledger.record(
      event({
        keyFingerprint: 'bbbbbbbbbbbb',
        maskedId: 'xoxb-****bbbb',
        provider: 'slack',
        time: new Date('2026-11-05T00:00:00Z'),
      }),
    );
    const keys = await ledger.keys();
    expect(keys.map((key) => key.fingerprint)).toEqual(['bbbbbbbbbbbb', 'aaaaaaaaaaaa']);
    expect(keys[1]).toEqual({
      fingerprint: 'aaaaaaaaaaaa',
      maskedId: 'sk-proj-****aaaa',
      provider: 'openai',
      firstUsed: new Date('2026-10-01T00:00:00Z'),
      lastUsed: new Date('2026-11-01T00:00:00Z'),
      requests: 2,
      errors: 1,
      costUsd: 0.5,
    });
  });

  it('pages through many events in order', async () => {
    const ledger = await fresh(backend);
    for (let index = 0; index < 2500; index += 1) ledger.record(event({ latencyMs: index }));
    let count = 0;
    let last = -1;
    for await (const recorded of ledger.events()) {
      expect(recorded.latencyMs).toBeGreaterThan(last);
      last = recorded.latencyMs;
      count += 1;
    }
    expect(count).toBe(2500);
  });

  it('leases atomically: the view counts events and live holds; an event is charged to its lease', async () => {
    const ledger = await fresh(backend);
    ledger.record(event({ costUsd: 1, keyFingerprint: 'kkkkkkkkkkkk' }));
    ledger.record(
      event({ costUsd: 2, keyFingerprint: 'kkkkkkkkkkkk', time: new Date('2025-12-31T00:00:00Z') }),
    );
    const scope = { field: 'key' as const, value: 'kkkkkkkkkkkk', id: 'key:kkkkkkkkkkkk' };
    const since = [new Date('2026-01-01T00:00:00Z'), new Date('2025-12-01T00:00:00Z')];
    const expiresAt = Date.now() + 60_000;
    const hold = (nusd: number, requests: number, tokens: number) => ({ nusd, requests, tokens });
    // A lease taken (set, as it had none), another process's lease, then the first one grows.
    expect(
      await ledger.lease(scope, since, 'lease:a', () => ({ add: hold(5e8, 2, 100), expiresAt })),
    ).toEqual({
      recorded: [hold(1e9, 1, 15), hold(3e9, 2, 30)],
      held: hold(0, 0, 0),
      own: undefined,
    });
    await ledger.lease(scope, since, 'lease:b', () => ({ add: hold(1e8, 1, 0), expiresAt }));
    await ledger.lease(scope, since, 'lease:a', () => ({ add: hold(5e8, 0, 0), expiresAt }));
    expect(await ledger.lease(scope, since, 'lease:a', () => undefined)).toEqual({
      recorded: [hold(1e9, 1, 15), hold(3e9, 2, 30)],
      held: hold(11e8, 3, 100),
      own: hold(1e9, 2, 100),
    });
    // An event charged to lease a: counted once, as an event.
    ledger.record(event({ costUsd: 0.25, keyFingerprint: 'kkkkkkkkkkkk' }), ['lease:a']);
    await ledger.flush();
    expect(await ledger.lease(scope, since, 'lease:a', () => undefined)).toEqual({
      recorded: [hold(125e7, 2, 30), hold(325e7, 3, 45)],
      held: hold(85e7, 2, 85),
      own: hold(75e7, 1, 85),
    });
    // A lease charged past what it held counts 0, not less; its events count.
    ledger.record(event({ costUsd: 0.5, keyFingerprint: 'kkkkkkkkkkkk', inputTokens: 200 }), ['lease:b']);
    await ledger.flush();
    expect((await ledger.lease(scope, since, 'lease:b', () => undefined)).held).toEqual(hold(75e7, 1, 85));
    // Removed: it counts no more; an expired lease neither, and taking it again sets it afresh.
    await ledger.lease(scope, since, 'lease:a', () => ({ remove: true }));
    await ledger.lease(scope, since, 'lease:c', () => ({ add: hold(7, 7, 7), expiresAt: Date.now() - 1 }));
    const view = await ledger.lease(scope, since, 'lease:c', () => ({ add: hold(3, 1, 0), expiresAt }));
    expect(view.own).toBeUndefined();
    expect(view.held).toEqual(hold(0, 0, 0));
    expect((await ledger.lease(scope, since, 'lease:c', () => undefined)).own).toEqual(hold(3, 1, 0));
  });

  it('fires an alert key once', async () => {
    const ledger = await fresh(backend);
    const seen: string[] = [];
    ledger.on('alert', (alert) => seen.push(alert.message));
    const alert = {
      kind: 'threshold' as const,
      scope: 'key:x',
      spend: { usd: 1, requests: 1, tokens: 1 },
      periodStart: new Date(),
      message: 'half',
    };
    expect(await ledger.alertOnce('k', alert)).toBe(true);
    expect(await ledger.alertOnce('k', alert)).toBe(false);
    expect(seen).toEqual(['half']);
  });

  it('shares key states: handles writing their first state at once all land, the newest per key and model wins', async () => {
    const item = await testLedger(backend);
    open.push(item);
    // Every handle makes the table on first use; on PostgreSQL, several doing so at once race.
    // The memory and JSON-lines ledgers share within one ledger object.
    const handles =
      backend === 'sqlite' || backend === 'postgres'
        ? [item.ledger, await item.reopen(), await item.reopen(), await item.reopen()]
        : [item.ledger, item.ledger, item.ledger, item.ledger];
    const written = await Promise.all(
      handles.map((handle, index) =>
        handle.shareKeyState({
          fingerprint: `fp${index}`,
          model: '',
          state: 'cooling',
          untilMs: 5_000 + index,
          updatedMs: 1_000 + index,
        }),
      ),
    );
    expect(written).toEqual([true, true, true, true]);
    expect(
      await handles[0]?.shareKeyState({
        fingerprint: 'fp0',
        model: '',
        state: 'exhausted',
        untilMs: 9_000,
        updatedMs: 2_000,
      }),
    ).toBe(true);
    const rows = await (handles[3] as BaseLedger).sharedKeyStates(['fp0', 'fp1', 'fp2', 'fp3', 'other'], 0);
    const byKey = Object.fromEntries(rows.map((row) => [row.fingerprint, [row.state, row.untilMs]]));
    expect(byKey).toEqual({
      fp0: ['exhausted', 9_000],
      fp1: ['cooling', 5_001],
      fp2: ['cooling', 5_002],
      fp3: ['cooling', 5_003],
    });
    expect(await (handles[1] as BaseLedger).sharedKeyStates(['fp0', 'fp1'], 1_500)).toHaveLength(1);
  });

  it('ignores events after close', async () => {
    const ledger = await fresh(backend);
    await ledger.close();
    ledger.record(event());
    if (backend === 'memory') expect(await ledger.totals()).toEqual([]);
  });
});
