/**
 * Custom prices: through the real OpenAI and Anthropic SDKs (and a `createFetch` fetch) against
 * the simulators, costs come from the `prices` option or a prices file before genai-prices, by the
 * most specific entry (model and gateway, model, gateway, provider), with cached input, cache
 * writes and reasoning billed once each; the event's `pricing` says which source priced it, in
 * memory, SQLite, JSON-lines and PostgreSQL; USD budgets count these costs; a bad prices file or
 * entry is a `KeycardError` at creation that names the file and the field.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { generateText } from 'ai';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientOptions, createClient } from '../../src/client.js';
import { KeycardError } from '../../src/errors.js';
import { createFetch } from '../../src/fetch.js';
import { keys } from '../../src/keys/index.js';
import { BudgetExceededError } from '../../src/ledger/budget.js';
import type { PriceEntry } from '../../src/ledger/custom-prices.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { PRICE_DATA, preloadPrices } from '../../src/ledger/pricing.js';
import type { Ledger, UsageEvent } from '../../src/ledger/types.js';
import { registerProvider } from '../../src/providers/register.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';
import { type Backend, testLedger } from '../helpers/ledgers.js';
import { rejection } from '../helpers/rejections.js';

const openaiKey = testKey('openai', 'prices');
const anthropicKey = testKey('anthropic', 'prices');
let simulator: Simulator;
/** A second simulator: another origin, as another gateway would be. */
let other: Simulator;
let folder: string;

beforeAll(async () => {
  simulator = await startSimulator({ keys: [openaiKey, anthropicKey] });
  other = await startSimulator({ keys: [openaiKey] });
  folder = await mkdtemp(join(tmpdir(), 'keycard-prices-'));
  await preloadPrices();
});
afterAll(async () => {
  await simulator.close();
  await other.close();
  await rm(folder, { recursive: true, force: true });
});

const saved = { prices: process.env['KEYCARD_PRICES'], home: process.env['KEYCARD_HOME'] };
afterEach(() => {
  for (const [name, value] of [
    ['KEYCARD_PRICES', saved.prices],
    ['KEYCARD_HOME', saved.home],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const short = [{ role: 'user' as const, content: 'Summarise this ticket please.' }];
/** Long enough (64 tokens or more) for the simulator to serve half of it from the cache. */
const long = [{ role: 'user' as const, content: 'Summarise this long ticket, please. '.repeat(40) }];

interface Rates {
  input: number;
  cached?: number;
  cacheWrite?: number;
  output: number;
  reasoning?: number;
  perRequest?: number;
}

/** What an event should cost at `rates`, from its own token counts. */
function expectedCost(event: UsageEvent, rates: Rates): number {
  const input = event.inputTokens ?? 0;
  const cached = event.cachedInputTokens ?? 0;
  const cacheWrite = event.cacheWriteTokens ?? 0;
  const output = event.outputTokens ?? 0;
  const reasoning = event.reasoningTokens ?? 0;
  return (
    ((input - cached - cacheWrite) * rates.input +
      cached * (rates.cached ?? rates.input) +
      cacheWrite * (rates.cacheWrite ?? rates.input) +
      (output - reasoning) * rates.output +
      reasoning * (rates.reasoning ?? rates.output)) /
      1e6 +
    (rates.perRequest ?? 0)
  );
}

async function eventsOf(ledger: Ledger): Promise<UsageEvent[]> {
  await ledger.flush();
  const all: UsageEvent[] = [];
  for await (const event of ledger.events()) all.push(event);
  return all;
}

async function openaiClient(options: ClientOptions<'openai'>, on: Simulator = simulator) {
  return createClient('openai', keys.literal(openaiKey), {
    baseURL: on.baseURL('openai'),
    maxRetries: 0,
    ledger: new MemoryLedger(),
    ...options,
  });
}

/** One chat call with `model`, and its event. */
async function chat(options: ClientOptions<'openai'>, model: string, on: Simulator = simulator) {
  const ledger = (options.ledger as Ledger | undefined) ?? new MemoryLedger();
  const client = await openaiClient({ ...options, ledger }, on);
  await client.sdk.chat.completions.create({ model, messages: short });
  await client.close();
  const [event] = await eventsOf(ledger);
  if (event === undefined) throw new Error('no event');
  return event;
}

describe('custom prices from options', () => {
  it('prices a fine-tuned model genai-prices does not know (unpriced without them)', async () => {
    const model = 'ft:acme-private-7b:acme::a1b2c3';
    const unpriced = await chat({ prices: false }, model);
    expect(unpriced).toMatchObject({ model, costUsd: null, pricing: null });

    const rates = { input: 0.3, output: 1.2 };
    const priced = await chat(
      { prices: { model: 'ft:acme-private-7b:acme:*', inputPerMTok: 0.3, outputPerMTok: 1.2 } },
      model,
    );
    expect(priced.inputTokens).toBeGreaterThan(0);
    expect(priced.outputTokens).toBeGreaterThan(0);
    expect(priced.pricing).toBe('custom (options)');
    expect(priced.costUsd).toBeGreaterThan(0);
    expect(priced.costUsd).toBeCloseTo(expectedCost(priced, rates), 15);
  });

  it('takes precedence over genai-prices for a model it knows', async () => {
    const known = await chat({ prices: false }, 'gpt-4o-mini');
    expect(known.pricing).toBe(`genai-prices ${PRICE_DATA.version} (${PRICE_DATA.date})`);
    const custom = await chat(
      { prices: [{ provider: 'openai', model: 'gpt-4o-mini', inputPerMTok: 100, outputPerMTok: 200 }] },
      'gpt-4o-mini',
    );
    expect(custom.pricing).toBe('custom (options)');
    expect(custom.costUsd).toBeCloseTo(expectedCost(custom, { input: 100, output: 200 }), 15);
    expect(custom.costUsd).toBeGreaterThan((known.costUsd ?? 0) * 100);
    // An entry of another provider does not apply.
    const elsewhere = await chat(
      { prices: [{ provider: 'anthropic', inputPerMTok: 100, outputPerMTok: 200 }] },
      'gpt-4o-mini',
    );
    expect(elsewhere.pricing).toMatch(/^genai-prices/);
  });

  it('picks the most specific entry: model and gateway, model, gateway, provider', async () => {
    const gateway = new URL(simulator.baseURL('openai')).origin;
    // Listed least specific first: the order does not decide, specificity does.
    const prices: PriceEntry[] = [
      { inputPerMTok: 9, outputPerMTok: 9 },
      { provider: 'openai', inputPerMTok: 4, outputPerMTok: 4 },
      { gateway: `${gateway}/v1`, inputPerMTok: 2, outputPerMTok: 2 },
      { model: 'gpt-4o*', inputPerMTok: 5, outputPerMTok: 5 },
      { model: 'gpt-4o-mini', inputPerMTok: 1, outputPerMTok: 1 },
      { model: 'gpt-4o-mini', gateway, inputPerMTok: 3, outputPerMTok: 3 },
    ];
    const rate = (event: UsageEvent) =>
      Math.round(((event.costUsd ?? 0) * 1e6) / ((event.inputTokens ?? 0) + (event.outputTokens ?? 0)));
    // Through the gateway: model and gateway, then the gateway alone.
    expect(rate(await chat({ prices }, 'gpt-4o-mini'))).toBe(3);
    expect(rate(await chat({ prices }, 'gpt-4.1'))).toBe(2);
    // Elsewhere: the exact model, then a pattern, then the provider.
    expect(rate(await chat({ prices }, 'gpt-4o-mini', other))).toBe(1);
    expect(rate(await chat({ prices }, 'gpt-4o-2024-08-06', other))).toBe(5);
    expect(rate(await chat({ prices }, 'gpt-4.1', other))).toBe(4);
  });

  it('adds a price per request, and bills nothing for a failed call', async () => {
    const ledger = new MemoryLedger();
    const client = await openaiClient({
      ledger,
      prices: [{ model: 'my-private-model', perRequest: 0.002 }],
    });
    await client.sdk.chat.completions.create({ model: 'my-private-model', messages: short });
    simulator.failNext('server_error');
    await rejection(client.sdk.chat.completions.create({ model: 'my-private-model', messages: short }));
    await client.close();
    const events = await eventsOf(ledger);
    expect(events.map((event) => [event.outcome, event.costUsd, event.pricing])).toEqual([
      ['ok', 0.002, 'custom (options)'],
      ['error', 0, 'custom (options)'],
    ]);
  });

  it('prices cached input and reasoning at their own rates, each token once', async () => {
    const ledger = new MemoryLedger();
    const client = await openaiClient({
      ledger,
      prices: [
        {
          model: 'o4-mini',
          inputPerMTok: 1,
          cachedInputPerMTok: 0.25,
          outputPerMTok: 4,
          reasoningPerMTok: 8,
        },
        { model: 'o3-mini', inputPerMTok: 1, outputPerMTok: 4 },
      ],
    });
    await client.sdk.chat.completions.create({ model: 'o4-mini', messages: long });
    await client.sdk.chat.completions.create({ model: 'o3-mini', messages: long });
    await client.close();
    const [own, fallback] = await eventsOf(ledger);
    if (own === undefined || fallback === undefined) throw new Error('events missing');
    expect(own.cachedInputTokens).toBeGreaterThan(0);
    expect(own.reasoningTokens).toBeGreaterThan(0);
    expect(own.costUsd).toBeCloseTo(
      expectedCost(own, { input: 1, cached: 0.25, output: 4, reasoning: 8 }),
      15,
    );
    // Without their own rates, cached input costs as input and reasoning as output: no double count.
    expect(fallback.reasoningTokens).toBeGreaterThan(0);
    expect(fallback.costUsd).toBeCloseTo(
      ((fallback.inputTokens ?? 0) * 1 + (fallback.outputTokens ?? 0) * 4) / 1e6,
      15,
    );
  });

  it('prices Anthropic cache reads and writes through its SDK', async () => {
    const ledger = new MemoryLedger();
    const client = await createClient('anthropic', keys.literal(anthropicKey), {
      baseURL: simulator.baseURL('anthropic'),
      maxRetries: 0,
      ledger,
      prices: {
        model: 'claude-private-*',
        inputPerMTok: 3,
        cachedInputPerMTok: 0.3,
        cacheWritePerMTok: 3.75,
        outputPerMTok: 15,
      },
    });
    expect(client.sdk).toBeInstanceOf(Anthropic);
    const text = 'Summarise this long ticket, please. '.repeat(40);
    const cached = [{ type: 'text' as const, text, cache_control: { type: 'ephemeral' as const } }];
    await client.sdk.messages.create({
      model: 'claude-private-1',
      max_tokens: 200,
      messages: [{ role: 'user', content: cached }],
    });
    await client.sdk.messages.create({
      model: 'claude-private-1',
      max_tokens: 200,
      messages: [
        { role: 'user', content: cached },
        { role: 'assistant', content: 'A summary.' },
        { role: 'user', content: 'Shorter, please.' },
      ],
    });
    await client.close();
    const events = await eventsOf(ledger);
    expect(events.some((event) => (event.cacheWriteTokens ?? 0) > 0)).toBe(true);
    expect(events.some((event) => (event.cachedInputTokens ?? 0) > 0)).toBe(true);
    for (const event of events) {
      expect(event.pricing).toBe('custom (options)');
      expect(event.costUsd).toBeCloseTo(
        expectedCost(event, { input: 3, cached: 0.3, cacheWrite: 3.75, output: 15 }),
        15,
      );
    }
  });

  it('prices a registered provider that has no price data', async () => {
    const noPrices = registerProvider({
      id: 'prices-test-llm',
      label: 'Prices Test LLM',
      envVars: ['PRICES_TEST_LLM_KEY'],
      keyPage: 'https://prices-test.example/keys',
      openAICompatible: { baseURL: 'https://prices-test.example/v1' },
    });
    const ledger = new MemoryLedger();
    const client = await createClient(noPrices, keys.literal(openaiKey), {
      baseURL: simulator.baseURL('openai'),
      checkKeyShape: false,
      ledger,
      prices: [{ provider: 'prices-test-llm', inputPerMTok: 2, outputPerMTok: 6 }],
    });
    await client.sdk.chat.completions.create({ model: 'house-model', messages: short });
    await client.close();
    const [event] = await eventsOf(ledger);
    expect(event).toMatchObject({ provider: 'prices-test-llm', pricing: 'custom (options)' });
    expect(event?.costUsd).toBeCloseTo(expectedCost(event as UsageEvent, { input: 2, output: 6 }), 15);
  });

  it('keeps requestPriceUsd, below custom entries', async () => {
    const flat = await chat({ requestPriceUsd: 0.01 }, 'gpt-4o-mini');
    expect(flat).toMatchObject({ costUsd: 0.01, pricing: 'per request' });
    const both = await chat(
      { requestPriceUsd: 0.01, prices: [{ model: 'gpt-4o-mini', perRequest: 0.5 }] },
      'gpt-4o-mini',
    );
    expect(both).toMatchObject({ costUsd: 0.5, pricing: 'custom (options)' });
    const other = await chat(
      { requestPriceUsd: 0.01, prices: [{ model: 'gpt-4o-mini', perRequest: 0.5 }] },
      'gpt-4.1',
    );
    expect(other).toMatchObject({ costUsd: 0.01, pricing: 'per request' });
  });

  it('counts custom-priced calls in USD budgets', async () => {
    const ledger = new MemoryLedger();
    const client = await openaiClient({
      ledger,
      prices: [{ model: 'ft:*', perRequest: 1 }],
      budget: { usd: 2, period: 'day' },
    });
    const call = () => client.sdk.chat.completions.create({ model: 'ft:gpt-4o:acme::x', messages: short });
    await call();
    await call();
    const blocked = await rejection(call());
    expect(blocked).toBeInstanceOf(BudgetExceededError);
    await client.close();
    const [total] = await ledger.totals();
    expect(total).toMatchObject({ requests: 2, costUsd: 2 });
  });
});

describe.each(['memory', 'sqlite', 'jsonl', 'postgres'] as const)(
  'the pricing source in a %s ledger',
  (backend: Backend) => {
    it('is stored on each event, with the cost', async () => {
      const store = await testLedger(backend);
      try {
        const path = join(folder, `${backend}-prices.json`);
        await writeFile(path, JSON.stringify([{ model: 'file-model', inputPerMTok: 1, outputPerMTok: 2 }]));
        const fromOptions = await openaiClient({
          ledger: store.ledger,
          prices: [{ model: 'options-model', inputPerMTok: 1, outputPerMTok: 2 }],
        });
        await fromOptions.sdk.chat.completions.create({ model: 'options-model', messages: short });
        await fromOptions.close();
        const fromFile = await openaiClient({ ledger: store.ledger, prices: path });
        await fromFile.sdk.chat.completions.create({ model: 'file-model', messages: short });
        await fromFile.close();
        const events = await eventsOf(store.ledger);
        expect(events.map((event) => [event.model, event.pricing])).toEqual([
          ['options-model', 'custom (options)'],
          ['file-model', `custom (${backend}-prices.json)`],
        ]);
        let sum = 0;
        for (const event of events) {
          const cost = expectedCost(event, { input: 1, output: 2 });
          expect(event.costUsd).toBeCloseTo(cost, 8);
          sum += cost;
        }
        const [total] = await store.ledger.totals();
        expect(total?.costUsd).toBeCloseTo(sum, 8);
        expect(total?.unpricedRequests).toBe(0);
      } finally {
        await store.cleanup();
      }
    });
  },
);

describe('a prices file', () => {
  const file = async (name: string, content: unknown) => {
    const path = join(folder, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const message = async (prices: ClientOptions['prices']) => {
    const error = await rejection(openaiClient({ prices }));
    expect(error).toBeInstanceOf(KeycardError);
    return (error as Error).message;
  };

  it('is read from KEYCARD_PRICES, else $KEYCARD_HOME/prices.json, by createClient and createFetch alike', async () => {
    const home = await mkdtemp(join(folder, 'home-'));
    process.env['KEYCARD_HOME'] = home;
    delete process.env['KEYCARD_PRICES'];
    // No file at home: no custom prices, and no error.
    expect((await chat({}, 'home-model')).pricing).toBeNull();
    await writeFile(
      join(home, 'prices.json'),
      JSON.stringify({ prices: [{ model: 'home-model', perRequest: 0.25 }] }),
    );
    expect(await chat({}, 'home-model')).toMatchObject({ costUsd: 0.25, pricing: 'custom (prices.json)' });
    process.env['KEYCARD_PRICES'] = await file('team-prices.json', [
      { model: 'home-model', perRequest: 0.5 },
    ]);
    expect(await chat({}, 'home-model')).toMatchObject({
      costUsd: 0.5,
      pricing: 'custom (team-prices.json)',
    });

    // createFetch, under the real OpenAI SDK: the same file, the same cost.
    const ledger = new MemoryLedger();
    const fetch = await createFetch('openai', keys.literal(openaiKey), { ledger });
    const sdk = new OpenAI({ apiKey: 'keycard', baseURL: simulator.baseURL('openai'), fetch, maxRetries: 0 });
    await sdk.chat.completions.create({ model: 'home-model', messages: short });
    await fetch.close();
    const [event] = await eventsOf(ledger);
    expect(event).toMatchObject({ costUsd: 0.5, pricing: 'custom (team-prices.json)' });
    // The option wins over both; false turns them off.
    expect((await chat({ prices: [{ model: 'home-model', perRequest: 1 }] }, 'home-model')).costUsd).toBe(1);
    expect((await chat({ prices: false }, 'home-model')).pricing).toBeNull();
  });

  it('prices a createFetch call under the Vercel AI SDK as the built-in client does', async () => {
    const prices: PriceEntry[] = [
      { model: 'ft:acme-private-7b:acme:*', inputPerMTok: 0.3, cachedInputPerMTok: 0.1, outputPerMTok: 1.2 },
    ];
    const model = 'ft:acme-private-7b:acme::v2';
    const prompt = long[0]?.content ?? '';
    const ledger = new MemoryLedger();
    const fetch = await createFetch('openai', keys.literal(openaiKey), { ledger, prices });
    const openai = createOpenAI({ apiKey: 'keycard', baseURL: simulator.baseURL('openai'), fetch });
    await generateText({ model: openai.chat(model), prompt, maxRetries: 0 });
    await fetch.close();
    const [viaFetch] = await eventsOf(ledger);
    const builtIn = new MemoryLedger();
    const client = await openaiClient({ ledger: builtIn, prices });
    await client.sdk.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] });
    await client.close();
    const [viaClient] = await eventsOf(builtIn);
    expect(viaFetch?.cachedInputTokens).toBeGreaterThan(0);
    expect(viaFetch?.pricing).toBe('custom (options)');
    expect(viaFetch?.costUsd).toBeGreaterThan(0);
    expect(viaFetch?.costUsd).toBe(viaClient?.costUsd);
    expect(viaFetch?.costUsd).toBeCloseTo(
      expectedCost(viaFetch as UsageEvent, { input: 0.3, cached: 0.1, output: 1.2 }),
      15,
    );
  });

  it('gives createFetch prices by gateway from the URL each request goes to', async () => {
    const gateway = new URL(simulator.baseURL('openai')).origin;
    const ledger = new MemoryLedger();
    const fetch = await createFetch('openai', keys.literal(openaiKey), {
      ledger,
      prices: [{ gateway, perRequest: 0.125 }],
    });
    for (const on of [simulator, other]) {
      const sdk = new OpenAI({ apiKey: 'keycard', baseURL: on.baseURL('openai'), fetch, maxRetries: 0 });
      await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: short });
    }
    await fetch.close();
    const events = await eventsOf(ledger);
    expect(events.map((event) => event.pricing?.replace(/^genai-prices.*/, 'genai-prices'))).toEqual([
      'custom (options)',
      'genai-prices',
    ]);
    expect(events[0]?.costUsd).toBe(0.125);
  });

  it('is read when the client is created, never by a call', async () => {
    const path = await file('once.json', [{ model: 'once-model', perRequest: 0.5 }]);
    const ledger = new MemoryLedger();
    const client = await openaiClient({ ledger, prices: path });
    await rm(path);
    await client.sdk.chat.completions.create({ model: 'once-model', messages: short });
    // A stream is priced the same way, when it ends.
    const stream = await client.sdk.chat.completions.create({
      model: 'once-model',
      messages: short,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _chunk of stream) {
      // drained
    }
    await client.close();
    const events = await eventsOf(ledger);
    expect(events.map((event) => [event.stream, event.costUsd, event.pricing])).toEqual([
      [false, 0.5, 'custom (once.json)'],
      [true, 0.5, 'custom (once.json)'],
    ]);
  });

  it('is read again when it changes', async () => {
    const path = await file('changing.json', [{ model: 'changing-model', perRequest: 0.1 }]);
    expect((await chat({ prices: path }, 'changing-model')).costUsd).toBe(0.1);
    // Saved by an editor that writes a byte-order mark.
    await writeFile(path, `\uFEFF${JSON.stringify([{ model: 'changing-model', perRequest: 0.75 }])}`);
    const later = new Date(Date.now() + 5000);
    await utimes(path, later, later);
    expect((await chat({ prices: path }, 'changing-model')).costUsd).toBe(0.75);
  });

  it('that is missing, not JSON or wrong is an error naming the file and the field', async () => {
    const missing = join(folder, 'nope.json');
    expect(await message(missing)).toBe(
      `createClient('openai'): prices file ${missing} cannot be read: no such file.`,
    );
    process.env['KEYCARD_PRICES'] = missing;
    expect(await message(undefined)).toBe(
      `createClient('openai'): prices file ${missing} (KEYCARD_PRICES) cannot be read: no such file.`,
    );
    delete process.env['KEYCARD_PRICES'];
    const broken = await file('broken.json', '[{ "model": "x", ');
    expect(await message(broken)).toMatch(
      new RegExp(`^createClient\\('openai'\\): prices file ${broken} is not valid JSON \\(`),
    );
    const notList = await file('not-list.json', { model: 'x', inputPerMTok: 1 });
    expect(await message(notList)).toContain(`prices file ${notList} must hold an array of price entries`);
    const negative = await file('negative.json', [
      { model: 'a', inputPerMTok: 1, outputPerMTok: 1 },
      { model: 'b', inputPerMTok: 1, outputPerMTok: -2 },
    ]);
    expect(await message(negative)).toBe(
      `createClient('openai'): prices file ${negative}: [1].outputPerMTok must be a number of US dollars per million tokens, 0 or more, not -2.`,
    );
    const typo = await file('typo.json', [{ model: 'a', inputPerMtok: 1 }]);
    expect(await message(typo)).toBe(
      `createClient('openai'): prices file ${typo}: [0].inputPerMtok is not an option. Did you mean [0].inputPerMTok?`,
    );
    const text = await file('text.json', [{ model: 'a', inputPerMTok: '0.3' }]);
    expect(await message(text)).toContain(`${text}: [0].inputPerMTok must be a number of US dollars`);
    const free = await file('free.json', [{ model: 'a' }]);
    expect(await message(free)).toContain(`${free}: [0] has no price.`);
    const provider = await file('provider.json', [{ provider: 'opnai', perRequest: 1 }]);
    expect(await message(provider)).toContain(
      `${provider}: [0].provider is no provider keycard knows ("opnai"). Did you mean 'openai'?`,
    );
  });

  it('entries in the option are checked the same way', async () => {
    expect(await message({ provider: 'google-genai', perRequest: 1 })).toContain(
      'options.prices.provider is no provider keycard knows ("google-genai"). Did you mean \'gemini\'?',
    );
    expect(
      await message([
        { model: 'a', perRequest: 1 },
        { model: 'b', cachedInputPerMTok: -1 },
      ]),
    ).toBe(
      "createClient('openai'): options.prices[1].cachedInputPerMTok must be a number of US dollars per million tokens, 0 or more, not -1.",
    );
    expect(await message({ gateway: 'ftp://gw', perRequest: 1 })).toContain(
      'options.prices.gateway must be an http:// or https:// URL',
    );
    expect(await message(5 as never)).toContain("options.prices must be a prices file's path");
    const error = await rejection(
      createFetch('openai', keys.literal(openaiKey), { ledger: false, prices: [{ model: 'a' }] }),
    );
    expect((error as Error).message).toBe(
      "createFetch('openai'): options.prices[0] has no price. Give inputPerMTok, cachedInputPerMTok, cacheWritePerMTok, outputPerMTok, reasoningPerMTok, perRequest (US dollars), one or more.",
    );
  });
});

describe('keycard check', () => {
  it('records nothing, so reads no prices: a broken KEYCARD_PRICES does not fail it', async () => {
    const result = await keycard(['check', 'openai', '--base-url', simulator.baseURL('openai')], {
      env: { OPENAI_API_KEY: openaiKey, KEYCARD_PRICES: join(folder, 'missing-prices.json') },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
