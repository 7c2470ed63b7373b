/**
 * Prices: keycard's costs equal genai-prices' own numbers for known models of every priced
 * provider (cached tokens included), `models/` prefixes are stripped, unknown models are unpriced
 * with one warning, Slack and Telegram are free, and a price per request can be set. Through the
 * real SDKs against the simulators.
 */
import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { normaliseModel, PRICE_DATA, priceCall } from '../../src/ledger/pricing.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { clientFixture, openAIFixture } from '../helpers/fixture.js';
import { usageEvent } from '../helpers/ledgers.js';

const time = new Date('2026-11-01T00:00:00Z');

describe('priceCall', () => {
  it.each([
    ['openai', 'openai', 'gpt-4o-mini'],
    ['openai', 'openai', 'gpt-4o'],
    ['anthropic', 'anthropic', 'claude-haiku-4-5'],
    ['gemini', 'google', 'gemini-2.5-flash'],
    ['xai', 'x-ai', 'grok-4'],
  ] as const)(
    'prices %s %s %s as genai-prices does, cached tokens included',
    async (provider, providerId, model) => {
      const tokens = {
        inputTokens: 120_000,
        cachedInputTokens: 20_000,
        cacheWriteTokens: 0,
        outputTokens: 30_000,
        reasoningTokens: 0,
      };
      const priced = await priceCall({ provider, model, outcome: 'ok', time, ...tokens });
      const expected = calcPrice(
        { input_tokens: 120_000, cache_read_tokens: 20_000, cache_write_tokens: 0, output_tokens: 30_000 },
        model,
        { providerId, timestamp: time },
      );
      expect(expected).not.toBeNull();
      expect(priced.costUsd).toBe(expected?.total_price);
      expect(priced.costUsd).toBeGreaterThan(0);
      expect(priced.pricing).toBe(`genai-prices ${PRICE_DATA.version} (${PRICE_DATA.date})`);
      // Cached tokens cost less than fresh ones.
      const uncached = await priceCall({
        provider,
        model,
        outcome: 'ok',
        time,
        ...tokens,
        cachedInputTokens: 0,
      });
      expect(uncached.costUsd).toBeGreaterThan(priced.costUsd ?? 0);
    },
  );

  it('strips models/ and provider prefixes', async () => {
    expect(normaliseModel('models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(normaliseModel('openai/gpt-4o')).toBe('gpt-4o');
    const call = {
      provider: 'gemini' as const,
      outcome: 'ok' as const,
      time,
      inputTokens: 1000,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 10,
      reasoningTokens: 0,
    };
    expect((await priceCall({ ...call, model: 'models/gemini-2.5-flash' })).costUsd).toBe(
      (await priceCall({ ...call, model: 'gemini-2.5-flash' })).costUsd,
    );
  });

  it('never guesses: an unknown model is unpriced; failures and calls without tokens cost nothing', async () => {
    const base = {
      provider: 'openai' as const,
      outcome: 'ok' as const,
      time,
      inputTokens: 10,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 10,
      reasoningTokens: 0,
    };
    expect(await priceCall({ ...base, model: 'my-fine-tune-that-nobody-knows' })).toEqual({
      costUsd: null,
      pricing: null,
    });
    expect(await priceCall({ ...base, model: 'gpt-4o', outcome: 'unauthorized' })).toEqual({
      costUsd: 0,
      pricing: 'no usage',
    });
    expect(await priceCall({ ...base, model: null, inputTokens: null, outputTokens: null })).toEqual({
      costUsd: 0,
      pricing: 'no usage',
    });
  });

  it('prices Slack and Telegram at 0, or at a configured price per request', async () => {
    const base = {
      model: null,
      outcome: 'ok' as const,
      time,
      inputTokens: null,
      cachedInputTokens: null,
      cacheWriteTokens: null,
      outputTokens: null,
      reasoningTokens: null,
    };
    expect(await priceCall({ ...base, provider: 'slack' })).toEqual({ costUsd: 0, pricing: 'free' });
    expect(await priceCall({ ...base, provider: 'telegram' }, { requestPriceUsd: 0.002 })).toEqual({
      costUsd: 0.002,
      pricing: 'per request',
    });
  });

  it('is pinned to the version whose date it records', async () => {
    const { readFile } = await import('node:fs/promises');
    const path = new URL('../../node_modules/@pydantic/genai-prices/package.json', import.meta.url);
    const installed = JSON.parse(await readFile(path, 'utf8')) as { version: string };
    expect(installed.version).toBe(PRICE_DATA.version);
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies['@pydantic/genai-prices']).toBe(PRICE_DATA.version);
  });
});

describe('costs in the ledger', () => {
  it('records the cost of real SDK calls, and warns once about an unknown model', async () => {
    const fixture = await openAIFixture();
    try {
      await fixture.client.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      await fixture.client.sdk.chat.completions.create({
        model: 'acme-unknown-1',
        messages: [{ role: 'user', content: 'hi' }],
      });
      await fixture.client.sdk.chat.completions.create({
        model: 'acme-unknown-1',
        messages: [{ role: 'user', content: 'again' }],
      });
      const events = await fixture.events();
      const known = events[0] as UsageEvent;
      expect(known.costUsd).toBeGreaterThan(0);
      expect(known.costUsd).toBe((await priceCall({ ...known })).costUsd);
      expect(events.slice(1).map((event) => event.costUsd)).toEqual([null, null]);
      expect(events[1]?.inputTokens).toBeGreaterThan(0);
      expect(fixture.logger.lines.filter((line) => line.includes('no price is known'))).toHaveLength(1);
      const [row] = await fixture.ledger.totals();
      expect(row?.unpricedRequests).toBe(2);
      expect(fixture.logger.lines.some((line) => /cost=\$0\.0000\d\d/.test(line))).toBe(true);
    } finally {
      await fixture.close();
    }
  });

  it('uses requestPriceUsd for a messaging client', async () => {
    const fixture = await clientFixture('telegram', { client: { requestPriceUsd: 0.001 } });
    try {
      await fixture.client.sdk.getMe();
      await fixture.client.sdk.getMe();
      expect((await fixture.ledger.totals())[0]?.costUsd).toBe(0.002);
    } finally {
      await fixture.close();
    }
  });

  it('keeps the memory ledger exact with many small costs', async () => {
    const ledger = new MemoryLedger();
    for (let index = 0; index < 1000; index += 1) ledger.record(usageEvent({ costUsd: 0.000_001_7 }));
    expect((await ledger.totals())[0]?.costUsd).toBeCloseTo(0.0017, 12);
  });
});
