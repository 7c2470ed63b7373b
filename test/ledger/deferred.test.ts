/**
 * The default ledger while it opens (`DeferredLedger`): events recorded before the open are
 * handed to the ledger in order, none lost, before anyone awaiting the open sees it; when it
 * cannot open, recording never throws; a budget gate appears with the open ledger. Real SQLite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetGate } from '../../src/instrument/budget-gate.js';
import { lateGate } from '../../src/instrument/late-gate.js';
import type { BaseLedger } from '../../src/ledger/base.js';
import { DeferredLedger } from '../../src/ledger/deferred.js';
import type { Ledger } from '../../src/ledger/types.js';
import { type TestLedger, testLedger, usageEvent } from '../helpers/ledgers.js';

const cleanups: TestLedger[] = [];
afterEach(async () => {
  for (const ledger of cleanups.splice(0)) await ledger.cleanup();
});

/** A promise of a ledger, settled by hand. */
function opening() {
  let open!: (ledger: Ledger) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<Ledger>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

async function models(ledger: Ledger): Promise<Array<string | null>> {
  const seen: Array<string | null> = [];
  for await (const event of ledger.events()) seen.push(event.model);
  return seen;
}

describe('DeferredLedger', () => {
  it('hands the events recorded before the open to the ledger, in order, none lost; later ones follow', async () => {
    const store = await testLedger('sqlite');
    cleanups.push(store);
    const { promise, open } = opening();
    const deferred = new DeferredLedger(promise);
    const before = Array.from({ length: 300 }, (_, index) => `before-${index}`);
    for (const model of before) deferred.record(usageEvent({ model }));
    expect(deferred.queued).toBe(300);
    open(store.ledger);
    // Whoever awaits the open after the client was created finds every event handed over.
    await promise;
    expect(deferred.queued).toBe(0);
    expect(store.ledger.bufferedEvents).toBe(300);
    deferred.record(usageEvent({ model: 'after' }));
    await deferred.flush();
    expect(await models(store.ledger)).toEqual([...before, 'after']);
    // Through the deferred ledger too, and from another handle on the file.
    expect(await models(deferred)).toEqual([...before, 'after']);
    expect(await models(await store.reopen())).toEqual([...before, 'after']);
  });

  it("keeps a copy of each event: the caller's object may change before the open", async () => {
    const store = await testLedger('sqlite');
    cleanups.push(store);
    const { promise, open } = opening();
    const deferred = new DeferredLedger(promise);
    const event = usageEvent({ model: 'first' });
    deferred.record(event);
    event.model = 'changed';
    open(store.ledger);
    await deferred.flush();
    expect(await models(store.ledger)).toEqual(['first']);
  });

  it('when the ledger cannot open: recording and flushing do not throw, the events are dropped, the hook hears why', async () => {
    const { promise, fail } = opening();
    const failures: unknown[] = [];
    const deferred = new DeferredLedger(promise, { failed: (error) => failures.push(error) });
    deferred.record(usageEvent());
    fail(new Error('read-only file system'));
    await expect(deferred.flush()).resolves.toBeUndefined();
    expect(() => deferred.record(usageEvent())).not.toThrow();
    expect(deferred.queued).toBe(0);
    expect(failures).toEqual([new Error('read-only file system')]);
    await expect(deferred.totals()).rejects.toThrow('the default ledger could not be opened');
  });

  it('keeps at most maxQueued events, and says how many it lost once the ledger is open', async () => {
    const store = await testLedger('memory');
    cleanups.push(store);
    const { promise, open } = opening();
    const deferred = new DeferredLedger(promise, {}, 3);
    for (let index = 0; index < 5; index += 1) deferred.record(usageEvent({ model: `m${index}` }));
    const warnings: Array<{ message: string; code: string | undefined }> = [];
    const listener = (warning: Error & { code?: string }) =>
      warnings.push({ message: warning.message, code: warning.code });
    process.on('warning', listener);
    try {
      open(store.ledger);
      await deferred.flush();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(await models(store.ledger)).toEqual(['m0', 'm1', 'm2']);
    expect(warnings).toEqual([
      {
        code: 'KEYCARD_LEDGER_EVENTS_LOST',
        message:
          'keycard: 2 usage events were not recorded: more than 3 were waiting for the default ledger to open.',
      },
    ]);
  });

  it("gives a late budget gate its ledger's budgets once open, and none before", async () => {
    const store = await testLedger('sqlite');
    cleanups.push(store);
    const { promise, open } = opening();
    const deferred = new DeferredLedger(promise);
    const made: BaseLedger[] = [];
    const logger = { error() {}, warn() {}, info() {}, debug() {} };
    const gate = lateGate(deferred, (ledger) => {
      made.push(ledger);
      return new BudgetGate([], ledger, 'openai', null, logger);
    });
    expect(gate.active).toBe(false);
    open(store.ledger);
    const ledger = (await promise) as BaseLedger;
    // Made in the open's first reaction: before this await returned.
    expect(made).toEqual([store.ledger]);
    expect(gate.active).toBe(false);
    ledger.addBudget({ usd: 1, period: 'day' });
    expect(gate.active).toBe(true);
  });
});
