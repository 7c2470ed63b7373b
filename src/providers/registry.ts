/**
 * The providers `createClient` can build, one adapter file each. Adapters are small and import
 * their SDK only when a client is created, so listing them here loads no SDK.
 * @module
 */
import { anthropic } from './anthropic.js';
import { deepseek } from './deepseek.js';
import { discord } from './discord.js';
import { gemini } from './gemini.js';
import { googleGenAI } from './google-genai.js';
import { groq } from './groq.js';
import type { ProviderId, RegisteredProviders } from './ids.js';
import { mistral } from './mistral.js';
import { openai } from './openai.js';
import { openrouter } from './openrouter.js';
import type { RegisteredProvider } from './register.js';
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
  mistral,
  discord,
  // A second Gemini client, on Google's current SDK (`@google/genai`): its keys, prices, budgets
  // and ledger rows are `gemini`'s (the adapter's `id`).
  'google-genai': googleGenAI,
} as const;

/** A provider `createClient` can build a client for: a built-in one, or one you registered. */
export type SupportedProvider = keyof typeof adapters | Extract<keyof RegisteredProviders, string>;

/** What `createClient` takes as its provider: an id, or what `registerProvider()` returned. */
export type ProviderChoice = SupportedProvider | RegisteredProvider;

/** The adapter behind a provider id or a registered provider. */
type AdapterOf<P> = P extends keyof typeof adapters
  ? (typeof adapters)[P]
  : P extends keyof RegisteredProviders
    ? RegisteredProviders[P] extends RegisteredProvider<string, infer Sdk, infer Options, infer Source>
      ? ProviderAdapter<Sdk, unknown, Options, Source>
      : never
    : P extends RegisteredProvider<string, infer Sdk, infer Options, infer Source>
      ? ProviderAdapter<Sdk, unknown, Options, Source>
      : never;

/** The SDK instance type for a provider, e.g. `OpenAI` for `'openai'`. */
export type SdkFor<P extends ProviderChoice> =
  AdapterOf<P> extends ProviderAdapter<infer Sdk, infer _Module, infer _Options, infer _Source> ? Sdk : never;

/** What `sdkOptions` may pass to a provider's SDK constructor. */
export type SdkOptionsFor<P extends ProviderChoice> =
  AdapterOf<P> extends ProviderAdapter<infer _Sdk, infer _Module, infer Options, infer _Source>
    ? Options
    : never;

/**
 * What `createClient`'s `sdk` option takes for a provider: the SDK as the user imported it (the
 * module, or for most providers its client class, e.g. `OpenAI` for `'openai'`).
 */
export type SdkSourceFor<P extends ProviderChoice> =
  AdapterOf<P> extends ProviderAdapter<infer _Sdk, infer _Module, infer _Options, infer Source>
    ? Source
    : never;

/** `client.provider`'s type: a registered provider's `id`, else any provider id. */
export type ProviderIdOf<P extends ProviderChoice> = P extends RegisteredProvider<infer Id> ? Id : ProviderId;

/**
 * The provider whose keys a client takes and under which its calls are recorded: the id itself,
 * except for a client of another SDK (`'google-genai'` → `'gemini'`).
 */
export function providerOf(id: SupportedProvider): ProviderId {
  const adapter = (adapters as Readonly<Record<string, { readonly id: ProviderId } | undefined>>)[id];
  return adapter?.id ?? (id as ProviderId);
}

/** The ids `createClient` takes for the built-in clients (before any `registerProvider()`). */
const BUILT_IN_CLIENTS: ReadonlySet<string> = new Set(Object.keys(adapters));

/** Whether `id` is a built-in client id: a provider's, or another SDK's (`'google-genai'`). @internal */
export function isBuiltInClient(id: string): boolean {
  return BUILT_IN_CLIENTS.has(id);
}

/** Whether `value` names a provider `createClient` can build. */
export function isSupportedProvider(value: unknown): value is SupportedProvider {
  return typeof value === 'string' && Object.hasOwn(adapters, value);
}

/** Adds a registered provider's adapter. @internal */
export function addAdapter(adapter: ProviderAdapter<object, unknown, unknown, unknown>): void {
  (adapters as Record<string, unknown>)[adapter.id] = adapter;
}
