/**
 * The providers `createClient` can build, one adapter file each. Adapters are small and import
 * their SDK only when a client is created, so listing them here loads no SDK.
 * @module
 */
import { anthropic } from './anthropic.js';
import { deepseek } from './deepseek.js';
import { gemini } from './gemini.js';
import { googleGenAI } from './google-genai.js';
import { groq } from './groq.js';
import type { ProviderId } from './ids.js';
import { openai } from './openai.js';
import { openrouter } from './openrouter.js';
import { slack } from './slack.js';
import { telegram } from './telegram.js';
import { together } from './together.js';
import type { ProviderAdapter } from './types.js';
import { xai } from './xai.js';

export const adapters = {
  openai,
  anthropic,
  gemini,
  slack,
  telegram,
  xai,
  groq,
  openrouter,
  deepseek,
  together,
  // A second Gemini client, on Google's current SDK (`@google/genai`): its keys, prices, budgets
  // and ledger rows are `gemini`'s (the adapter's `id`).
  'google-genai': googleGenAI,
} as const;

/** A provider `createClient` can build a client for. */
export type SupportedProvider = keyof typeof adapters;

/** The SDK instance type for a provider, e.g. `OpenAI` for `'openai'`. */
export type SdkFor<P extends SupportedProvider> =
  (typeof adapters)[P] extends ProviderAdapter<infer Sdk, infer _Module, infer _Options, infer _Source>
    ? Sdk
    : never;

/** What `sdkOptions` may pass to a provider's SDK constructor. */
export type SdkOptionsFor<P extends SupportedProvider> =
  (typeof adapters)[P] extends ProviderAdapter<infer _Sdk, infer _Module, infer Options, infer _Source>
    ? Options
    : never;

/**
 * What `createClient`'s `sdk` option takes for a provider: the SDK as the user imported it (the
 * module, or for most providers its client class, e.g. `OpenAI` for `'openai'`).
 */
export type SdkSourceFor<P extends SupportedProvider> =
  (typeof adapters)[P] extends ProviderAdapter<infer _Sdk, infer _Module, infer _Options, infer Source>
    ? Source
    : never;

/**
 * The provider whose keys a client takes and under which its calls are recorded: the id itself,
 * except for a client of another SDK (`'google-genai'` → `'gemini'`).
 */
export function providerOf(id: SupportedProvider): ProviderId {
  return adapters[id].id;
}

/** Whether `value` names a provider `createClient` can build. */
export function isSupportedProvider(value: unknown): value is SupportedProvider {
  return typeof value === 'string' && Object.hasOwn(adapters, value);
}
