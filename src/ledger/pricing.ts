/**
 * Cost of a call from `@pydantic/genai-prices` (a maintained price data set, not a table typed
 * by hand): provider, normalised model and every token kind. An unknown model is `null`, never a
 * guess; Slack and Telegram are free unless a price per request is configured. The package
 * (about 80 ms to import) is loaded on first use, or early by `preloadPrices()`. A client's custom
 * prices (`custom-prices.ts`) come first, then its `requestPriceUsd`.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import type { CustomPrices } from './custom-prices.js';
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
  groq: 'groq',
  openrouter: 'openrouter',
  deepseek: 'deepseek',
  together: 'together',
  // Mistral's own model ids (`mistral-small-latest`, `codestral-2508`): no vendor prefix.
  mistral: 'mistral',
};

/** Registered providers with no price data: their calls' costs are unknown, not zero. */
const UNPRICED: Set<ProviderId> = new Set();

/** Whether `provider`'s calls are priced from the price data (Slack and Telegram are free). */
export function isPricedProvider(provider: ProviderId): boolean {
  return PRICED_PROVIDERS[provider] !== undefined;
}

/**
 * How a registered provider's calls are priced: under a genai-prices provider id, as free
 * (`'free'`), or not at all (`undefined`: a call with tokens has an unknown cost). @internal
 */
export function addProviderPricing(
  provider: ProviderId,
  prices: string | undefined,
  vendorPrefixedModels: boolean,
): void {
  if (prices === undefined) UNPRICED.add(provider);
  else if (prices !== 'free') PRICED_PROVIDERS[provider] = prices;
  if (vendorPrefixedModels) VENDOR_PREFIXED.add(provider);
}

/**
 * Providers that serve other vendors' models under the vendor's name: the prefix is part of the
 * model's id there (Groq's `openai/gpt-oss-120b`), not a routing prefix to remove.
 */
const VENDOR_PREFIXED: Set<ProviderId> = new Set(['groq', 'openrouter', 'together']);

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

/**
 * `models/gemini-2.0-flash` → `gemini-2.0-flash`; `openai/gpt-4o` → `gpt-4o`, except for a
 * `provider` whose model ids carry the vendor's name (Groq's `openai/gpt-oss-120b`).
 */
export function normaliseModel(model: string, provider?: ProviderId): string {
  const trimmed = model.trim().replace(/^models\//, '');
  if (provider !== undefined && VENDOR_PREFIXED.has(provider)) return trimmed;
  return trimmed.replace(/^(?:openai|anthropic|google|gemini|x-ai|xai)\//, '');
}

/** What a call cost, and how that was found. */
export interface PricedCost {
  /** USD; `null` when the model is not in the price data. */
  costUsd: number | null;
  /**
   * `genai-prices 0.1.8 (2026-09-23)`, `custom (options)`, `custom (prices.json)`, `free`,
   * `per request`, `no usage`; `null` when unpriced.
   */
  pricing: string | null;
}

/** What pricing needs of a call. */
export interface PricingInput extends TokenUsage {
  provider: ProviderId;
  model: string | null;
  outcome: UsageOutcome;
  time: Date;
  /** The model requested, when the provider reports another (for custom prices). */
  requestedModel?: string | null | undefined;
  /** The origin the call was sent to (for custom prices by gateway). */
  origin?: string | undefined;
}

/** Options for pricing, per client. */
export interface PricingOptions {
  /** A price per request in USD, for every provider of the client (e.g. a paid plan). */
  requestPriceUsd?: number | undefined;
  /** Custom prices, before `requestPriceUsd` and the price data. */
  custom?: CustomPrices | undefined;
  /** The origin of the client's base URL, for calls whose origin is not known. */
  origin?: string | undefined;
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
  const custom = options.custom?.price(call);
  if (custom !== undefined) return custom;
  if (options.requestPriceUsd !== undefined) {
    return { costUsd: call.outcome === 'ok' ? options.requestPriceUsd : 0, pricing: 'per request' };
  }
  const providerId = PRICED_PROVIDERS[call.provider];
  if (providerId === undefined && !UNPRICED.has(call.provider)) return { costUsd: 0, pricing: 'free' };
  const billed = (call.inputTokens ?? 0) + (call.outputTokens ?? 0);
  // A failed call, or one that used no tokens (listing models), bills nothing.
  if (call.outcome !== 'ok' || billed === 0) return { costUsd: 0, pricing: 'no usage' };
  if (providerId === undefined) return { costUsd: null, pricing: null };
  if (call.model === null) return { costUsd: null, pricing: null };
  return undefined;
}

function priceWith(prices: PricesModule, call: PricingInput, options: PricingOptions): PricedCost {
  const done = priceWithoutData(call, options);
  if (done !== undefined) return done;
  const model = normaliseModel(call.model ?? '', call.provider);
  const providerId = PRICED_PROVIDERS[call.provider];
  const input = call.inputTokens ?? 0;
  const usage: Tokens = {
    input,
    // genai-prices refuses cache counts larger than the input they are part of.
    cacheRead: Math.min(call.cachedInputTokens ?? 0, input),
    cacheWrite: Math.min(call.cacheWriteTokens ?? 0, Math.max(0, input - (call.cachedInputTokens ?? 0))),
    output: call.outputTokens ?? 0,
  };
  const id = `${providerId ?? ''}\u0000${model}`;
  const known = resolved.get(id);
  if (known !== undefined) {
    if (known === null) return { costUsd: null, pricing: null };
    const cost = fastCost(known, usage, call.time);
    if (cost !== undefined) return { costUsd: cost, pricing: PRICE_SOURCE };
  }
  try {
    const result = prices.calcPrice(
      {
        input_tokens: usage.input,
        cache_read_tokens: usage.cacheRead,
        cache_write_tokens: usage.cacheWrite,
        output_tokens: usage.output,
      },
      model,
      { ...(providerId === undefined ? {} : { providerId }), timestamp: call.time },
    );
    remember(id, result === null ? null : result.model);
    if (result === null) return { costUsd: null, pricing: null };
    return { costUsd: result.total_price, pricing: PRICE_SOURCE };
  } catch {
    return { costUsd: null, pricing: null };
  }
}

// The fast path ------------------------------------------------------------------------------------
// genai-prices finds a model by matching every model of the provider, then checks and sums every
// price unit: 15-50 µs a call. keycard resolves each (provider, model) once and then computes the
// cost of its four token kinds as genai-prices does (the same terms in the same order, so the same
// floating-point result: test/ledger/pricing-fast.test.ts compares both on every model of the data).
// A price it does not know how to compute that way (a price per request, per message or per hour,
// a time-of-day price) goes through `calcPrice` on every call.

interface Tokens {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

type ModelInfo = NonNullable<ReturnType<PricesModule['calcPrice']>>['model'];
type PriceValue = number | { base: number; tiers: Array<{ start: number; price: number }> };

/** One price term: which tokens, which direction, the price per million (or its tiers). */
interface Term {
  tokens: keyof Tokens;
  output: boolean;
  price: PriceValue;
}

/** Price keys keycard computes, and the token kind each one bills. */
const TERMS: Readonly<Record<string, { tokens: keyof Tokens; output: boolean }>> = {
  input_mtok: { tokens: 'input', output: false },
  cache_read_mtok: { tokens: 'cacheRead', output: false },
  cache_write_mtok: { tokens: 'cacheWrite', output: false },
  output_mtok: { tokens: 'output', output: true },
};

/** Price keys for usage keycard never reports (always zero): their terms add nothing. */
const UNREPORTED = new Set([
  'web_searches_kcount',
  'storage_searches_kcount',
  'input_audio_mtok',
  'cache_audio_read_mtok',
  'output_audio_mtok',
  'input_image_mtok',
  'cache_image_read_mtok',
  'output_image_mtok',
  'cache_write_1h_mtok',
  'input_video_mtok',
  'output_video_mtok',
]);

/** The model each (provider, model) resolved to; `null` when genai-prices has no price for it. */
const resolved = new Map<string, ModelInfo | null>();
const MAX_RESOLVED = 1024;

function remember(id: string, model: ModelInfo | null): void {
  if (resolved.size >= MAX_RESOLVED) resolved.clear();
  resolved.set(id, model);
}

/** Each price record's terms; `null` when it has a price the fast path does not compute. */
const compiled = new WeakMap<object, Term[] | null>();

function isTiered(value: unknown): value is Exclude<PriceValue, number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { base?: unknown }).base === 'number' &&
    Array.isArray((value as { tiers?: unknown }).tiers)
  );
}

function compile(record: Record<string, unknown>): Term[] | null {
  const known = compiled.get(record);
  if (known !== undefined) return known;
  let terms: Term[] | null = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || UNREPORTED.has(key)) continue;
    const term = TERMS[key];
    if (term === undefined || !(typeof value === 'number' || isTiered(value))) {
      terms = null;
      break;
    }
    const price: PriceValue =
      typeof value === 'number'
        ? value
        : { base: value.base, tiers: [...value.tiers].sort((a, b) => a.start - b.start) };
    terms.push({ ...term, price });
  }
  compiled.set(record, terms);
  return terms;
}

/** The model's price record in force at `time`, or `undefined` for a time-of-day price. */
function activePrices(model: ModelInfo, time: Date): Record<string, unknown> | undefined {
  const { prices } = model;
  if (!Array.isArray(prices)) return prices as Record<string, unknown>;
  const at = time.getTime();
  for (let index = prices.length - 1; index >= 0; index -= 1) {
    const conditional = prices[index];
    if (conditional === undefined) continue;
    const constraint = conditional.constraint as { type?: string; start_date?: string } | undefined;
    if (constraint === undefined) return conditional.prices as Record<string, unknown>;
    if (constraint.type !== 'start_date' || constraint.start_date === undefined) return undefined;
    if (at >= Date.parse(constraint.start_date)) return conditional.prices as Record<string, unknown>;
  }
  return prices[0]?.prices as Record<string, unknown> | undefined;
}

/** The cost as `calcPrice` computes it, or `undefined` when only `calcPrice` can. */
function fastCost(model: ModelInfo, usage: Tokens, time: Date): number | undefined {
  const record = activePrices(model, time);
  if (record === undefined) return undefined;
  const terms = compile(record);
  if (terms === null) return undefined;
  // Input tokens are billed net of the cache tokens that have a price of their own.
  let uncached = usage.input;
  for (const term of terms) {
    if (term.tokens === 'cacheRead' || term.tokens === 'cacheWrite') uncached -= usage[term.tokens];
  }
  let input = 0;
  let output = 0;
  for (const term of terms) {
    const tokens = term.tokens === 'input' ? uncached : usage[term.tokens];
    let amount: number;
    if (typeof term.price === 'number') amount = (term.price * tokens) / 1e6;
    else if (tokens <= 0) amount = 0;
    else {
      let price = term.price.base;
      for (const tier of term.price.tiers) if (usage.input > tier.start) price = tier.price;
      amount = (((price * tokens) / 1e6) * 1e6) / 1e6;
    }
    if (term.output) output += amount;
    else input += amount;
  }
  return input + output + 0;
}
