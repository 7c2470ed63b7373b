/**
 * Cost of a call from `@pydantic/genai-prices` (a maintained price data set, not a table typed
 * by hand): provider, normalised model and every token kind. An unknown model is `null`, never a
 * guess; Slack and Telegram are free unless a price per request is configured. The package
 * (about 80 ms to import) is loaded on first use, or early by `preloadPrices()`.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import type { TokenUsage, UsageOutcome } from './types.js';

/** The price data keycard ships with: the pinned package version and its publication date. */
export const PRICE_DATA = {
  package: '@pydantic/genai-prices',
  version: '0.1.8',
  date: '2026-09-23',
} as const;

const PRICE_SOURCE = `genai-prices ${PRICE_DATA.version} (${PRICE_DATA.date})`;

/** genai-prices' provider ids. */
const PRICED_PROVIDERS: Partial<Record<ProviderId, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'google',
  xai: 'x-ai',
};

type PricesModule = typeof import('@pydantic/genai-prices');
let loading: Promise<PricesModule> | undefined;
let loaded: PricesModule | undefined;

/** Starts loading the price data now, so that the first priced call does not wait for it. */
export function preloadPrices(): Promise<PricesModule> {
  loading ??= import('@pydantic/genai-prices').then((prices) => {
    loaded = prices;
    return prices;
  });
  return loading;
}

/** `models/gemini-2.0-flash` → `gemini-2.0-flash`; `openai/gpt-4o` → `gpt-4o`. */
export function normaliseModel(model: string): string {
  return model
    .trim()
    .replace(/^models\//, '')
    .replace(/^(?:openai|anthropic|google|gemini|x-ai|xai)\//, '');
}

/** What a call cost, and how that was found. */
export interface PricedCost {
  /** USD; `null` when the model is not in the price data. */
  costUsd: number | null;
  /** `genai-prices 0.1.8 (2026-09-23)`, `free`, `per request`, `no usage`; `null` when unpriced. */
  pricing: string | null;
}

/** What pricing needs of a call. */
export interface PricingInput extends TokenUsage {
  provider: ProviderId;
  model: string | null;
  outcome: UsageOutcome;
  time: Date;
}

/** Options for pricing, per client. */
export interface PricingOptions {
  /** A price per request in USD, for every provider of the client (e.g. a paid plan). */
  requestPriceUsd?: number | undefined;
}

/** The cost of one call, loading the price data if needed. */
export async function priceCall(call: PricingInput, options: PricingOptions = {}): Promise<PricedCost> {
  return priceCallSync(call, options) ?? priceWith(await preloadPrices(), call, options);
}

/** The cost of one call, or `undefined` when it needs the price data and that is not loaded yet. */
export function priceCallSync(call: PricingInput, options: PricingOptions = {}): PricedCost | undefined {
  const free = priceWithoutData(call, options);
  if (free !== undefined) return free;
  return loaded === undefined ? undefined : priceWith(loaded, call, options);
}

function priceWithoutData(call: PricingInput, options: PricingOptions): PricedCost | undefined {
  if (options.requestPriceUsd !== undefined) {
    return { costUsd: call.outcome === 'ok' ? options.requestPriceUsd : 0, pricing: 'per request' };
  }
  const providerId = PRICED_PROVIDERS[call.provider];
  if (providerId === undefined) return { costUsd: 0, pricing: 'free' };
  const billed = (call.inputTokens ?? 0) + (call.outputTokens ?? 0);
  // A failed call, or one that used no tokens (listing models), bills nothing.
  if (call.outcome !== 'ok' || billed === 0) return { costUsd: 0, pricing: 'no usage' };
  if (call.model === null) return { costUsd: null, pricing: null };
  return undefined;
}

function priceWith(prices: PricesModule, call: PricingInput, options: PricingOptions): PricedCost {
  const done = priceWithoutData(call, options);
  if (done !== undefined) return done;
  const model = call.model ?? '';
  const providerId = PRICED_PROVIDERS[call.provider];
  const input = call.inputTokens ?? 0;
  const usage = {
    input_tokens: input,
    // genai-prices refuses cache counts larger than the input they are part of.
    cache_read_tokens: Math.min(call.cachedInputTokens ?? 0, input),
    cache_write_tokens: Math.min(
      call.cacheWriteTokens ?? 0,
      Math.max(0, input - (call.cachedInputTokens ?? 0)),
    ),
    output_tokens: call.outputTokens ?? 0,
  };
  try {
    const result = prices.calcPrice(usage, normaliseModel(model), {
      ...(providerId === undefined ? {} : { providerId }),
      timestamp: call.time,
    });
    if (result === null) return { costUsd: null, pricing: null };
    return { costUsd: result.total_price, pricing: PRICE_SOURCE };
  } catch {
    return { costUsd: null, pricing: null };
  }
}
