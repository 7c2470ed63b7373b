/**
 * Faults of the JSON-lines ledger: a line cut short by a writer that died, a record written
 * twice (a batch retried after a short write), a writer killed with SIGKILL while appending, a
 * lock file left by a dead process, a lock held too long. Real files, real child processes.
 */
import { execFile, spawn } from 'node:child_process';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestLedger, testLedger, usageEvent } from '../helpers/ledgers.js';

const run = promisify(execFile);
const writer = join(import.meta.dirname, '../helpers/ledger-writer.mjs');
const open: TestLedger[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.cleanup();
});

async function fresh(): Promise<TestLedger & { path: string }> {
  const item = await testLedger('jsonl', { flushIntervalMs: 0 });
  open.push(item);
  return { ...item, path: item.url.slice('jsonl:'.length) };
}

const scope = { field: 'key' as const, value: 'aaaaaaaaaaaa', id: 'key:aaaaaaaaaaaa' };
const since = new Date('2026-01-01T00:00:00Z');

describe('jsonl ledger', () => {
  it('is created 0600, one JSON object a line, with no key in it', async () => {
    const { ledger, path } = await fresh();
    ledger.record(usageEvent());
    await ledger.flush();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    const [line] = lines;
    expect(JSON.parse(line as string)).toMatchObject({
      v: 1,
      e: { provider: 'openai', maskedId: 'sk-proj-****aaaa' },
    });
  });

  it('skips a line cut short by a writer that died, and reads the records after it', async () => {
    const { ledger, path, reopen } = await fresh();
    ledger.record(usageEvent({ workflow: 'before' }));
    await ledger.flush();
    // What a process killed in the middle of its write() leaves: no newline.
    await appendFile(path, '{"v":1,"id":"dead.1","e":{"time":"2026-11-01T10:00:00.000Z","provi');
    ledger.record(usageEvent({ workflow: 'after' }));
    await ledger.flush();
    const other = await reopen();
    const rows = await other.totals({ by: ['workflow'] });
    expect(rows.map((row) => [row.workflow, row.requests])).toEqual([
      ['before', 1],
      ['after', 1],
    ]);
  });

  it('counts a record written twice once: a batch retried after a short write', async () => {
    const { ledger, path, reopen } = await fresh();
    ledger.record(usageEvent({ costUsd: 0.5, workflow: 'one' }));
    ledger.record(usageEvent({ costUsd: 0.25, workflow: 'two' }));
    await ledger.flush();
    const [one, two] = (await readFile(path, 'utf8')).split('\n') as [string, string];
    // A batch of two whose write came up short in the second line; then the batch again, whole.
    await writeFile(path, `${one}\n${two.slice(0, 40)}${one}\n${two}\n`);
    const rows = await (await reopen()).totals({ by: ['workflow'] });
    expect(rows.map((row) => [row.workflow, row.requests, row.costUsd])).toEqual([
      ['one', 1, 0.5],
      ['two', 1, 0.25],
    ]);
  });

  it('writes the buffer when the process exits without close()', async () => {
    const item = await fresh();
    await run(process.execPath, [writer, item.url, 'exit', '333', '9']);
    expect((await item.ledger.totals())[0]?.requests).toBe(333);
  });

  it('is readable after a writer is killed with SIGKILL mid-append, and takes new events', async () => {
    const item = await fresh();
    const child = spawn(process.execPath, [writer, item.url, 'forever', '0', '7']);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const reopened = await item.reopen();
    const [row] = await reopened.totals();
    expect(row?.requests).toBeGreaterThan(0);
    expect(row?.costUsd).toBeCloseTo((row?.requests ?? 0) * 0.000001, 12);
    reopened.record(usageEvent({ workflow: 'after-crash' }));
    expect((await reopened.totals({ where: { workflow: 'after-crash' } }))[0]?.requests).toBe(1);
  });

  it('breaks a lock left by a process that died, and leases', async () => {
    const { ledger, path } = await fresh();
    const { stdout } = await run(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(`${path}.lock`, `${stdout} 0123456789abcdef`);
    const started = Date.now();
    const hold = { nusd: 1, requests: 1, tokens: 1 };
    const take = () => ({ add: hold, expiresAt: Date.now() + 60_000 });
    expect((await ledger.lease(scope, [since], 'lease:1', take)).held).toEqual({
      nusd: 0,
      requests: 0,
      tokens: 0,
    });
    expect((await ledger.lease(scope, [since], 'lease:1', () => undefined)).held).toEqual(hold);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a lock a live process holds too long: the lease fails, saying which lock', async () => {
    const item = await testLedger('jsonl');
    open.push(item);
    const path = item.url.slice('jsonl:'.length);
    const { openJsonlLedger } = await import('../../src/ledger/jsonl.js');
    const ledger = await openJsonlLedger(path, { busyTimeoutMs: 200 });
    await writeFile(`${path}.lock`, `${process.pid} 0123456789abcdef`);
    await expect(ledger.lease(scope, [since], 'lease:1', () => undefined)).rejects.toThrow(
      /\.lock was held by another process/,
    );
    await ledger.close();
  });
});
