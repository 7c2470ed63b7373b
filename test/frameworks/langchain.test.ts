/**
 * LangChain.js (`@langchain/openai` 0.6 and `@langchain/anthropic` 0.3 on `@langchain/core` 0.3)
 * through `createFetch`, against the simulator over HTTP: `invoke` and `stream` metered as the
 * simulator served them, at the built-in client's cost; a revoked key fails at once (LangChain
 * retries six times what it may retry) with keycard's `CredentialError` behind LangChain's error;
 * a budget; no key in anything printed.
 */
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatOpenAI } from '@langchain/openai';
import { describe, expect, it } from 'vitest';
import { isCredentialError } from '../../src/errors.js';
import { findKeycardError } from '../../src/fetch.js';
import { keys } from '../../src/keys/index.js';
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

function chatOpenAI(fixture: FetchFixture) {
  return new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey: 'keycard',
    configuration: { baseURL: fixture.baseURL, fetch: fixture.fetch },
  });
}

describe('LangChain.js with createFetch', () => {
  it('meters ChatOpenAI invoke and stream as the simulator served them, at the built-in cost', async () => {
    const fixture = await fetchFixture('openai');
    const builtIn = await builtInClient(fixture, 'openai');
    try {
      const model = chatOpenAI(fixture);
      const answer = await model.invoke(prompt);
      expect(String(answer.content).length).toBeGreaterThan(0);
      let streamed = '';
      for await (const chunk of await model.stream(prompt)) streamed += String(chunk.content);
      expect(streamed.length).toBeGreaterThan(0);

      const events = await fixture.events();
      expect(events.map((event) => [event.operation, event.stream, event.outcome])).toEqual([
        ['chat.completions', false, 'ok'],
        ['chat.completions', true, 'ok'],
      ]);
      expectLedgerMatchesSimulator(events, fixture, 'openai');

      const sdk = builtIn.client.sdk as import('openai').OpenAI;
      await sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: prompt }],
      });
      const [viaClient] = await readEvents(builtIn.ledger);
      expect(events[0]?.costUsd).toBeGreaterThan(0);
      expect(events[0]?.costUsd).toBe(viaClient?.costUsd);
      expectNoKey(fixture, answer, model);
    } finally {
      await builtIn.client.close();
      await fixture.close();
    }
  });

  it('with streamUsage off, keycard asks for the usage itself and LangChain sees no usage chunk', async () => {
    const fixture = await fetchFixture('openai');
    try {
      const model = new ChatOpenAI({
        model: 'gpt-4o-mini',
        apiKey: 'keycard',
        streamUsage: false,
        configuration: { baseURL: fixture.baseURL, fetch: fixture.fetch },
      });
      const chunks = [];
      for await (const chunk of await model.stream(prompt)) chunks.push(chunk);
      expect(chunks.every((chunk) => chunk.usage_metadata === undefined)).toBe(true);
      const events = await fixture.events();
      expect(events[0]?.inputTokens).toBeGreaterThan(0);
      expectLedgerMatchesSimulator(events, fixture, 'openai');
    } finally {
      await fixture.close();
    }
  });

  it('meters ChatAnthropic invoke and stream', async () => {
    const fixture = await fetchFixture('anthropic');
    try {
      const model = new ChatAnthropic({
        model: 'claude-sonnet-4-5',
        apiKey: 'keycard',
        anthropicApiUrl: fixture.baseURL,
        clientOptions: { fetch: fixture.fetch },
      });
      const answer = await model.invoke(prompt);
      expect(String(answer.content).length).toBeGreaterThan(0);
      for await (const _ of await model.stream(prompt));
      const events = await fixture.events();
      expect(events.map((event) => [event.operation, event.stream, event.outcome])).toEqual([
        ['messages', false, 'ok'],
        ['messages', true, 'ok'],
      ]);
      expect(events.every((event) => event.costUsd !== null && event.costUsd > 0)).toBe(true);
      expectLedgerMatchesSimulator(events, fixture, 'anthropic');
      expectNoKey(fixture, answer, model);
    } finally {
      await fixture.close();
    }
  });

  it("a revoked key fails at once, with keycard's CredentialError behind LangChain's error", async () => {
    for (const provider of ['openai', 'anthropic'] as const) {
      const fixture = await fetchFixture(provider);
      try {
        fixture.simulator.revokeKey(fixture.key);
        const model =
          provider === 'openai'
            ? chatOpenAI(fixture)
            : new ChatAnthropic({
                model: 'claude-sonnet-4-5',
                apiKey: 'keycard',
                anthropicApiUrl: fixture.baseURL,
                clientOptions: { fetch: fixture.fetch },
              });
        const error = await rejection(model.invoke(prompt));
        expect((error as { status?: number }).status).toBe(401);
        const problem = findKeycardError(error);
        expect(isCredentialError(problem)).toBe(true);
        expect(problem).toMatchObject({ reason: 'unauthorized', provider, maskedId: fixture.fetch.maskedId });
        // LangChain retries up to 6 times what it may retry: not a 401.
        expect(fixture.simulator.tally().total.requests).toBe(1);
        // The same through stream().
        const streamed = await rejection(
          (async () => {
            for await (const _ of await model.stream(prompt));
          })(),
        );
        expect((streamed as { lc_error_code?: string }).lc_error_code).toBe('MODEL_AUTHENTICATION');
        expect(findKeycardError(streamed)).toMatchObject({ reason: 'unauthorized', provider });
        expect(fixture.simulator.tally().total.requests).toBe(2);
        expectNoKey(fixture, error, problem, streamed);
      } finally {
        await fixture.close();
      }
    }
  });

  it('a key pool fails over from an out-of-credit key to the next, and the ledger says which key served', async () => {
    const first = testKey('openai', 'langchain-pool-1');
    const second = testKey('openai', 'langchain-pool-2');
    const fixture = await fetchFixture('openai', {
      key: first,
      source: keys.pool([keys.literal(first), keys.literal(second)]),
    });
    try {
      fixture.simulator.addKey(second);
      fixture.simulator.failNext('quota', { key: first, times: Infinity });
      const answer = await chatOpenAI(fixture).invoke(prompt);
      expect(String(answer.content).length).toBeGreaterThan(0);
      const events = await fixture.events();
      expect(events.map((event) => event.outcome)).toEqual(['quota_exceeded', 'ok']);
      expect(fixture.fetch.pool()?.map((member) => member.state)).toEqual(['exhausted', 'ok']);
      expect(events[1]?.keyFingerprint).toBe(fixture.fetch.pool()?.[1]?.fingerprint);
      expectLedgerMatchesSimulator(events, fixture, 'openai');
    } finally {
      await fixture.close();
    }
  });

  it('picks up a rotated key after a 401 and replays the request', async () => {
    const oldKey = testKey('openai', 'langchain-old');
    const newKey = testKey('openai', 'langchain-new');
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
      const answer = await chatOpenAI(fixture).invoke(prompt);
      expect(String(answer.content).length).toBeGreaterThan(0);
      expect(fixture.fetch.maskedId).toBe(`sk-proj-****${newKey.slice(-4)}`);
      expect((await fixture.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
    } finally {
      await fixture.close();
    }
  });

  it("keycard's refusal before the call (the key over plain http to another host) is not retried", async () => {
    const fixture = await fetchFixture('openai');
    try {
      const model = new ChatOpenAI({
        model: 'gpt-4o-mini',
        apiKey: 'keycard',
        configuration: { baseURL: 'http://api.example.invalid/v1', fetch: fixture.fetch },
      });
      const started = Date.now();
      const error = await rejection(model.invoke(prompt));
      expect(Date.now() - started).toBeLessThan(900);
      expect((error as { status?: number }).status).toBe(402);
      expect(findKeycardError(error)).toMatchObject({ reason: 'insecure_source', provider: 'openai' });
      expectNoKey(fixture, error);
    } finally {
      await fixture.close();
    }
  });

  it('a budget blocks the call, not retried, with the BudgetExceededError behind the error', async () => {
    const fixture = await fetchFixture('openai', { fetch: { budget: { requests: 1, period: 'day' } } });
    try {
      const model = chatOpenAI(fixture);
      await model.invoke(prompt);
      const started = Date.now();
      const error = await rejection(model.invoke(prompt));
      expect(Date.now() - started).toBeLessThan(900);
      expect(findKeycardError(error)).toBeInstanceOf(BudgetExceededError);
      expect(fixture.simulator.tally().total.requests).toBe(1);
    } finally {
      await fixture.close();
    }
  });
});
