/**
 * Custom prices: prices per model, provider or gateway, given in `createClient`'s `prices` option
 * or a prices file, that take precedence over genai-prices. A client compiles its entries once
 * (those of its provider, most specific first); a call is then one `Map` lookup.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import type { TokenUsage } from './types.js';

/**
 * One custom price: which calls it prices (`provider`, `model`, `gateway`; none of them: every
 * call of the client) and what they cost, in US dollars. Token kinds left out cost nothing, except
 * cached input and cache writes (priced as input) and reasoning (priced as output). The most
 * specific entry that matches a call prices it: model and gateway, then model, then gateway,
 * then provider, then an entry with none of them; an exact model before a pattern, a longer
 * pattern before a shorter one, then the first listed.
 */
export interface PriceEntry {
  /** Only this provider's calls (`'openai'`, or an id from `registerProvider()`). */
  provider?: string | undefined;
  /**
   * The model, as requested or as the provider reports it: an exact id, or a pattern where `*`
   * stands for any characters (`'ft:gpt-4o-mini:acme:*'`).
   */
  model?: string | undefined;
  /**
   * Only calls sent to this origin (scheme, host and port; a path is ignored): a LiteLLM proxy or
   * another gateway that bills differently (`'https://llm.acme.internal'`).
   */
  gateway?: string | undefined;
  /** USD per million input tokens that are neither cached nor cache writes. */
  inputPerMTok?: number | undefined;
  /** USD per million input tokens read from the prompt cache. @default `inputPerMTok` */
  cachedInputPerMTok?: number | undefined;
  /** USD per million input tokens written to the prompt cache. @default `inputPerMTok` */
  cacheWritePerMTok?: number | undefined;
  /** USD per million output tokens that are not reasoning tokens. */
  outputPerMTok?: number | undefined;
  /** USD per million reasoning tokens (a part of the output tokens). @default `outputPerMTok` */
  reasoningPerMTok?: number | undefined;
  /** USD per successful request, on top of the tokens. */
  perRequest?: number | undefined;
}

/** The fields of an entry that are prices. */
export const PRICE_KEYS = [
  'inputPerMTok',
  'cachedInputPerMTok',
  'cacheWritePerMTok',
  'outputPerMTok',
  'reasoningPerMTok',
  'perRequest',
] as const satisfies ReadonlyArray<keyof PriceEntry>;

/** An entry as checked, with where it comes from (`options`, `prices.json`). */
export interface SourcedEntry extends PriceEntry {
  /** What is recorded as the event's `pricing`: `custom (options)`, `custom (prices.json)`. */
  label: string;
}

/** One compiled entry: its matchers and its prices per token. */
interface Rule {
  label: string;
  provider: string | undefined;
  model: string | RegExp | undefined;
  gateway: string | undefined;
  /** Higher first. */
  rank: number;
  /** Where it was listed, for ties. */
  order: number;
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  perRequest: number;
}

/** What a custom price needs of a call. */
export interface CustomPricingInput extends TokenUsage {
  provider: ProviderId;
  /** The model the provider reports (or the one requested). */
  model: string | null;
  /** The model requested, when it differs. */
  requestedModel?: string | null | undefined;
  /** The origin the call was sent to (`https://api.openai.com`). */
  origin?: string | undefined;
  outcome: string;
}

/** `*` stands for any characters; everything else is literal. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The origin of a gateway URL (`https://llm.acme.internal/v1` → `https://llm.acme.internal`). */
export function gatewayOrigin(gateway: string): string {
  return new URL(gateway).origin;
}

function compileRule(entry: SourcedEntry, order: number): Rule {
  const { model, gateway } = entry;
  const isPattern = model?.includes('*') === true;
  const pattern = model !== undefined && isPattern ? globToRegExp(model) : model;
  // Model and gateway > model > gateway > provider > nothing; an exact model > a pattern, and a
  // longer pattern > a shorter one.
  const kind = (model !== undefined ? 2 : 0) + (gateway !== undefined ? 1 : 0);
  const exact = model !== undefined && !isPattern ? 1 : 0;
  const literal = model === undefined ? 0 : model.replaceAll('*', '').length;
  const rank =
    kind * 1_000_000 + exact * 100_000 + Math.min(literal, 999) * 10 + (entry.provider !== undefined ? 1 : 0);
  const input = entry.inputPerMTok ?? 0;
  const output = entry.outputPerMTok ?? 0;
  return {
    label: entry.label,
    provider: entry.provider,
    model: pattern,
    gateway: gateway === undefined ? undefined : gatewayOrigin(gateway),
    rank,
    order,
    input,
    cached: entry.cachedInputPerMTok ?? input,
    cacheWrite: entry.cacheWritePerMTok ?? input,
    output,
    reasoning: entry.reasoningPerMTok ?? output,
    perRequest: entry.perRequest ?? 0,
  };
}

function modelMatches(rule: Rule, models: readonly string[]): boolean {
  const { model } = rule;
  if (model === undefined) return true;
  if (typeof model === 'string') return models.includes(model);
  return models.some((candidate) => model.test(candidate));
}

const MAX_CACHED = 1024;

/** A client's custom prices, compiled for its provider. */
export class CustomPrices {
  readonly #rules: Rule[];
  readonly #found = new Map<string, Rule | null>();
  /** Whether any entry names a gateway (then calls need their origin). */
  readonly needsOrigin: boolean;

  constructor(entries: readonly SourcedEntry[], provider: ProviderId) {
    this.#rules = entries
      .map(compileRule)
      .filter((rule) => rule.provider === undefined || rule.provider === provider)
      .sort((a, b) => b.rank - a.rank || a.order - b.order);
    this.needsOrigin = this.#rules.some((rule) => rule.gateway !== undefined);
  }

  /** Whether there is no entry for this client's provider. */
  get empty(): boolean {
    return this.#rules.length === 0;
  }

  /** The entry that prices `call`, if any. */
  #match(call: CustomPricingInput): Rule | undefined {
    const origin = this.needsOrigin ? (call.origin ?? '') : '';
    const requested = call.requestedModel ?? null;
    const id = `${call.provider}\u0000${origin}\u0000${call.model ?? ''}\u0000${requested ?? ''}`;
    const known = this.#found.get(id);
    if (known !== undefined) return known ?? undefined;
    const models: string[] = [];
    for (const model of [call.model, requested]) {
      if (model === null || model === undefined) continue;
      const trimmed = model.trim();
      for (const form of [trimmed, trimmed.replace(/^models\//, '')]) {
        if (!models.includes(form)) models.push(form);
      }
    }
    const rule = this.#rules.find(
      (candidate) =>
        (candidate.provider === undefined || candidate.provider === call.provider) &&
        (candidate.gateway === undefined || candidate.gateway === origin) &&
        modelMatches(candidate, models),
    );
    if (this.#found.size >= MAX_CACHED) this.#found.clear();
    this.#found.set(id, rule ?? null);
    return rule;
  }

  /**
   * The cost of `call` from the entry that matches it, or `undefined` when none does. A failed
   * call costs 0; cached input and cache writes are parts of the input tokens, reasoning a part of
   * the output tokens, each billed once.
   */
  price(call: CustomPricingInput): { costUsd: number; pricing: string } | undefined {
    if (this.#rules.length === 0) return undefined;
    const rule = this.#match(call);
    if (rule === undefined) return undefined;
    if (call.outcome !== 'ok') return { costUsd: 0, pricing: rule.label };
    const input = Math.max(0, call.inputTokens ?? 0);
    const cached = Math.min(Math.max(0, call.cachedInputTokens ?? 0), input);
    const cacheWrite = Math.min(Math.max(0, call.cacheWriteTokens ?? 0), input - cached);
    const output = Math.max(0, call.outputTokens ?? 0);
    const reasoning = Math.min(Math.max(0, call.reasoningTokens ?? 0), output);
    const tokens =
      (input - cached - cacheWrite) * rule.input +
      cached * rule.cached +
      cacheWrite * rule.cacheWrite +
      (output - reasoning) * rule.output +
      reasoning * rule.reasoning;
    return { costUsd: tokens / 1e6 + rule.perRequest, pricing: rule.label };
  }
}
