/**
 * `createFetch`: keycard's instrumented `fetch` on its own, for HTTP clients keycard does not
 * build (the Vercel AI SDK, LangChain.js, a plain `fetch` call). The same setup as `createClient`
 * (key source, ledger, budgets, telemetry, rotation), without the official SDK.
 * @module
 */
import type { ClientOptions, RefreshResult } from './client.js';
import { hideInternals, messageOptions, setupClient } from './client.js';
import { CredentialError, KeycardError } from './errors.js';
import { findBlocked, rememberBlocked } from './instrument/budget-gate.js';
import { credentialFailure } from './instrument/error-map.js';
import { createInstrumentedFetch } from './instrument/fetch.js';
import type { PoolMemberStatus } from './instrument/key-pool.js';
import type { KeySource } from './keys/types.js';
import { localizeError } from './messages/index.js';
import type { ProviderId } from './providers/ids.js';
import { providerIdFrom } from './providers/register.js';
import {
  adapters,
  type ProviderChoice,
  type ProviderIdOf,
  type SupportedProvider,
} from './providers/registry.js';
import type { HttpHooks } from './providers/types.js';

/**
 * Options of `createFetch`: those of `createClient` but the ones about an SDK keycard would build
 * (`sdk`, `sdkOptions`, `baseURL`, `timeout`, `maxRetries`): give those to your HTTP client.
 */
export type FetchOptions = Omit<ClientOptions, 'sdk' | 'sdkOptions' | 'baseURL' | 'timeout' | 'maxRetries'>;

/**
 * A `fetch` for one provider's API that puts the key on every request (over whatever credential
 * the caller set), meters each answer into the ledger, checks budgets, redacts error bodies and
 * re-reads a rejected key once. Hand it to any HTTP client that takes a `fetch`.
 */
export type KeycardFetch<Id extends string = ProviderId> = typeof globalThis.fetch & {
  /** The provider id. */
  readonly provider: Id;
  /** Where the key comes from, e.g. `env:OPENAI_API_KEY`. */
  readonly source: string;
  /** Masked id of the key in use (changes when a rotated key is picked up). */
  readonly maskedId: string;
  /** Fingerprint of the key in use. */
  readonly fingerprint: string;
  /** Reads the key again from its source now, as `KeycardClient.refresh()`. */
  refresh(): Promise<RefreshResult>;
  /** For a `fetch` made from `keys.pool()`: each member's state, as `KeycardClient.pool()`. */
  pool(): readonly PoolMemberStatus[] | undefined;
  /** Flushes the ledger and ends the `fetch`: later requests through it fail. Idempotent. */
  close(): Promise<void>;
};

/**
 * Creates a `fetch` for `provider` with the key from `keySource`, for the Vercel AI SDK,
 * LangChain.js or any HTTP client that takes a `fetch`: the key is read and its shape checked
 * here, as `createClient` does; each request then gets the key in place of whatever credential
 * it carries (give your client any placeholder, such as `apiKey: 'keycard'`), and is metered,
 * budgeted and redacted as the built-in clients' are.
 *
 * Errors keycard decides (a key the provider rejects, refuses or finds out of quota; a budget
 * that blocks; a pool with no key left) reach your library as an HTTP answer it does not retry
 * (the provider's own 401/403/429, redacted, or a 402 from keycard), so that it throws its own
 * error class: get keycard's error back with `findKeycardError(error)`.
 *
 * Offered for every provider keycard meters over HTTP: OpenAI, Anthropic, Gemini (the
 * Generative Language API's REST wire, as `@ai-sdk/google` and `@google/genai` speak it: the
 * hooks of the `'google-genai'` client, for `'gemini'` too), xAI, Groq, OpenRouter,
 * DeepSeek, Together, Mistral, Slack and Discord. Not Telegram (telegraf takes no `fetch`, and
 * its key is in the URL path): a `KeycardError`.
 *
 * @param provider - `'openai'`, `'anthropic'`, …, or a provider from `registerProvider()`
 * @param keySource - as `createClient`'s: a `KeySource`, a spec string, or nothing for the
 *   provider's default environment variables
 * @throws {CredentialError} when the key is missing, malformed, another provider's, or its source
 *   cannot be read.
 * @throws {KeycardError} when the provider is unknown or has no `fetch`.
 *
 * @example
 * import { createOpenAI } from '@ai-sdk/openai';
 * import { generateText } from 'ai';
 * import { createFetch, keys } from 'keycard';
 * const fetch = await createFetch('openai', keys.env('OPENAI_API_KEY'), { workflow: 'summarize' });
 * const openai = createOpenAI({ apiKey: 'keycard', fetch }); // the placeholder keycard replaces
 * const { text } = await generateText({ model: openai('gpt-4o-mini'), prompt: 'Hello' });
 */
export async function createFetch<P extends ProviderChoice>(
  provider: P,
  keySource?: KeySource | string,
  options: FetchOptions = {},
): Promise<KeycardFetch<ProviderIdOf<P>>> {
  const messages = messageOptions(options);
  try {
    const id = providerIdFrom(provider) as SupportedProvider;
    // biome-ignore lint/complexity/noArguments: an explicit `undefined` differs from no argument
    const count = arguments.length;
    const core = await setupClient(
      'createFetch',
      id,
      keySource,
      options as ClientOptions,
      count,
      (adapter) => {
        const http = httpHooksOf(adapter);
        if (http === undefined) {
          throw new KeycardError(
            `createFetch('${id}'): keycard meters ${id} through its SDK's calls, not over HTTP, so it has no fetch for it. Use createClient('${id}') instead.`,
          );
        }
        return async () => http;
      },
    );
    const { adapter, keys, source } = core;
    const fetch = createInstrumentedFetch({
      adapter,
      http: core.prepared,
      keys,
      recorder: core.recorder,
      baseFetch: options.fetch,
      isClosed: core.isClosed,
      allowPlainHttp: core.allowPlainHttp,
      source,
      markKeyFailure(failure, verdict, secret) {
        const error = localizeError(
          new CredentialError(credentialFailure(adapter.id, failure, verdict, secret, source)),
          messages,
        ) as CredentialError;
        return { 'x-keycard-budget': rememberBlocked(error) };
      },
    });
    // The caller's `fetch(…)` calls the instrumented one; the properties live on a function of
    // keycard's own so that printing it shows only the summary.
    const keycardFetch = ((input: string | URL | Request, init?: RequestInit) =>
      fetch(input, init)) as KeycardFetch<string>;
    // The provider whose keys and ledger rows these are, as a client's (`'gemini'` for
    // `createFetch('google-genai')`).
    const keyProvider = core.keyProvider;
    const summary = () => ({ provider: keyProvider, source, maskedId: keys.current.maskedId });
    Object.defineProperties(keycardFetch, {
      provider: { value: keyProvider, enumerable: true },
      source: { value: source, enumerable: true },
      maskedId: { get: () => keys.current.maskedId, enumerable: true },
      fingerprint: { get: () => keys.current.fingerprint, enumerable: true },
      refresh: { value: core.refresh },
      pool: { value: () => core.pool?.status() },
      close: { value: core.close },
    });
    hideInternals(
      keycardFetch,
      () => ({ ...summary(), fingerprint: keys.current.fingerprint }),
      'KeycardFetch',
    );
    return keycardFetch as unknown as KeycardFetch<ProviderIdOf<P>>;
  } catch (error) {
    throw localizeError(error, messages);
  }
}

/**
 * The fetch hooks for `adapter`'s provider: its own, else those of another client of the same
 * provider (`'gemini'` wraps `@google/generative-ai`, which takes no fetch; `'google-genai'`
 * speaks the same REST API through keycard's fetch).
 */
function httpHooksOf(adapter: { id: string; http?: HttpHooks | undefined }): HttpHooks | undefined {
  if (adapter.http !== undefined) return adapter.http;
  const sibling = Object.values(adapters).find(
    (other) => other.id === adapter.id && (other as { http?: HttpHooks }).http !== undefined,
  ) as { http?: HttpHooks } | undefined;
  return sibling?.http;
}

/**
 * The keycard error behind an error another library threw for a request through a `createFetch`
 * fetch: the `CredentialError` for a key the provider rejected (`unauthorized`), refused
 * (`forbidden`) or found out of quota (`quota_exceeded`), or that keycard refused to send
 * (`insecure_source`, a pool with no key left); the `BudgetExceededError` for a budget that
 * blocked the call. Looks at the error, its `cause` chain and the Vercel AI SDK's
 * `RetryError.lastError`. `undefined` when the failure was something else (a rate limit, a
 * server error, the network). Also finds the error a keycard client's SDK threw. Ask at once:
 * keycard keeps these errors for a minute.
 *
 * @example
 * import { generateText, type LanguageModel } from 'ai';
 * import { findKeycardError, isCredentialError } from 'keycard';
 * async function summarize(model: LanguageModel, text: string) {
 *   try {
 *     return (await generateText({ model, prompt: `Summarize: ${text}` })).text;
 *   } catch (error) {
 *     const problem = findKeycardError(error);
 *     if (isCredentialError(problem)) console.error(problem.reason, problem.hint);
 *     throw error;
 *   }
 * }
 */
export function findKeycardError(error: unknown): KeycardError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    if (KeycardError.is(current)) return current;
    const fields = current as { cause?: unknown; lastError?: unknown };
    current = fields.cause ?? fields.lastError;
  }
  return findBlocked(error);
}
