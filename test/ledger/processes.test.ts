/**
 * Several processes on one store: four writers at once lose nothing (SQLite file and PostgreSQL),
 * a process that exits without close() still writes its buffer (SQLite), and a writer killed
 * with SIGKILL in the middle of its batches leaves a store that opens and answers.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestLedger, testLedger } from '../helpers/ledgers.js';

const run = promisify(execFile);
const writer = join(import.meta.dirname, '../helpers/ledger-writer.mjs');
const open: TestLedger[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.cleanup();
});

describe.each(['sqlite', 'jsonl', 'postgres'] as const)('%s ledger shared by processes', (backend) => {
  it('gets every event of four processes writing at once, with exact totals', async () => {
    const item = await testLedger(backend);
    open.push(item);
    await Promise.all(
      [1, 2, 3, 4].map((id) => run(process.execPath, [writer, item.url, 'close', '1500', String(id)])),
    );
    const rows = await item.ledger.totals({ by: ['workflow'] });
    expect(rows.map((row) => [row.workflow, row.requests]).sort()).toEqual([
      ['w1', 1500],
      ['w2', 1500],
      ['w3', 1500],
      ['w4', 1500],
    ]);
    const [all] = await item.ledger.totals();
    expect(all?.costUsd).toBe(0.006);
    expect(all?.inputTokens).toBe(60_000);
  }, 60_000);
});

describe('sqlite ledger and process exit', () => {
  it('writes the buffer when the process exits without close()', async () => {
    const item = await testLedger('sqlite');
    open.push(item);
    await run(process.execPath, [writer, item.url, 'exit', '333', '9']);
    expect((await item.ledger.totals())[0]?.requests).toBe(333);
  });

  it('is readable and intact after a writer is killed with SIGKILL mid-batch', async () => {
    const item = await testLedger('sqlite');
    open.push(item);
    const child = spawn(process.execPath, [writer, item.url, 'forever', '0', '7']);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const path = item.url.slice('sqlite:'.length);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const reopened = await item.reopen();
    const [row] = await reopened.totals();
    expect(row?.requests).toBeGreaterThan(0);
    // Whole batches only: every batch is one transaction of up to 50 events, and costs are exact.
    expect(row?.costUsd).toBeCloseTo((row?.requests ?? 0) * 0.000001, 12);
    reopened.record({ ...(await first(reopened)), workflow: 'after-crash' });
    expect((await reopened.totals({ where: { workflow: 'after-crash' } }))[0]?.requests).toBe(1);
  });
});

async function first(ledger: { events(): AsyncIterable<import('../../src/ledger/types.js').UsageEvent> }) {
  for await (const event of ledger.events()) return event;
  throw new Error('no event');
}
