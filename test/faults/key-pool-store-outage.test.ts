/**
 * A key pool whose shared store (PostgreSQL, behind a TCP proxy) is gone when a client finds a
 * key out of credit: the call still succeeds on the next key, and the state the store refused is
 * written once the store is back, so a client in another process (here: another handle on the
 * store) skips the key without trying it.
 */
import { randomBytes } from 'node:crypto';
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import type { BaseLedger } from '../../src/ledger/base.js';
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { maskKey } from '../../src/secret.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { POSTGRES_URL } from '../helpers/ledgers.js';
import { dropSchema, POSTGRES_PORT } from '../helpers/postgres-outage.js';
import { startTcpProxy, throughProxy } from '../helpers/tcp-proxy.js';

const keyA = testKey('openai', 'outage-a');
const keyB = testKey('openai', 'outage-b');
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ keys: [keyA, keyB] });
});
afterAll(() => sim.close());

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const chat = (client: { sdk: OpenAI }) =>
  client.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

it('a state found while the store is down is shared once it is back', async () => {
  const schema = `keycard_fault_${process.pid}_${randomBytes(4).toString('hex')}`;
  cleanups.push(() => dropSchema(schema));
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: POSTGRES_PORT });
  cleanups.push(() => proxy.close());
  const proxied = await openPostgresLedger(throughProxy(`${POSTGRES_URL}?schema=${schema}`, proxy), {
    connectTimeoutMs: 500,
    queryTimeoutMs: 500,
  });
  const direct = await openPostgresLedger(`${POSTGRES_URL}?schema=${schema}`);
  const ledgers: BaseLedger[] = [proxied, direct];
  cleanups.push(async () => {
    await proxy.restart().catch(() => undefined);
    for (const ledger of ledgers) await ledger.close();
  });
  const clientOn = (ledger: BaseLedger) =>
    createClient('openai', keys.pool([keys.literal(keyA), keys.literal(keyB)], { syncMs: 50 }), {
      baseURL: sim.baseURL('openai'),
      ledger,
      maxRetries: 0,
    });
  const finder = await clientOn(proxied);
  const other = await clientOn(direct);
  cleanups.push(async () => {
    await finder.close();
    await other.close();
  });

  await proxy.kill();
  sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
  await chat(finder);
  expect(sim.requests.map((request) => request.keyMaskedId)).toEqual([maskKey(keyA), maskKey(keyB)]);
  expect(finder.pool()?.[0]?.state).toBe('exhausted');
  // Long enough for several background reads of the other client: the state is not there.
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(other.pool()?.[0]?.state).toBe('ok');

  await proxy.restart();
  await vi.waitFor(() => expect(other.pool()?.[0]?.state).toBe('exhausted'), {
    timeout: 10_000,
    interval: 25,
  });
  sim.reset();
  sim.addKey(keyA);
  sim.addKey(keyB);
  await chat(other);
  expect(sim.requests.map((request) => request.keyMaskedId)).toEqual([maskKey(keyB)]);
});
