/**
 * The Vercel AI SDK (`ai` 5 with `@ai-sdk/openai` 2 and `@ai-sdk/anthropic` 2) through
 * `createFetch`, against the simulator over HTTP: usage in the ledger equals the simulator's
 * tally and costs what the built-in client's same call costs; a rejected key, a budget and a
 * rotation; no key in anything printed.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, embed, generateText, RetryError, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { isCredentialError } from '../../src/errors.js';
import { findKeycardError } from '../../src/fetch.js';
import type { KeySource } from '../../src/keys/types.js';
import { BudgetExceededError } from '../../src/ledger/budget.js';
import { Secret } from '../../src/secret.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';
import {
  builtInClient,
  expectLedgerMatchesSimulator,
  expectNoKey,
  type FetchFixture,
  fetchFixture,
  readEvents,
} from './helpers.js';

const prompt = 'Say hello.';

describe('the Vercel AI SDK with createFetch', () => {
  it('meters OpenAI generateText, streamText and embed as the simulator served them', async () => {
    const fixture = await fetchFixture('openai', { fetch: { workflow: 'vercel' } });
    try {
      const openai = createOpenAI({ apiKey: 'keycard', baseURL: fixture.baseURL, fetch: fixture.fetch });
      const generated = await generateText({ model: openai('gpt-4o-mini'), prompt, maxRetries: 0 });
      expect(generated.text.length).toBeGreaterThan(0);
      const chat = await generateText({ model: openai.chat('gpt-4o-mini'), prompt, maxRetries: 0 });
      expect(chat.usage.inputTokens).toBeGreaterThan(0);
      const streamed = streamText({ model: openai('gpt-4o-mini'), prompt, maxRetries: 0 });
      let text = '';
      for await (const part of streamed.textStream) text += part;
      expect(text.length).toBeGreaterThan(0);
      const streamedChat = streamText({ model: openai.chat('gpt-4o-mini'), prompt, maxRetries: 0 });
      for await (const _ of streamedChat.textStream);
      const embedded = await embed({
        model: openai.textEmbeddingModel('text-embedding-3-small'),
        value: 'hello',
        maxRetries: 0,
      });
      expect(embedded.embedding.length).toBeGreaterThan(0);

      const events = await fixture.events();
      expect(events.map((event) => [event.operation, event.stream, event.outcome])).toEqual([
        ['responses', false, 'ok'],
        ['chat.completions', false, 'ok'],
        ['responses', true, 'ok'],
        ['chat.completions', true, 'ok'],
        ['embeddings', false, 'ok'],
      ]);
      expect(events.every((event) => event.workflow === 'vercel')).toBe(true);
      expect(events.every((event) => event.costUsd !== null && event.costUsd > 0)).toBe(true);
      expectLedgerMatchesSimulator(events, fixture, 'openai');
      expect(
        fixture.simulator.requests.every((request) => request.keyFingerprint === fixture.fetch.fingerprint),
      ).toBe(true);
      expectNoKey(fixture, generated.request, generated.response, embedded);
    } finally {
      await fixture.close();
    }
  });

  it('costs what the built-in client costs for the same call', async () => {
    const fixture = await fetchFixture('openai');
    const builtIn = await builtInClient(fixture, 'openai');
    try {
      const openai = createOpenAI({ apiKey: 'keycard', baseURL: fixture.baseURL, fetch: fixture.fetch });
      await generateText({ model: openai.chat('gpt-4o-mini'), prompt, maxRetries: 0 });
      const sdk = builtIn.client.sdk as import('openai').OpenAI;
      await sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: prompt }],
      });
      const [viaFetch] = await fixture.events();
      const [viaClient] = await readEvents(builtIn.ledger);
      expect(viaFetch?.costUsd).toBeGreaterThan(0);
      expect(viaFetch?.costUsd).toBe(viaClient?.costUsd);
      expect(viaFetch?.inputTokens).toBe(viaClient?.inputTokens);
      expect(viaFetch?.outputTokens).toBe(viaClient?.outputTokens);
      expect(viaFetch?.pricing).toBe(viaClient?.pricing);
    } finally {
      await builtIn.client.close();
      await fixture.close();
    }
  });

  it('meters Anthropic generateText and streamText', async () => {
    const fixture = await fetchFixture('anthropic');
    try {
      const anthropic = createAnthropic({
        apiKey: 'keycard',
        baseURL: `${fixture.baseURL}/v1`,
        fetch: fixture.fetch,
      });
      const generated = await generateText({ model: anthropic('claude-sonnet-4-5'), prompt, maxRetries: 0 });
      expect(generated.text.length).toBeGreaterThan(0);
      const streamed = streamText({ model: anthropic('claude-sonnet-4-5'), prompt, maxRetries: 0 });
      for await (const _ of streamed.textStream);
      const events = await fixture.events();
      expect(events.map((event) => [event.operation, event.stream, event.outcome])).toEqual([
        ['messages', false, 'ok'],
        ['messages', true, 'ok'],
      ]);
      expect(events.every((event) => event.costUsd !== null && event.costUsd > 0)).toBe(true);
      expectLedgerMatchesSimulator(events, fixture, 'anthropic');
      expectNoKey(fixture, generated.request, generated.response);
    } finally {
      await fixture.close();
    }
  });

  it('meters Google (Gemini) generateText and streamText, at the built-in cost', async () => {
    const fixture = await fetchFixture('gemini');
    const builtIn = await builtInClient(fixture, 'gemini');
    try {
      const google = createGoogleGenerativeAI({
        apiKey: 'keycard',
        baseURL: `${fixture.baseURL}/v1beta`,
        fetch: fixture.fetch,
      });
      const generated = await generateText({ model: google('gemini-2.5-flash'), prompt, maxRetries: 0 });
      expect(generated.text.length).toBeGreaterThan(0);
      const streamed = streamText({ model: google('gemini-2.5-flash'), prompt, maxRetries: 0 });
      for await (const _ of streamed.textStream);
      const events = await fixture.events();
      expect(events.map((event) => [event.operation, event.model, event.stream, event.outcome])).toEqual([
        ['generateContent', 'gemini-2.5-flash', false, 'ok'],
        ['generateContentStream', 'gemini-2.5-flash', true, 'ok'],
      ]);
      expect(events.every((event) => event.costUsd !== null && event.costUsd > 0)).toBe(true);
      expectLedgerMatchesSimulator(events, fixture, 'gemini');
      // The key keycard put in x-goog-api-key over the AI SDK's placeholder.
      expect(
        fixture.simulator.requests.map((request) => [request.keyAccepted, request.keyFingerprint]),
      ).toEqual([
        [true, fixture.fetch.fingerprint],
        [true, fixture.fetch.fingerprint],
      ]);
      expectNoKey(fixture, generated.request, generated.response);

      const sdk = builtIn.client.sdk as import('@google/generative-ai').GoogleGenerativeAI;
      await sdk.getGenerativeModel({ model: 'gemini-2.5-flash' }).generateContent(prompt);
      const [viaClient] = await readEvents(builtIn.ledger);
      expect(events[0]?.inputTokens).toBe(viaClient?.inputTokens);
      expect(events[0]?.costUsd).toBe(viaClient?.costUsd);
    } finally {
      await builtIn.client.close();
      await fixture.close();
    }
  });

  it("a revoked key fails as the SDK's APICallError, not retried, with keycard's CredentialError behind it", async () => {
    const models = {
      openai: (fixture: FetchFixture) =>
        createOpenAI({ apiKey: 'keycard', baseURL: fixture.baseURL, fetch: fixture.fetch })('gpt-4o-mini'),
      anthropic: (fixture: FetchFixture) =>
        createAnthropic({ apiKey: 'keycard', baseURL: `${fixture.baseURL}/v1`, fetch: fixture.fetch })(
          'claude-sonnet-4-5',
        ),
      gemini: (fixture: FetchFixture) =>
        createGoogleGenerativeAI({
          apiKey: 'keycard',
          baseURL: `${fixture.baseURL}/v1beta`,
          fetch: fixture.fetch,
        })('gemini-2.5-flash'),
    };
    for (const provider of ['openai', 'anthropic', 'gemini'] as const) {
      const fixture = await fetchFixture(provider);
      try {
        fixture.simulator.revokeKey(fixture.key);
        // The AI SDK's default of 2 retries: a key problem is not retried.
        const error = await rejection(generateText({ model: models[provider](fixture), prompt }));
        expect(APICallError.isInstance(error)).toBe(true);
        expect((error as APICallError).isRetryable).toBe(false);
        const problem = findKeycardError(error);
        expect(isCredentialError(problem)).toBe(true);
        expect(problem).toMatchObject({ reason: 'unauthorized', provider, maskedId: fixture.fetch.maskedId });
        expect(fixture.simulator.tally().total.requests).toBe(1);
        expectNoKey(fixture, error, problem);
        const [event] = await fixture.events();
        expect(event?.outcome).toBe('unauthorized');
      } finally {
        await fixture.close();
      }
    }
  });

  it('a revoked key in streamText: the error reaches onError and the error part of fullStream', async () => {
    const fixture = await fetchFixture('openai');
    try {
      fixture.simulator.revokeKey(fixture.key);
      const openai = createOpenAI({ apiKey: 'keycard', baseURL: fixture.baseURL, fetch: fixture.fetch });
      const reported: unknown[] = [];
      const result = streamText({
        model: openai('gpt-4o-mini'),
        prompt,
        onError: ({ error }) => {
          reported.push(error);
        },
      });
      const parts: string[] = [];
      for await (const part of result.fullStream) {
        parts.push(part.type);
        if (part.type === 'error')
          expect(findKeycardError(part.error)).toMatchObject({ reason: 'unauthorized' });
      }
      expect(parts).toContain('error');
      expect(reported).toHaveLength(1);
      expect(APICallError.isInstance(reported[0])).toBe(true);
      expect(findKeycardError(reported[0])).toMatchObject({ reason: 'unauthorized', provider: 'openai' });
      expectNoKey(fixture, reported[0]);
    } finally {
      await fixture.close();
    }
  });

  it("OpenAI's out-of-credit 429: the AI SDK retries it as any 429, and keycard's error is behind the RetryError", async () => {
    const fixture = await fetchFixture('openai');
    try {
      fixture.simulator.failNext('quota', { times: Infinity });
      const openai = createOpenAI({ apiKey: 'keycard', baseURL: fixture.baseURL, fetch: fixture.fetch });
      const once = await rejection(generateText({ model: openai('gpt-4o-mini'), prompt, maxRetries: 0 }));
      expect(APICallError.isInstance(once)).toBe(true);
      expect(findKeycardError(once)).toMatchObject({ reason: 'quota_exceeded' });
      const retried = await rejection(generateText({ model: openai('gpt-4o-mini'), prompt, maxRetries: 1 }));
      expect(RetryError.isInstance(retried)).toBe(true);
      expect(findKeycardError(retried)).toMatchObject({ reason: 'quota_exceeded', provider: 'openai' });
      expect(fixture.simulator.tally().total.requests).toBe(3);
    } finally {
      await fixture.close();
    }
  });

  it("keycard's refusal before the call (the key over plain http to another host) is an APICallError, not retried", async () => {
    const fixture = await fetchFixture('openai');
    try {
      const openai = createOpenAI({
        apiKey: 'keycard',
        baseURL: 'http://api.example.invalid/v1',
        fetch: fixture.fetch,
      });
      const error = await rejection(generateText({ model: openai('gpt-4o-mini'), prompt }));
      expect(APICallError.isInstance(error)).toBe(true);
      expect((error as APICallError).statusCode).toBe(402);
      expect(findKeycardError(error)).toMatchObject({ reason: 'insecure_source', provider: 'openai' });
      expectNoKey(fixture, error);
    } finally {
      await fixture.close();
    }
  });

  it('picks up a rotated key after a 401 and replays the request', async () => {
    const oldKey = testKey('openai', 'vercel-old');
    const newKey = testKey('openai', 'vercel-new');
    let value = oldKey;
    const source: KeySource = {
      describe: () => 'custom:rotating',
      resolve: async (options) =>
        new Secret(value, { provider: options?.provider, source: 'custom:rotating' }),
    };
    const fixture = await fetchFixture('openai', { key: oldKey, source });
    try {
      fixture.simulator.addKey(newKey);
      fixture.simulator.revokeKey(oldKey);
      value = newKey;
      const openai = createOpenAI({ apiKey: 'keycard', baseURL: fixture.baseURL, fetch: fixture.fetch });
      const generated = await generateText({ model: openai('gpt-4o-mini'), prompt, maxRetries: 0 });
      expect(generated.text.length).toBeGreaterThan(0);
      expect(fixture.fetch.maskedId).toBe(`sk-proj-****${newKey.slice(-4)}`);
      const events = await fixture.events();
      expect(events.map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
      expectNoKey({ ...fixture, key: newKey }, generated.response);
    } finally {
      await fixture.close();
    }
  });

  it('a budget blocks the call before it is sent, with the BudgetExceededError behind the SDK error', async () => {
    const fixture = await fetchFixture('openai', { fetch: { budget: { requests: 1, period: 'day' } } });
    try {
      const openai = createOpenAI({ apiKey: 'keycard', baseURL: fixture.baseURL, fetch: fixture.fetch });
      await generateText({ model: openai('gpt-4o-mini'), prompt });
      const error = await rejection(generateText({ model: openai('gpt-4o-mini'), prompt }));
      expect(APICallError.isInstance(error)).toBe(true);
      expect(findKeycardError(error)).toBeInstanceOf(BudgetExceededError);
      expect(fixture.simulator.tally().total.requests).toBe(1);
    } finally {
      await fixture.close();
    }
  });
});
