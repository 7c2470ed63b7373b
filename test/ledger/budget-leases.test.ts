/**
 * Budget leases across real processes, on a real SQLite file and real PostgreSQL, with the real
 * OpenAI SDK against the simulator: several processes hammering one budget never take more than
 * the stated bound (a request quota: exactly its limit; a USD budget: at most the calls in flight
 * past their estimates), the store is touched once per slice rather than once per call, a slice
 * a process did not spend goes back when it stops calling, and the lease of a process killed
 * with SIGKILL counts until it expires, then no more.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { BudgetExceededError, periodStart } from '../../src/ledger/budget.js';
import { memoryLedger } from '../../src/ledger/memory.js';
import { fakeKey, startSimulator } from '../../src/testing/index.js';
import type { LeaseChildConfig, LeaseChildResult } from '../helpers/budget-lease-child.js';
import { type TestLedger, testLedger } from '../helpers/ledgers.js';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, '../helpers/budget-lease-child.ts');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(backend: 'sqlite' | 'postgres') {
  const item: TestLedger = await testLedger(backend);
  cleanups.push(() => item.cleanup());
  const key = fakeKey('openai');
  const simulator = await startSimulator({ keys: [key] });
  cleanups.push(() => simulator.close());
  const base = { baseURL: simulator.baseURL('openai'), ledger: item.url };
  const env = { ...process.env, BUDGET_KEY: key };
  const hammer = async (budget: LeaseChildConfig['budget'], processes: number, concurrency: number) => {
    const config: LeaseChildConfig = { mode: 'hammer', ...base, budget, concurrency };
    const outputs = await Promise.all(
      Array.from({ length: processes }, () =>
        run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], { env, timeout: 120_000 }),
      ),
    );
    return outputs.map(({ stdout }) => JSON.parse(stdout) as LeaseChildResult);
  };
  return { item, key, simulator, base, env, hammer };
}

describe.each(['sqlite', 'postgres'] as const)('a budget shared by processes on %s', (backend) => {
  it('a request quota: four processes of eight concurrent loops get exactly the quota, one slice at a time', async () => {
    const { simulator, hammer } = await setup(backend);
    const quota = 1500;
    const results = await hammer({ requests: quota, period: 'day' }, 4, 8);
    const ok = results.reduce((total, result) => total + result.ok, 0);
    expect(ok).toBe(quota);
    expect(simulator.tally().total.requests).toBe(quota);
    // Each loop stopped at its first refusal.
    expect(results.every((result) => result.blocked === 8)).toBe(true);
    // The store was touched once per slice, not once per call (a call refused is one touch too).
    const touches = results.reduce((total, result) => total + result.leaseOperations, 0);
    expect(touches).toBeLessThan(quota / 4);
  }, 180_000);

  it('a USD budget: spend exceeds it by no more than the calls in flight past their estimates', async () => {
    const { item, key, simulator, hammer } = await setup(backend);
    // Costs vary from call to call (random prompts and completion limits): about a thousand calls.
    const limit = (await costOfOneCall(simulator.baseURL('openai'), key)) * 1000;
    const processes = 4;
    const concurrency = 8;
    const results = await hammer({ usd: limit, period: 'day' }, processes, concurrency);
    const ok = results.reduce((total, result) => total + result.ok, 0);
    const [row] = await item.ledger.totals({ where: { model: 'gpt-4o-mini' } });
    expect(row?.requests).toBe(ok);
    let largest = 0;
    for await (const event of item.ledger.events()) largest = Math.max(largest, event.costUsd ?? 0);
    // The bound: every call in flight (at most one per loop) may cost more than it was estimated at.
    const spent = row?.costUsd ?? 0;
    expect(spent).toBeLessThanOrEqual(limit + processes * concurrency * largest + 1e-9);
    // And the budget was used: what is left is less than a call per loop.
    expect(spent).toBeGreaterThan(limit - processes * concurrency * largest);
    const touches = results.reduce((total, result) => total + result.leaseOperations, 0);
    expect(touches).toBeLessThan(ok / 3);
  }, 180_000);

  it('a process killed while it holds a slice: the slice counts until the lease expires, then it is free', async () => {
    const { item, key, simulator, base, env } = await setup(backend);
    const quota = 400;
    const budget = { requests: quota, period: 'day' as const };
    const config: LeaseChildConfig = {
      mode: 'hold',
      ...base,
      budget,
      concurrency: 4,
      calls: 120,
      budgetLeaseMs: 5000,
    };
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const held = await new Promise<LeaseChildResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve(JSON.parse(stdout) as LeaseChildResult);
      });
      child.on('exit', (code) => reject(new Error(`the child exited (${code}): ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const killedAt = Date.now();
    expect(held.held).toBeGreaterThan(0);
    const scope = { field: 'key' as const, value: '', id: '' };
    const client = await createClient('openai', keys.literal(key), {
      baseURL: simulator.baseURL('openai'),
      ledger: item.ledger,
      maxRetries: 0,
      budget,
    });
    cleanups.push(() => client.close());
    scope.value = client.fingerprint;
    scope.id = `key:${client.fingerprint}`;
    const since = [periodStart('day', new Date())];
    const view = await item.ledger.lease(scope, since, 'probe', () => undefined);
    // The dead process's slice still counts (its lease lives 5 s after its last renewal, renewed
    // every 1.7 s while it lived)…
    expect(Date.now() - killedAt).toBeLessThan(3000);
    expect(view.held.requests).toBe(held.held);
    expect(view.recorded[0]?.requests).toBe(held.ok);
    // …and then no more: every request of the quota can be made.
    await new Promise((resolve) => setTimeout(resolve, killedAt + 5500 - Date.now()));
    expect((await item.ledger.lease(scope, since, 'probe', () => undefined)).held.requests).toBe(0);
    let ok = 0;
    for (;;) {
      try {
        await client.sdk.models.list();
        ok += 1;
      } catch (error) {
        expect(BudgetExceededError.is(error)).toBe(true);
        break;
      }
    }
    expect(held.ok + ok).toBe(quota);
  }, 120_000);
});

describe('a process that ends with process.exit() and no close()', () => {
  it('gives its unspent slice back at exit (SQLite: synchronously, with its last events)', async () => {
    const { item, base, env } = await setup('sqlite');
    const budget = { requests: 5000, period: 'day' as const };
    const config: LeaseChildConfig = { mode: 'exit', ...base, budget, concurrency: 4, calls: 100 };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
      env,
    });
    const result = JSON.parse(stdout) as LeaseChildResult;
    expect(result.held).toBeGreaterThan(0);
    const [row] = await item.ledger.totals();
    expect(row?.requests).toBe(result.ok);
    const [event] = await first(item.ledger.events());
    const scope = { field: 'key' as const, value: event.keyFingerprint, id: `key:${event.keyFingerprint}` };
    const view = await item.ledger.lease(scope, [periodStart('day', new Date())], 'probe', () => undefined);
    expect(view.held.requests).toBe(0);
  }, 60_000);
});

describe('a slice a process did not spend', () => {
  it('goes back to the store after it stops calling, and when its client closes', async () => {
    const item = await testLedger('sqlite');
    cleanups.push(() => item.cleanup());
    const key = fakeKey('openai');
    const simulator = await startSimulator({ keys: [key] });
    cleanups.push(() => simulator.close());
    const other = await item.reopen();
    const make = (ledger: typeof other) =>
      createClient('openai', keys.literal(key), {
        baseURL: simulator.baseURL('openai'),
        ledger,
        maxRetries: 0,
        budget: { requests: 10_000, period: 'day' },
      });
    const busy = await make(item.ledger);
    const scope = { field: 'key' as const, value: busy.fingerprint, id: `key:${busy.fingerprint}` };
    const since = [periodStart('day', new Date())];
    const held = async () => (await other.lease(scope, since, 'probe', () => undefined)).held.requests;
    for (let index = 0; index < 60; index += 1) await busy.sdk.models.list();
    await item.ledger.flush();
    const holding = await held();
    if (holding === 0) await busy.sdk.models.list();
    expect(await held()).toBeGreaterThan(0);
    // Idle for more than two seconds: the slice goes back (the process is alive).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await held()).toBe(0);
    for (let index = 0; index < 60; index += 1) await busy.sdk.models.list();
    expect(await held()).toBeGreaterThan(0);
    await busy.close();
    expect(await held()).toBe(0);
    expect((await other.totals())[0]?.requests).toBeGreaterThanOrEqual(120);
  }, 30_000);
});

/** The cost of a middling call of the workers', made without a budget, to a memory ledger. */
async function costOfOneCall(baseURL: string, key: string): Promise<number> {
  const ledger = memoryLedger();
  const client = await createClient('openai', keys.literal(key), { baseURL, ledger, maxRetries: 0 });
  const words = Array.from({ length: 150 }, (_, index) => `w${index}`).join(' ');
  await client.sdk.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: words }],
    max_tokens: 100,
  });
  await client.close();
  const cost = (await ledger.totals())[0]?.costUsd ?? 0;
  expect(cost).toBeGreaterThan(0);
  return cost;
}

async function first<T>(items: AsyncIterable<T>): Promise<[T]> {
  for await (const item of items) return [item];
  throw new Error('nothing there');
}
