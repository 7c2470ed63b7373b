/**
 * A PostgreSQL ledger that goes away while calls are in flight: a worker process makes many
 * concurrent real SDK calls through a ledger behind a TCP proxy, and the proxy is killed in the
 * middle of a write, then started again on the same port. The worker must not crash, every call
 * must succeed, and once the store is back it must hold every event (or, past the buffer's
 * bound, report the loss once, with the right count). A write cut off after its COMMIT was sent
 * is not stored twice; one cut off before it is written again.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { LedgerUnavailableError } from '../../src/ledger/unavailable.js';
import type { OutageChildConfig, OutageChildResult } from '../helpers/ledger-outage-child.js';
import { POSTGRES_URL, usageEvent } from '../helpers/ledgers.js';
import { type ProxiedLedger, proxiedLedger } from '../helpers/postgres-outage.js';
import { rejection } from '../helpers/rejections.js';
import { startTcpProxy, type TcpProxy, throughProxy } from '../helpers/tcp-proxy.js';

const CHILD = join(import.meta.dirname, '../helpers/ledger-outage-child.ts');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A schema of this test's own, dropped afterwards. */
function newSchema(): string {
  const schema = `keycard_fault_${process.pid}_${randomBytes(4).toString('hex')}`;
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  return schema;
}

async function proxy(): Promise<TcpProxy> {
  const started = await startTcpProxy({
    host: '127.0.0.1',
    port: Number(new URL(POSTGRES_URL).port || 5432),
  });
  cleanups.push(() => started.close());
  return started;
}

interface Run {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  result: OutageChildResult | undefined;
}

/** Forks the worker; `during` runs once its calls flow, then the worker is told to stop. */
async function runWorker(config: OutageChildConfig, during: () => Promise<void>): Promise<Run> {
  const child: ChildProcess = fork(CHILD, [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let result: OutageChildResult | undefined;
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  child.on('message', (message: { type?: string }) => {
    if (message.type === 'ready') readyResolve();
    if (message.type === 'result') result = message as OutageChildResult;
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (code, signal) => resolve([code, signal])),
  );
  const first = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
  ]);
  if (first === 'ready') {
    await during();
    if (child.connected) child.send({ type: 'stop' });
  }
  const [exitCode, signal] = await exited;
  return { exitCode, signal, stderr, result };
}

/** Totals read straight from PostgreSQL, not through the proxy. */
async function storedTotals(schema: string) {
  const ledger = await openPostgresLedger(`${POSTGRES_URL}?schema=${schema}`);
  try {
    const [row] = await ledger.totals();
    return {
      requests: row?.requests ?? 0,
      inputTokens: row?.inputTokens ?? 0,
      outputTokens: row?.outputTokens ?? 0,
    };
  } finally {
    await ledger.close();
  }
}

/** Kills the proxy while a write is in flight (cut after an INSERT went through), then restarts it. */
async function outage(target: TcpProxy, downMs: number): Promise<void> {
  await sleep(100);
  await target.cutAfter('INSERT INTO keycard_events');
  await target.kill();
  await sleep(downMs);
  await target.restart();
  await sleep(100);
}

describe('a PostgreSQL ledger that goes away while calls are in flight', () => {
  it.each([1, 2, 3, 4])(
    'does not crash the process; every call succeeds and every event is stored once it is back (run %i of 4)',
    async () => {
      const schema = newSchema();
      const target = await proxy();
      const run = await runWorker(
        {
          url: throughProxy(`${POSTGRES_URL}?schema=${schema}`, target),
          concurrency: 12,
          pauseMs: 2,
          awaitRecovery: true,
        },
        () => outage(target, 800),
      );
      expect(run.stderr).not.toMatch(/Connection terminated|ECONNRESET|Unhandled 'error' event/);
      expect({ exitCode: run.exitCode, signal: run.signal }).toEqual({ exitCode: 0, signal: null });
      const result = run.result as OutageChildResult;
      expect(result.failures).toEqual([]);
      expect(result.ok).toBe(result.served.requests);
      expect(result.ok).toBeGreaterThan(50);
      expect(await storedTotals(schema)).toEqual(result.served);
      expect(result.lostEvents).toBe(0);
      // One warning when the store went away, one note when it came back; nothing lost.
      expect(result.warnings.map((warning) => warning.kind)).toEqual(['unavailable', 'recovered']);
      expect(result.warnings[1]?.lost).toBe(0);
      expect(result.warnings[0]?.message).toContain(`127.0.0.1:${target.port}`);
    },
    60_000,
  );

  it('past the buffer bound, drops the newest events and reports the loss once, with the right count', async () => {
    const schema = newSchema();
    const target = await proxy();
    const run = await runWorker(
      {
        url: throughProxy(`${POSTGRES_URL}?schema=${schema}`, target),
        concurrency: 8,
        pauseMs: 2,
        ledger: { maxBufferedEvents: 40 },
        awaitRecovery: true,
      },
      () => outage(target, 800),
    );
    expect({ exitCode: run.exitCode, signal: run.signal }).toEqual({ exitCode: 0, signal: null });
    const result = run.result as OutageChildResult;
    expect(result.failures).toEqual([]);
    const stored = await storedTotals(schema);
    const lost = result.served.requests - stored.requests;
    expect(lost).toBeGreaterThan(0);
    expect(result.lostEvents).toBe(lost);
    const reports = result.warnings.filter((warning) => (warning.lost ?? 0) > 0);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.lost).toBe(lost);
    expect(reports[0]?.message).toContain(`${lost} events lost`);
    expect(result.warnings.map((warning) => warning.kind)).toEqual(['unavailable', 'recovered']);
  }, 60_000);
});

describe('a write whose connection drops', () => {
  /** Flushes until it works: the server may not have seen the dropped connection yet. */
  async function flushed(ledger: ProxiedLedger['ledger']): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        return await ledger.flush();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
  }

  it('after COMMIT was sent stores the batch once: a lost answer is no reason to write it twice', async () => {
    const store = await proxiedLedger();
    cleanups.push(() => store.cleanup());
    store.ledger.record(usageEvent());
    await store.ledger.flush();
    const cut = store.proxy.cutAfter('COMMIT');
    for (let index = 0; index < 10; index += 1) store.ledger.record(usageEvent({ workflow: 'cut' }));
    const error = await rejection(store.ledger.flush());
    await cut;
    expect(LedgerUnavailableError.is(error)).toBe(true);
    await flushed(store.ledger);
    expect((await store.ledger.totals({ where: { workflow: 'cut' } }))[0]?.requests).toBe(10);
    expect((await store.ledger.totals())[0]?.requests).toBe(11);
  });

  it('before COMMIT writes the batch again', async () => {
    const store = await proxiedLedger();
    cleanups.push(() => store.cleanup());
    const cut = store.proxy.cutAfter('INSERT INTO keycard_events');
    for (let index = 0; index < 10; index += 1) store.ledger.record(usageEvent({ workflow: 'cut' }));
    const error = await rejection(store.ledger.flush());
    await cut;
    expect(LedgerUnavailableError.is(error)).toBe(true);
    await flushed(store.ledger);
    expect((await store.ledger.totals())[0]?.requests).toBe(10);
    expect(store.warnings.map((warning) => warning.kind)).toEqual(['unavailable', 'recovered']);
  });
});
