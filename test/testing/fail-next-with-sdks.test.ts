/**
 * `failNext()` does what its name says with every real SDK at its default retries: a key answer
 * (`quota`, `unauthorized`, `forbidden`) reaches the caller from the first request, because no SDK
 * retries what keycard marks as unfixable; a transient fault (`rate_limit`, `server_error`) takes
 * one request per `times`, and the SDKs that retry count their retries as requests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCredentialError } from '../../src/errors.js';
import type { SdkFor, SupportedProvider } from '../../src/providers/registry.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { rejection } from '../helpers/rejections.js';

type AnyFixture = ClientFixture<SupportedProvider>;

const messages = [{ role: 'user' as const, content: 'hi' }];

/** One cheap call per provider, through the SDK keycard hands out. */
const CALLS: { [P in SupportedProvider]: (sdk: SdkFor<P>) => Promise<unknown> } = {
  openai: (sdk) => sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
  xai: (sdk) => sdk.chat.completions.create({ model: 'grok-3-mini', messages }),
  groq: (sdk) => sdk.chat.completions.create({ model: 'llama-3.1-8b-instant', messages }),
  openrouter: (sdk) => sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages }),
  deepseek: (sdk) => sdk.chat.completions.create({ model: 'deepseek-chat', messages }),
  together: (sdk) =>
    sdk.chat.completions.create({ model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages }),
  mistral: (sdk) => sdk.chat.completions.create({ model: 'mistral-small-latest', messages }),
  anthropic: (sdk) => sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages }),
  gemini: (sdk) => sdk.getGenerativeModel({ model: 'gemini-2.5-flash' }).generateContent('hi'),
  'google-genai': (sdk) => sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }),
  slack: (sdk) => sdk.auth.test(),
  telegram: (sdk) => sdk.getMe(),
  discord: (sdk) => sdk.get('/users/@me'),
};

let fixture: AnyFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** A client with the SDK's default retries (the shared fixture turns them off). */
async function defaultRetries(provider: SupportedProvider): Promise<AnyFixture> {
  fixture = (await clientFixture(provider, { client: { maxRetries: undefined } })) as AnyFixture;
  return fixture;
}

const call = (provider: SupportedProvider, current: AnyFixture) =>
  (CALLS[provider] as (sdk: unknown) => Promise<unknown>)(current.client.sdk);

const requestsSeen = (current: AnyFixture) => {
  const total = current.simulator.tally().total;
  return total.requests + total.unanswered;
};

describe.each(['openai', 'xai', 'anthropic', 'gemini', 'google-genai'] as const)(
  '%s at default retries',
  (provider) => {
    it("failNext('quota') is a quota_exceeded CredentialError from the first and only request", async () => {
      const current = await defaultRetries(provider);
      current.simulator.failNext('quota');
      const started = performance.now();
      const error = await rejection(call(provider, current));
      const elapsed = performance.now() - started;
      expect(isCredentialError(error) && error.reason).toBe('quota_exceeded');
      expect(requestsSeen(current)).toBe(1);
      // The SDKs' first retry waits at least half a second; no retry, no wait. A generous bound.
      expect(elapsed).toBeLessThan(2_000);
      // The next call is served: the fault was used up by that one request.
      await expect(call(provider, current)).resolves.toBeDefined();
      expect(requestsSeen(current)).toBe(2);
    });

    it("failNext('unauthorized') and failNext('forbidden') are answered by one request each", async () => {
      const current = await defaultRetries(provider);
      current.simulator.failNext('unauthorized');
      const unauthorized = await rejection(call(provider, current));
      expect(isCredentialError(unauthorized) && unauthorized.reason).toBe('unauthorized');
      current.simulator.failNext('forbidden');
      const forbidden = await rejection(call(provider, current));
      expect(isCredentialError(forbidden) && forbidden.reason).toBe('forbidden');
      expect(requestsSeen(current)).toBe(2);
    });
  },
);

describe.each(['openai', 'anthropic', 'slack'] as const)(
  '%s: transient faults count requests',
  (provider) => {
    it('a rate limit once is retried away; times: 3 outlasts the 2 default retries', async () => {
      const current = await defaultRetries(provider);
      current.simulator.failNext('rate_limit');
      await expect(call(provider, current)).resolves.toBeDefined();
      expect(requestsSeen(current)).toBe(2);

      current.simulator.reset();
      current.simulator.failNext('rate_limit', { times: 3 });
      const error = await rejection(call(provider, current));
      expect(isCredentialError(error)).toBe(false);
      expect(requestsSeen(current)).toBe(3);
      expect(current.simulator.tally().total.errors).toEqual({ 429: 3 });
    });
  },
);

describe.each(['gemini', 'google-genai', 'telegram'] as const)('%s makes no retries', (provider) => {
  it('one rate_limit fault is one failed call', async () => {
    const current = await defaultRetries(provider);
    current.simulator.failNext('rate_limit');
    const error = await rejection(call(provider, current));
    expect((error as { status?: unknown }).status ?? (error as { code?: unknown }).code).toBeDefined();
    expect(requestsSeen(current)).toBe(1);
  });
});
