/**
 * Key pools through the real SDKs against the simulator: which key serves, failover for each
 * reason, no failover for what is not a key's fault, the one error when no key can serve, and
 * the meter path (Telegram) as well as the fetch path (OpenAI).
 */
import { join } from 'node:path';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import type { PoolOptions } from '../../src/keys/pool.js';
import type { BaseLedger } from '../../src/ledger/base.js';
import { BudgetExceededError } from '../../src/ledger/budget.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { openLedger } from '../../src/ledger/open.js';
import { fingerprintKey, maskKey } from '../../src/secret.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { runChild } from '../helpers/child.js';
import { testKey } from '../helpers/keys.js';
import { testLedger, usageEvent } from '../helpers/ledgers.js';
import { rejection } from '../helpers/rejections.js';

const keyA = testKey('openai', 'pool-a');
const keyB = testKey('openai', 'pool-b');
const keyC = testKey('openai', 'pool-c');
const botA = testKey('telegram', 'pool-a');
const botB = testKey('telegram', 'pool-b');
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ keys: [keyA, keyB, keyC, botA, botB] });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.reset();
  for (const key of [keyA, keyB, keyC, botA, botB]) sim.addKey(key);
});

const openai = (members: string[], options: PoolOptions = {}, maxRetries = 0) =>
  createClient(
    'openai',
    keys.pool(
      members.map((key, index) => keys.literal(key, { label: `key-${index}` })),
      options,
    ),
    {
      baseURL: sim.baseURL('openai'),
      ledger: false,
      maxRetries,
    },
  );
const chat = (client: { sdk: OpenAI }, model = 'gpt-4o-mini') =>
  client.sdk.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
/** The masked id of the key each request carried, in order. */
const served = () => sim.requests.map((request) => request.keyMaskedId);

describe('picking a key', () => {
  it('failover uses the first key while it works', async () => {
    const client = await openai([keyA, keyB]);
    await chat(client);
    await chat(client);
    expect(served()).toEqual([maskKey(keyA), maskKey(keyA)]);
    expect(client.pool()?.map((member) => [member.source, member.state, member.requests])).toEqual([
      ['key-0', 'ok', 2],
      ['key-1', 'ok', 0],
    ]);
  });

  it('round-robin takes each key in turn', async () => {
    const client = await openai([keyA, keyB, keyC], { strategy: 'round-robin' });
    for (let index = 0; index < 6; index += 1) await chat(client);
    expect(served()).toEqual([keyA, keyB, keyC, keyA, keyB, keyC].map(maskKey));
  });

  it('weighted serves each key in proportion to its weight, interleaved', async () => {
    const client = await createClient(
      'openai',
      keys.pool([{ source: keys.literal(keyA), weight: 2 }, keys.literal(keyB)], { strategy: 'weighted' }),
      { baseURL: sim.baseURL('openai'), ledger: false, maxRetries: 0 },
    );
    for (let index = 0; index < 6; index += 1) await chat(client);
    expect(served()).toEqual([keyA, keyB, keyA, keyA, keyB, keyA].map(maskKey));
    // A key left aside gives its share to the others.
    sim.reset();
    sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
    for (let index = 0; index < 3; index += 1) await chat(client);
    expect(served().slice(-3)).toEqual([keyB, keyB, keyB].map(maskKey));
    expect(() => keys.pool([{ source: 'env:A', weight: 0 }])).toThrow(TypeError);
  });

  it('affinity keeps each user on one key, and moves it (for good) when that key fails', async () => {
    const client = await openai([keyA, keyB, keyC], {
      strategy: 'round-robin',
      affinity: (request) => (request.body as { user?: string } | undefined)?.user,
    });
    const ask = (user: string) =>
      client.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        user,
        messages: [{ role: 'user', content: 'hi' }],
      });
    const users = Array.from({ length: 8 }, (_, index) => `user-${index}`);
    const keyOf = new Map<string, string | null>();
    for (let round = 0; round < 3; round += 1) {
      for (const user of users) {
        sim.reset();
        await ask(user);
        const [id] = served();
        if (round === 0) keyOf.set(user, id ?? null);
        else expect(id, user).toBe(keyOf.get(user));
      }
    }
    expect(new Set(keyOf.values()).size).toBeGreaterThan(1);
    // The key of user-0 runs out of credit: user-0 moves to another key and stays there.
    const first = keyOf.get('user-0');
    const failing = [keyA, keyB, keyC].find((key) => maskKey(key) === first) as string;
    sim.reset();
    sim.failNext('quota', { key: failing, times: Number.POSITIVE_INFINITY });
    await ask('user-0');
    await ask('user-0');
    const moved = served().slice(1);
    expect(moved[0]).not.toBe(first);
    expect(moved[1]).toBe(moved[0]);
  });

  it('a request without an affinity goes by the strategy; a throwing affinity warns once', async () => {
    const warnings: string[] = [];
    const client = await createClient(
      'openai',
      keys.pool([keys.literal(keyA), keys.literal(keyB)], {
        strategy: 'round-robin',
        affinity: () => {
          throw new Error('bug in affinity');
        },
      }),
      {
        baseURL: sim.baseURL('openai'),
        ledger: false,
        logger: {
          warn: (message: string) => warnings.push(message),
          info: () => {},
          error: () => {},
          debug: () => {},
        },
      },
    );
    await chat(client);
    await chat(client);
    expect(served()).toEqual([keyA, keyB].map(maskKey));
    expect(warnings.filter((message) => message.includes('affinity'))).toHaveLength(1);
  });

  it('least-used picks the key with the fewest requests in the window, counted in the store', async () => {
    const ledger = new MemoryLedger();
    // Another process used key A three times in the last hour.
    for (let index = 0; index < 3; index += 1) {
      ledger.record(
        usageEvent({ time: new Date(), keyFingerprint: fingerprintKey(keyA), maskedId: maskKey(keyA) }),
      );
    }
    await ledger.flush();
    const client = await createClient(
      'openai',
      keys.pool([keys.literal(keyA), keys.literal(keyB)], { strategy: 'least-used', syncMs: 60_000 }),
      { baseURL: sim.baseURL('openai'), ledger, maxRetries: 0 },
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first read of the store
    for (let index = 0; index < 5; index += 1) await chat(client);
    // B until it has as many as A (3), then A (first on a tie), then B.
    expect(served()).toEqual([keyB, keyB, keyB, keyA, keyB].map(maskKey));
    await client.close();
    await ledger.close();
  });

  it('budget picks the key with the most of its budget left; it needs a budget of scope key', async () => {
    const ledger = new MemoryLedger();
    const seed = (key: string, count: number) => {
      for (let index = 0; index < count; index += 1)
        ledger.record(
          usageEvent({ time: new Date(), keyFingerprint: fingerprintKey(key), maskedId: maskKey(key) }),
        );
    };
    seed(keyA, 6);
    seed(keyB, 2);
    await ledger.flush();
    const client = await createClient(
      'openai',
      keys.pool([keys.literal(keyA), keys.literal(keyB)], { strategy: 'budget', syncMs: 60_000 }),
      { baseURL: sim.baseURL('openai'), ledger, maxRetries: 0, budget: { requests: 10, period: 'day' } },
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first read of the store
    for (let index = 0; index < 5; index += 1) await chat(client);
    // A has 4 of 10 left, B 8: B until it has no more left than A, then A.
    expect(served()).toEqual([keyB, keyB, keyB, keyB, keyA].map(maskKey));
    await client.close();
    await expect(
      createClient('openai', keys.pool([keys.literal(keyA)], { strategy: 'budget' }), { ledger }),
    ).rejects.toThrow(/needs a budget of scope 'key'/);
    await ledger.close();
  });

  it('shows no key of any member: inspect, JSON, pool()', async () => {
    const client = await openai([keyA, keyB]);
    await chat(client);
    const shown = [inspect(client, { depth: 8 }), JSON.stringify(client), JSON.stringify(client.pool())].join(
      '\n',
    );
    for (const key of [keyA, keyB]) expect(shown.includes(key)).toBe(false);
    expect(shown).toContain(maskKey(keyB));
  });

  it('a client with one key has no pool()', async () => {
    const client = await createClient('openai', keys.literal(keyA), {
      baseURL: sim.baseURL('openai'),
      ledger: false,
    });
    expect(client.pool()).toBeUndefined();
  });
});

describe('failover', () => {
  it('out of credit: the request is replayed on the next key, which serves from then on', async () => {
    sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
    const ledger = await openLedger('memory:');
    const client = await createClient('openai', keys.pool([keys.literal(keyA), keys.literal(keyB)]), {
      baseURL: sim.baseURL('openai'),
      ledger,
      maxRetries: 0,
    });
    await chat(client);
    await chat(client);
    expect(served()).toEqual([keyA, keyB, keyB].map(maskKey));
    const [first] = client.pool() ?? [];
    expect(first).toMatchObject({ state: 'exhausted' });
    expect(first?.until?.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    // The failed attempt is attributed to its own key, the answer to the key that served.
    await ledger.flush();
    const events = [];
    for await (const event of ledger.events()) events.push([event.maskedId, event.outcome]);
    expect(events).toEqual([
      [maskKey(keyA), 'quota_exceeded'],
      [maskKey(keyB), 'ok'],
      [maskKey(keyB), 'ok'],
    ]);
    await ledger.close();
  });

  it('rate limited: the next key serves; the first rests as long as the answer says', async () => {
    sim.failNext('rate_limit', { key: keyA, times: Number.POSITIVE_INFINITY });
    const client = await openai([keyA, keyB], {}, 2);
    await chat(client);
    expect(served()).toEqual([keyA, keyB].map(maskKey));
    const [first] = client.pool() ?? [];
    expect(first?.state).toBe('cooling');
    // retry-after: 1, x-ratelimit-reset-requests: 1s
    expect(first?.until?.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('no access to a model: skipped for that model only', async () => {
    sim.failNext('forbidden', { key: keyA, model: 'gpt-4o', times: Number.POSITIVE_INFINITY });
    const client = await openai([keyA, keyB]);
    await chat(client, 'gpt-4o');
    await chat(client, 'gpt-4o');
    await chat(client, 'gpt-4o-mini');
    expect(served()).toEqual([keyA, keyB, keyB, keyA].map(maskKey));
    expect(client.pool()?.[0]).toMatchObject({ state: 'ok', forbiddenModels: ['gpt-4o'] });
  });

  it('revoked: re-read once, then left aside for good', async () => {
    sim.revokeKey(keyA);
    const client = await openai([keyA, keyB]);
    await chat(client);
    await chat(client);
    expect(served()).toEqual([keyA, keyB, keyB].map(maskKey));
    expect(client.pool()?.[0]?.state).toBe('revoked');
  });

  it('a stream fails over before its first byte', async () => {
    sim.failNext('quota', { key: keyA });
    const client = await openai([keyA, keyB]);
    const stream = await client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(served()).toEqual([keyA, keyB].map(maskKey));
  });

  it('does not fail over what is not a key’s fault: a 500, a reset', async () => {
    const client = await openai([keyA, keyB]);
    sim.failNext('server_error', { key: keyA });
    expect(await rejection(chat(client))).toBeInstanceOf(OpenAI.InternalServerError);
    sim.failNext('reset', { key: keyA });
    expect(await rejection(chat(client))).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(served()).toEqual([maskKey(keyA), maskKey(keyA)]);
    expect(client.pool()?.map((member) => member.state)).toEqual(['ok', 'ok']);
  });
});

describe('budgets of scope key', () => {
  it('a key whose budget is used up is left aside; when every key is, the BudgetExceededError', async () => {
    const ledger = await openLedger('memory:');
    const client = await createClient('openai', keys.pool([keys.literal(keyA), keys.literal(keyB)]), {
      baseURL: sim.baseURL('openai'),
      ledger,
      maxRetries: 0,
      budget: { requests: 2, period: 'day' },
    });
    for (let index = 0; index < 4; index += 1) await chat(client);
    expect(served()).toEqual([keyA, keyA, keyB, keyB].map(maskKey));
    expect(client.pool()?.map((member) => member.state)).toEqual(['exhausted', 'ok']);
    const error = await rejection(chat(client));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(served()).toHaveLength(4);
    expect(client.pool()?.map((member) => member.state)).toEqual(['exhausted', 'exhausted']);
    // The next call is blocked before any key is tried.
    expect(await rejection(chat(client))).toBeInstanceOf(BudgetExceededError);
    await client.close();
    await ledger.close();
  });
});

describe('shared through the ledger', () => {
  it.each(['memory', 'sqlite', 'postgres'] as const)(
    '%s: what one client finds, the next ones skip without trying it',
    async (backend) => {
      const store = await testLedger(backend);
      const clientOn = async (ledger: BaseLedger) =>
        createClient(
          'openai',
          keys.pool([keys.literal(keyA), keys.literal(keyB), keys.literal(keyC)], { syncMs: 50 }),
          {
            baseURL: sim.baseURL('openai'),
            ledger,
            maxRetries: 0,
          },
        );
      try {
        // Two more handles on the same store, as two other processes have.
        const [second, third] = [await store.reopen(), await store.reopen()];
        const clients = [await clientOn(store.ledger), await clientOn(second), await clientOn(third)];
        sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
        sim.failNext('forbidden', { key: keyB, model: 'gpt-4o', times: Number.POSITIVE_INFINITY });
        await chat(clients[0] as { sdk: OpenAI });
        await chat(clients[0] as { sdk: OpenAI }, 'gpt-4o');
        expect(served()).toEqual([keyA, keyB, keyB, keyC].map(maskKey));
        // The others read the store in the background: wait until they have (a loaded machine
        // may take a while), then look at what they do.
        await vi.waitFor(
          () => {
            for (const client of clients.slice(1)) {
              expect(client.pool()?.[0]?.state).toBe('exhausted');
              expect(client.pool()?.[1]?.forbiddenModels).toEqual(['gpt-4o']);
            }
          },
          { timeout: 10_000, interval: 25 },
        );
        sim.reset();
        // The others go straight to a good key: A is out of credit, B has no access to gpt-4o.
        await chat(clients[1] as { sdk: OpenAI });
        await chat(clients[2] as { sdk: OpenAI }, 'gpt-4o');
        expect(served()).toEqual([maskKey(keyB), maskKey(keyC)]);
        expect(clients[2]?.pool()?.map((member) => member.state)).toEqual(['exhausted', 'ok', 'ok']);
        expect(clients[2]?.pool()?.[1]?.forbiddenModels).toEqual(['gpt-4o']);
        for (const client of clients) await client.close();
      } finally {
        await store.cleanup();
      }
    },
  );
});

describe('shared between processes', () => {
  it.each(['sqlite', 'postgres'] as const)(
    '%s: a key one worker found out of credit, the next two workers never try',
    async (backend) => {
      const store = await testLedger(backend);
      const script = join(import.meta.dirname, '../helpers/pool-child.ts');
      const worker = (expected = '') =>
        runChild(process.execPath, ['--import', 'tsx', script, store.url, sim.baseURL('openai')], {
          env: { POOL_CHILD_KEYS: [keyA, keyB].join(','), POOL_CHILD_EXPECT: expected, NODE_OPTIONS: '' },
          timeoutMs: 30_000,
        });
      try {
        sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
        const first = await worker();
        expect(first.stderr).toBe('');
        expect(JSON.parse(first.stdout)).toEqual(['exhausted', 'ok']);
        expect(served()).toEqual([keyA, keyB].map(maskKey));
        for (const _ of [2, 3]) {
          sim.reset();
          sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
          const next = await worker('exhausted');
          expect(JSON.parse(next.stdout)).toEqual(['exhausted', 'ok']);
          expect(served()).toEqual([maskKey(keyB)]);
        }
      } finally {
        await store.cleanup();
      }
    },
    60_000,
  );
});

describe('under load', () => {
  it('200 concurrent calls while two of four keys fail: all served, no failed key picked again', async () => {
    const keyD = testKey('openai', 'pool-d');
    sim.addKey(keyD);
    sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
    sim.failNext('forbidden', { key: keyB, times: Number.POSITIVE_INFINITY });
    const client = await openai([keyA, keyB, keyC, keyD], { strategy: 'round-robin' });
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => chat(client)));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const during = served();
    // Each call tried each key at most once: at most 200 attempts on each failing key (those
    // already in flight when it was marked), and 200 answers from the two good ones.
    expect(during.filter((id) => id === maskKey(keyA)).length).toBeLessThanOrEqual(200);
    expect(during.filter((id) => id === maskKey(keyC) || id === maskKey(keyD))).toHaveLength(200);
    sim.reset();
    for (let index = 0; index < 20; index += 1) await chat(client);
    expect(new Set(served())).toEqual(new Set([maskKey(keyC), maskKey(keyD)]));
    expect(client.pool()?.map((member) => member.state)).toEqual(['exhausted', 'ok', 'ok', 'ok']);
    expect(client.pool()?.[1]?.forbiddenModels).toEqual(['gpt-4o-mini']);
  });
});

describe('when no key can serve', () => {
  it('one CredentialError names each key (masked) and why, with the reason to act on', async () => {
    sim.failNext('quota', { key: keyA, times: Number.POSITIVE_INFINITY });
    sim.revokeKey(keyB);
    const client = await openai([keyA, keyB]);
    const error = await rejection(chat(client));
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'quota_exceeded', retryable: true });
    const message = (error as Error).message;
    expect(message).toContain(`${maskKey(keyA)} (key-0): out of credit until`);
    expect(message).toContain(`${maskKey(keyB)} (key-1): rejected (revoked or wrong)`);
    expect(message).toContain('The first is tried again at');
    for (const key of [keyA, keyB]) expect(message.includes(key)).toBe(false);
    // The next call does not reach the provider at all.
    const before = sim.requests.length;
    expect(await rejection(chat(client))).toMatchObject({ reason: 'quota_exceeded' });
    expect(sim.requests.length).toBe(before);
  });

  it('every key refused the model: forbidden, for that model only', async () => {
    sim.failNext('forbidden', { model: 'gpt-4o', times: Number.POSITIVE_INFINITY });
    const client = await openai([keyA, keyB]);
    expect(await rejection(chat(client, 'gpt-4o'))).toMatchObject({ reason: 'forbidden' });
    await expect(chat(client, 'gpt-4o-mini')).resolves.toBeDefined();
  });
});

describe('the meter path (Telegram)', () => {
  it('fails over a revoked bot token, and names both when neither works', async () => {
    const client = await createClient('telegram', keys.pool([keys.literal(botA), keys.literal(botB)]), {
      baseURL: sim.baseURL('telegram'),
      ledger: false,
    });
    sim.revokeKey(botA);
    expect((await client.sdk.getMe()).is_bot).toBe(true);
    expect(served()).toEqual([botA, botB].map(maskKey));
    sim.revokeKey(botB);
    const error = await rejection(client.sdk.getMe());
    expect(error).toMatchObject({ reason: 'unauthorized' });
    expect((error as Error).message).toContain(maskKey(botA));
    expect((error as Error).message).toContain(maskKey(botB));
  });
});
