/**
 * The write path every stored ledger shares, on SQLite: a file another process holds locked
 * (SQLITE_BUSY) is a store that cannot be written, like a disk that is full. Events wait in
 * memory, one warning says so, and they are written once the lock is gone; past
 * `maxBufferedEvents` the newest are dropped, counted and reported once.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLedger, type SqliteLedger } from '../../src/ledger/sqlite.js';
import { LedgerUnavailableError, type LedgerWarning } from '../../src/ledger/unavailable.js';
import { usageEvent } from '../helpers/ledgers.js';
import { rejection } from '../helpers/rejections.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lockedLedger(maxBufferedEvents?: number) {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-busy-')), 'ledger.db');
  const ledger: SqliteLedger = await openSqliteLedger(path, {
    busyTimeoutMs: 20,
    flushIntervalMs: 5,
    ...(maxBufferedEvents === undefined ? {} : { maxBufferedEvents }),
  });
  cleanups.push(() => ledger.close());
  const warnings: LedgerWarning[] = [];
  const next = (kind: LedgerWarning['kind']) =>
    new Promise<LedgerWarning>((resolve) => {
      const listener = (warning: LedgerWarning) => {
        if (warning.kind !== kind) return;
        ledger.off('warning', listener);
        resolve(warning);
      };
      ledger.on('warning', listener);
    });
  ledger.on('warning', (warning) => warnings.push(warning));
  const blocker = new Database(path);
  blocker.exec('BEGIN EXCLUSIVE');
  const unlock = () => {
    if (!blocker.open) return;
    blocker.exec('COMMIT');
    blocker.close();
  };
  cleanups.push(unlock);
  return { ledger, warnings, next, unlock };
}

describe('a SQLite ledger whose file cannot be written', () => {
  it('keeps the events, warns once, and writes them all once the file is free', async () => {
    const { ledger, warnings, next, unlock } = await lockedLedger();
    const unavailable = next('unavailable');
    for (let index = 0; index < 5; index += 1) ledger.record(usageEvent());
    expect((await unavailable).message).toMatch(
      /SqliteLedger\(.*ledger\.db\) cannot be written: database is locked/,
    );
    ledger.record(usageEvent());
    const error = await rejection(ledger.flush());
    expect(LedgerUnavailableError.is(error)).toBe(true);
    expect(error).toMatchObject({ buffered: 6 });
    expect(ledger.bufferedEvents).toBe(6);
    const recovered = next('recovered');
    unlock();
    expect(await recovered).toMatchObject({ written: 6, lost: 0 });
    expect((await ledger.totals())[0]?.requests).toBe(6);
    expect(warnings.map((warning) => warning.kind)).toEqual(['unavailable', 'recovered']);
  });

  it('drops the newest events past maxBufferedEvents, and reports the count once', async () => {
    const { ledger, warnings, next, unlock } = await lockedLedger(3);
    const unavailable = next('unavailable');
    ledger.record(usageEvent({ workflow: 'first' }));
    await unavailable;
    for (let index = 0; index < 4; index += 1) ledger.record(usageEvent({ workflow: 'later' }));
    expect(ledger.lostEvents).toBe(2);
    const recovered = next('recovered');
    unlock();
    expect(await recovered).toMatchObject({ written: 3, lost: 2 });
    expect((await recovered).message).toContain(
      '2 events lost (more than maxBufferedEvents, 3, were waiting)',
    );
    const rows = await ledger.totals({ by: ['workflow'] });
    expect(rows.map((row) => [row.workflow, row.requests])).toEqual([
      ['first', 1],
      ['later', 2],
    ]);
    expect(warnings.filter((warning) => warning.lost > 0)).toHaveLength(1);
  });

  it('reports what it could not write at close as lost, and closes', async () => {
    const { ledger, next } = await lockedLedger();
    ledger.record(usageEvent());
    ledger.record(usageEvent());
    const lost = next('lost');
    await ledger.close();
    expect(await lost).toMatchObject({ lost: 2 });
    expect((await lost).message).toContain('was closed while it could not be written');
  });
});
