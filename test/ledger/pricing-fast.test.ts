/**
 * keycard's pricing fast path (a model resolved once, its four token kinds priced as genai-prices
 * prices them) must give exactly what `calcPrice` gives, for every model of keycard's providers
 * in the price data, at any token counts and dates.
 */
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceCall } from '../../src/ledger/pricing.js';
import type { ProviderId } from '../../src/providers/ids.js';

const PROVIDERS: ReadonlyArray<[ProviderId, string]> = [
  ['openai', 'openai'],
  ['anthropic', 'anthropic'],
  ['gemini', 'google'],
  ['xai', 'x-ai'],
];

const models = PROVIDERS.flatMap(([provider, providerId]) =>
  (findProvider({ providerId })?.models ?? []).map((model) => ({ provider, providerId, model: model.id })),
);

/** Where tiered prices change (e.g. 200,000 input tokens), and one token either side. */
const tierStarts = [
  ...new Set(
    PROVIDERS.flatMap(([, providerId]) =>
      (findProvider({ providerId })?.models ?? []).flatMap((model) =>
        (Array.isArray(model.prices) ? model.prices.map((price) => price.prices) : [model.prices]).flatMap(
          (prices) =>
            Object.values(prices).flatMap((value) =>
              typeof value === 'object' && value !== null && 'tiers' in value
                ? value.tiers.flatMap((tier) => [tier.start - 1, tier.start, tier.start + 1])
                : [],
            ),
        ),
      ),
    ),
  ),
];

const tokens = fc.record({
  input: fc.oneof(
    fc.integer({ min: 0, max: 2_000 }),
    fc.integer({ min: 0, max: 3_000_000 }),
    fc.constantFrom(...tierStarts),
  ),
  cachedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  writeShare: fc.double({ min: 0, max: 1, noNaN: true }),
  output: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 500_000 })),
  time: fc.date({
    min: new Date('2023-01-01T00:00:00Z'),
    max: new Date('2027-12-31T00:00:00Z'),
    noInvalidDate: true,
  }),
});

describe('the pricing fast path', () => {
  it('covers many models, tiered prices among them', () => {
    expect(models.length).toBeGreaterThan(150);
    expect(tierStarts.length).toBeGreaterThan(0);
  });

  it('prices every model exactly as calcPrice does, first call and cached calls alike', async () => {
    for (const { provider, providerId, model } of models) {
      await fc.assert(
        fc.asyncProperty(tokens, async ({ input, cachedShare, writeShare, output, time }) => {
          const cached = Math.floor(input * cachedShare);
          const written = Math.floor((input - cached) * writeShare);
          const call = {
            provider,
            model,
            outcome: 'ok' as const,
            time,
            inputTokens: input,
            cachedInputTokens: cached,
            cacheWriteTokens: written,
            outputTokens: output,
            reasoningTokens: 0,
          };
          let expected: number | null;
          try {
            expected =
              calcPrice(
                {
                  input_tokens: input,
                  cache_read_tokens: cached,
                  cache_write_tokens: written,
                  output_tokens: output,
                },
                model,
                { providerId, timestamp: time },
              )?.total_price ?? null;
          } catch {
            expected = null;
          }
          if (input + output === 0) expected = 0;
          for (let round = 0; round < 2; round += 1) {
            const priced = await priceCall(call);
            expect(priced.costUsd, `${providerId} ${model} round ${round}`).toBe(expected);
          }
        }),
        { numRuns: 16, seed: 14 },
      );
    }
  });
});
