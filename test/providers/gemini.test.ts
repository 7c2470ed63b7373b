/**
 * The Gemini adapter, end to end: the real `@google/generative-ai` through keycard against the
 * simulator over HTTP. This SDK has no fetch option and reads the key from every model and chat
 * object, so calls are metered per method, and every object it hands out is checked for the key.
 * The classification rules are also checked on Google's answers the simulator does not give.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
} from '@google/generative-ai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError, isKeycardError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { GEMINI_KEY_PLACEHOLDER } from '../../src/providers/gemini.js';
import { classifyGemini, geminiFailure, geminiUsage } from '../../src/providers/gemini-usage.js';
import { registerSecret } from '../../src/redact/registry.js';
import { CACHED_CONTENT_TOKENS } from '../../src/testing/gemini.js';
import { safeJson } from '../helpers/capture.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection, rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'gemini'>;
beforeEach(async () => {
  fixture = await clientFixture('gemini');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const prompt = 'Translate the following support ticket into French, keeping the tone. '.repeat(6);

/** Every printable form of a value, errors with their causes, getters read, custom forms ignored too. */
function printed(value: unknown): string {
  const parts = [
    inspect(value, { depth: 20, showHidden: true }),
    inspect(value, { depth: 20, showHidden: true, customInspect: false, getters: true }),
    safeJson(value),
  ];
  if (typeof value === 'object' && value !== null) parts.push(safeJson({ ...value }));
  let current: unknown = value;
  while (current instanceof Error) {
    parts.push(current.message, String(current.stack));
    current = current.cause;
  }
  return parts.join('\n');
}

/** Lets the ledger record streams, which are recorded when their `response` resolves. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

async function fileSource(key: string) {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-gemini-')), 'key');
  await writeFile(path, key);
  await chmod(path, 0o600);
  return { path, source: keys.file(path) };
}

describe('usage', () => {
  it('records generateContent with prompt, cached, output and thinking tokens', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-pro' });
    const result = await model.generateContent(prompt);
    const metadata = result.response.usageMetadata as unknown as Record<string, number>;
    const [event] = await fixture.events();
    expect(event).toMatchObject({
      provider: 'gemini',
      operation: 'generateContent',
      model: 'gemini-2.5-pro',
      inputTokens: metadata['promptTokenCount'],
      cachedInputTokens: metadata['cachedContentTokenCount'],
      outputTokens: (metadata['candidatesTokenCount'] ?? 0) + (metadata['thoughtsTokenCount'] ?? 0),
      reasoningTokens: metadata['thoughtsTokenCount'],
      status: 200,
      stream: false,
      outcome: 'ok',
    });
    expect(event?.cachedInputTokens).toBeGreaterThan(0);
    expect(event?.reasoningTokens).toBeGreaterThan(0);
  });

  it('records a stream when its response resolves, even when its chunks are never read', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const streamed = await model.generateContentStream('Stream a short answer');
    let text = '';
    for await (const chunk of streamed.stream) text += chunk.text();
    expect(text).toMatch(/^Simulated reply/);
    await streamed.response;
    const unread = await model.generateContentStream('Nobody reads this one');
    await unread.response;
    await settle();
    const events = await fixture.events();
    expect(events.map((event) => [event.operation, event.stream, event.outcome])).toEqual([
      ['generateContentStream', true, 'ok'],
      ['generateContentStream', true, 'ok'],
    ]);
    const served = fixture.simulator.tally().total;
    expect(events.reduce((sum, event) => sum + (event.outputTokens ?? 0), 0)).toBe(served.outputTokens);
    expect(events.reduce((sum, event) => sum + (event.reasoningTokens ?? 0), 0)).toBe(served.reasoningTokens);
  });

  it('meters every call style, and the ledger totals equal what the simulator served', async () => {
    const sdk = fixture.client.sdk;
    const model = sdk.getGenerativeModel({ model: 'gemini-2.5-flash', systemInstruction: 'Be brief.' });
    await model.generateContent(prompt);
    const streamed = await model.generateContentStream('Stream this');
    for await (const _chunk of streamed.stream) {
      // drain
    }
    const chat = model.startChat({ history: [{ role: 'user', parts: [{ text: 'Earlier' }] }] });
    await chat.sendMessage('Hello there');
    const chatStream = await chat.sendMessageStream('And again');
    await chatStream.response;
    await model.countTokens(prompt);
    const embedder = sdk.getGenerativeModel({ model: 'text-embedding-004' });
    expect((await embedder.embedContent('hello')).embedding.values).toHaveLength(768);
    await embedder.batchEmbedContents({ requests: [{ content: { role: 'user', parts: [{ text: 'a' }] } }] });
    const cached = sdk.getGenerativeModelFromCachedContent({
      name: 'cachedContents/abc123',
      contents: [],
      model: 'models/gemini-2.0-flash',
    });
    await cached.generateContent('From the cache');
    await settle();

    const events = await fixture.events();
    expect(events.map((event) => [event.operation, event.model])).toEqual([
      ['generateContent', 'gemini-2.5-flash'],
      ['generateContentStream', 'gemini-2.5-flash'],
      ['chat.sendMessage', 'gemini-2.5-flash'],
      ['chat.sendMessageStream', 'gemini-2.5-flash'],
      ['countTokens', 'gemini-2.5-flash'],
      ['embedContent', 'text-embedding-004'],
      ['batchEmbedContents', 'text-embedding-004'],
      ['generateContent', 'gemini-2.0-flash'],
    ]);
    expect(events.every((event) => event.outcome === 'ok')).toBe(true);
    expect(events.at(-1)?.cachedInputTokens).toBeGreaterThanOrEqual(CACHED_CONTENT_TOKENS);

    const served = fixture.simulator.tally();
    const byModel = await fixture.ledger.totals({ by: ['model'] });
    for (const row of byModel) {
      const model = (row as { model?: string }).model ?? '';
      expect(row).toMatchObject({
        requests: served.byModel[model]?.requests,
        inputTokens: served.byModel[model]?.inputTokens,
        outputTokens: served.byModel[model]?.outputTokens,
      });
    }
    const [totals] = await fixture.ledger.totals();
    expect(totals).toMatchObject({
      requests: served.total.requests,
      inputTokens: served.total.inputTokens,
      cachedInputTokens: served.total.cachedInputTokens,
      outputTokens: served.total.outputTokens,
      reasoningTokens: served.total.reasoningTokens,
    });
  });

  it('reads usageMetadata in keycard terms: thinking and tool prompts billed, missing fields null', () => {
    expect(
      geminiUsage(
        {
          promptTokenCount: 100,
          toolUsePromptTokenCount: 20,
          cachedContentTokenCount: 40,
          candidatesTokenCount: 10,
          thoughtsTokenCount: 30,
          totalTokenCount: 160,
        },
        'models/gemini-2.5-pro',
      ),
    ).toEqual({
      model: 'gemini-2.5-pro',
      inputTokens: 120,
      cachedInputTokens: 40,
      cacheWriteTokens: null,
      outputTokens: 40,
      reasoningTokens: 30,
    });
    expect(geminiUsage(undefined, 'tunedModels/mine')).toEqual({
      model: 'mine',
      inputTokens: null,
      cachedInputTokens: null,
      cacheWriteTokens: null,
      outputTokens: null,
      reasoningTokens: null,
    });
  });
});

describe('requests', () => {
  it('sends every model to createClient’s baseURL, whatever baseUrl the caller passes', async () => {
    const sdk = fixture.client.sdk;
    const model = sdk.getGenerativeModel({ model: 'gemini-2.0-flash' }, { baseUrl: 'http://127.0.0.1:9' });
    await model.generateContent('hi', { baseUrl: 'http://127.0.0.1:9' });
    await model.startChat().sendMessage('hi', { baseUrl: 'http://127.0.0.1:9' });
    expect(fixture.simulator.requests.map((request) => request.status)).toEqual([200, 200]);
  });

  it('keeps the caller’s apiVersion, and takes a version at the end of baseURL as the default', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.0-flash' }, { apiVersion: 'v1' });
    await model.generateContent('hi');
    const versioned = await createClient('gemini', keys.literal(fixture.key), {
      baseURL: `${fixture.simulator.baseURL('gemini')}/v1alpha/`,
      ledger: false,
    });
    await versioned.sdk.getGenerativeModel({ model: 'gemini-2.0-flash' }).countTokens('hi');
    expect(fixture.simulator.requests.map((request) => request.path)).toEqual([
      '/gemini/v1/models/gemini-2.0-flash:generateContent',
      '/gemini/v1alpha/models/gemini-2.0-flash:countTokens',
    ]);
  });

  it('ends a call after createClient’s timeout without leaving a timer behind; a caller’s signal still works', async () => {
    const slow = await clientFixture('gemini', { client: { timeout: 150 } });
    try {
      const model = slow.client.sdk.getGenerativeModel({ model: 'gemini-2.0-flash' });
      // The SDK's own `timeout` would call setTimeout(abort, 150) and never clear it; keycard's
      // timer is cleared as the call ends.
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
      const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
      try {
        await model.generateContent('fast');
        const timers = setTimeoutSpy.mock.calls.flatMap((args, index) =>
          args[1] === 150 ? [setTimeoutSpy.mock.results[index]?.value] : [],
        );
        expect(timers).toHaveLength(1);
        const cleared = new Set(clearTimeoutSpy.mock.calls.map((args) => args[0]));
        expect(timers.filter((timer) => !cleared.has(timer))).toEqual([]);
      } finally {
        setTimeoutSpy.mockRestore();
        clearTimeoutSpy.mockRestore();
      }

      slow.simulator.failNext('hang');
      const started = performance.now();
      const error = await rejection(model.generateContent('slow'));
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error).toBeInstanceOf(GoogleGenerativeAIAbortError);
      expect(isCredentialError(error)).toBe(false);

      slow.simulator.failNext('hang');
      const controller = new AbortController();
      const aborted = rejection(model.startChat().sendMessage('hi', { signal: controller.signal }));
      setTimeout(() => controller.abort(), 20);
      expect(await aborted).toBeInstanceOf(GoogleGenerativeAIAbortError);
      expect((await slow.events()).map((event) => event.outcome)).toEqual(['ok', 'error', 'error']);
    } finally {
      await slow.close();
    }
  });

  it('refuses a timeout that is not a duration when the client is created', async () => {
    const error = await rejection(
      createClient('gemini', keys.literal(fixture.key), { timeout: -1, ledger: false }),
    );
    expect(isKeycardError(error)).toBe(true);
    expect((error as Error).message).toMatch(/timeout must be a number of milliseconds/);
  });
});

describe('failures', () => {
  it('maps HTTP 400 API_KEY_INVALID to unauthorized, and never shows the key the server echoed', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const error = await credentialRejection(model.generateContent('hi'));
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'gemini', status: 400 });
    expect(error.message).toContain('API_KEY_INVALID');
    expect(error.hint).toContain('aistudio.google.com');
    // The simulator quoted the key, as Google does; the SDK copied it into its message.
    expect((error.cause as Error).message).toContain('Invalid API key: [REDACTED gemini');
    expect(printed(error).includes(fixture.key)).toBe(false);

    const streamError = await credentialRejection(model.generateContentStream('hi'));
    const chatError = await credentialRejection(model.startChat().sendMessage('hi'));
    for (const other of [streamError, chatError]) {
      expect(other.reason).toBe('unauthorized');
      expect(printed(other).includes(fixture.key)).toBe(false);
    }
    expect((await fixture.events()).map((event) => event.outcome)).toEqual([
      'unauthorized',
      'unauthorized',
      'unauthorized',
    ]);
  });

  it('maps 403 to forbidden and a daily quota to quota_exceeded', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    fixture.simulator.failNext('forbidden');
    expect(await credentialRejection(model.generateContent('hi'))).toMatchObject({
      reason: 'forbidden',
      status: 403,
      message: expect.stringContaining('SERVICE_DISABLED'),
    });
    fixture.simulator.failNext('quota');
    const quota = await credentialRejection(model.startChat().sendMessageStream('hi'));
    expect(quota).toMatchObject({ reason: 'quota_exceeded', status: 429 });
    expect(quota.message).toContain('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    expect(quota.hint).toMatch(/daily/);
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['forbidden', 'quota_exceeded']);
  });

  it('keeps the SDK error for a per-minute rate limit, a server error and a broken answer', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    fixture.simulator.failNext('rate_limit');
    const limited = await rejection(model.generateContent('hi'));
    expect(isCredentialError(limited)).toBe(false);
    expect(limited).toMatchObject({ status: 429 });
    expect((limited as Error).message).toContain('RetryInfo');
    fixture.simulator.failNext('server_error');
    expect(await rejection(model.embedContent('hi'))).toMatchObject({ status: 500 });
    fixture.simulator.failNext('bad_json');
    expect(isCredentialError(await rejection(model.generateContent('hi')))).toBe(false);
    fixture.simulator.failNext('bad_json');
    const broken = await model.generateContentStream('hi');
    await rejection(broken.response);
    await settle();
    expect((await fixture.events()).map((event) => event.outcome)).toEqual([
      'rate_limited',
      'error',
      'error',
      'error',
    ]);
  });

  it('redacts what a stream raises after it started: its chunks and its response', async () => {
    // The simulator's cut stream line stands in for server text that holds a secret.
    const secretText = '{"candidates":[{"content":{"par';
    registerSecret(secretText, '[REDACTED stream-text]');
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    fixture.simulator.failNext('bad_json');
    const streamed = await model.generateContentStream('hi');
    const fromResponse = (await rejection(streamed.response)) as Error;
    const fromChunks = (await rejection(
      (async () => {
        for await (const _chunk of streamed.stream) {
          // read until it fails
        }
      })(),
    )) as Error;
    for (const error of [fromResponse, fromChunks]) {
      expect(error).toBeInstanceOf(GoogleGenerativeAIError);
      expect(error.message).toContain('[REDACTED stream-text]');
      expect(printed(error).includes(secretText)).toBe(false);
    }
  });

  it('finds missing, malformed and wrong_provider keys before any request, from either env var', async () => {
    vi.stubEnv('GEMINI_API_KEY', undefined);
    vi.stubEnv('GOOGLE_API_KEY', undefined);
    expect(await rejection(createClient('gemini'))).toMatchObject({ reason: 'missing' });
    vi.stubEnv('GOOGLE_API_KEY', fixture.key);
    const fromGoogle = await createClient('gemini', undefined, { ledger: false });
    expect(fromGoogle).toMatchObject({
      source: 'env:GEMINI_API_KEY|GOOGLE_API_KEY',
      maskedId: fixture.client.maskedId,
    });
    // GEMINI_API_KEY comes first when both are set.
    vi.stubEnv('GEMINI_API_KEY', testKey('gemini', 'env-first'));
    const fromGemini = await createClient('gemini', undefined, { ledger: false });
    expect(fromGemini.maskedId).not.toBe(fixture.client.maskedId);
    expect(await rejection(createClient('gemini', keys.literal(testKey('slack', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    expect(await rejection(createClient('gemini', keys.literal(`${fixture.key}xyz`)))).toMatchObject({
      reason: 'malformed',
    });
    expect(fixture.simulator.requests).toHaveLength(0);
  });

  it('picks up a rotated key, for models and chats obtained before the rotation', async () => {
    const oldKey = testKey('gemini', 'rotation-old');
    const newKey = testKey('gemini', 'rotation-new');
    const { path, source } = await fileSource(oldKey);
    const rotating = await clientFixture('gemini', { key: oldKey, source });
    try {
      const model = rotating.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
      const chat = model.startChat();
      await chat.sendMessage('before rotation');
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      expect((await model.generateContent('after rotation')).response.text()).toMatch(/^Simulated reply/);
      await chat.sendMessage('chat after rotation');
      expect((await chat.getHistory()).length).toBe(4);
      expect(rotating.client.maskedId).not.toBe(fixture.client.maskedId);
      const events = await rotating.events();
      expect(events.map((event) => event.outcome)).toEqual(['ok', 'unauthorized', 'ok', 'ok']);
      expect(new Set(events.slice(2).map((event) => event.keyFingerprint)).size).toBe(1);
      expect(events[2]?.keyFingerprint).not.toBe(events[0]?.keyFingerprint);
      expect(model.apiKey).toBe(GEMINI_KEY_PLACEHOLDER);
    } finally {
      await rotating.close();
    }
  });

  it('reports a key the source still holds as unauthorized after one retry', async () => {
    const { source } = await fileSource(fixture.key);
    const stale = await clientFixture('gemini', { key: fixture.key, source });
    try {
      stale.simulator.revokeKey(fixture.key);
      const model = stale.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
      expect(await credentialRejection(model.countTokens('hi'))).toMatchObject({ reason: 'unauthorized' });
      expect(stale.simulator.requests).toHaveLength(1);
    } finally {
      await stale.close();
    }
  });
});

describe('classification of Google’s answers', () => {
  const classify = (status: number, message: string, details?: unknown[]) =>
    classifyGemini(geminiFailure(status, `[GoogleGenerativeAI Error]: … [${status}] ${message}`, details));
  const info = (reason: string) => ({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason });
  const quota = (quotaId: string, quotaValue = '10') => ({
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [{ quotaMetric: 'generativelanguage.googleapis.com/x', quotaId, quotaValue }],
  });
  const exceeded =
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';

  it('unauthorized: invalid, expired, leaked keys and 401', () => {
    expect(
      classify(400, 'API key not valid. Please pass a valid API key.', [info('API_KEY_INVALID')]).reason,
    ).toBe('unauthorized');
    expect(
      classify(400, 'API key expired. Please renew the API key.', [info('API_KEY_EXPIRED')]).reason,
    ).toBe('unauthorized');
    expect(classify(400, 'API key not valid. Please pass a valid API key.').reason).toBe('unauthorized');
    expect(classify(401, 'Request had invalid authentication credentials.').reason).toBe('unauthorized');
    const leaked = classify(403, 'Your API key was reported as leaked. Please use another API key.');
    expect(leaked).toMatchObject({ reason: 'unauthorized', hint: expect.stringMatching(/leaked/) });
  });

  it('quota_exceeded: daily or longer quotas, a limit of 0, billing', () => {
    expect(
      classify(429, exceeded, [quota('GenerateRequestsPerDayPerProjectPerModel-FreeTier')]),
    ).toMatchObject({
      outcome: 'quota_exceeded',
      reason: 'quota_exceeded',
    });
    expect(
      classify(429, exceeded, [quota('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '0')]),
    ).toMatchObject({ reason: 'quota_exceeded', hint: expect.stringMatching(/no quota at all/) });
    expect(
      classify(
        429,
        `${exceeded}\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro`,
      ).reason,
    ).toBe('quota_exceeded');
    expect(
      classify(429, "Quota exceeded for quota metric 'Generate Content API requests per day'").reason,
    ).toBe('quota_exceeded');
    expect(
      classify(403, 'This API method requires billing to be enabled.', [info('BILLING_DISABLED')]),
    ).toMatchObject({ reason: 'quota_exceeded', hint: expect.stringMatching(/billing/) });
    expect(
      classify(
        400,
        'Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.',
      ).reason,
    ).toBe('quota_exceeded');
    expect(classify(429, 'Your prepayment credits are depleted.').reason).toBe('quota_exceeded');
  });

  it('forbidden: every other 403, with a hint for restricted keys and suspended projects', () => {
    expect(classify(403, 'The caller does not have permission').reason).toBe('forbidden');
    expect(
      classify(403, 'Requests to this API … are blocked.', [info('API_KEY_SERVICE_BLOCKED')]),
    ).toMatchObject({
      reason: 'forbidden',
      hint: expect.stringMatching(/restrictions/),
    });
    expect(
      classify(403, 'Permission denied: Consumer has been suspended.', [info('CONSUMER_SUSPENDED')]),
    ).toMatchObject({ reason: 'forbidden', hint: expect.stringMatching(/suspended/) });
  });

  it('not about the key: per-minute limits, server errors, other client errors', () => {
    const perMinute = classify(429, exceeded, [
      quota('GenerateContentInputTokensPerModelPerMinute-FreeTier'),
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
    ]);
    expect(perMinute).toEqual({ outcome: 'rate_limited' });
    expect(classify(429, 'Resource has been exhausted (e.g. check quota).')).toEqual({
      outcome: 'rate_limited',
    });
    expect(classify(503, 'The model is overloaded. Please try again later.')).toEqual({ outcome: 'error' });
    expect(classify(400, 'User location is not supported for the API use.')).toEqual({ outcome: 'error' });
    expect(classify(404, 'models/gemini-0 is not found for API version v1beta')).toEqual({
      outcome: 'error',
    });
  });
});

describe('objects and verify()', () => {
  it('keeps the key off the SDK, its models and its chats: inspect, JSON, spreads and getters show none', async () => {
    const sdk = fixture.client.sdk;
    const model = sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const chat = model.startChat();
    await chat.sendMessage('hi');
    const cached = sdk.getGenerativeModelFromCachedContent({
      name: 'cachedContents/x',
      contents: [],
      model: 'gemini-2.0-flash',
    });
    expect(sdk).toBeInstanceOf(GoogleGenerativeAI);
    for (const value of [fixture.client, sdk, model, chat, cached]) {
      expect(printed(value).includes(fixture.key)).toBe(false);
    }
    expect(inspect(model)).toBe("GenerativeModel { model: 'gemini-2.5-flash' }");
    expect(inspect(chat)).toBe("ChatSession { model: 'gemini-2.5-flash' }");
    expect(JSON.stringify(model)).toBe('{"model":"gemini-2.5-flash"}');
    expect([sdk.apiKey, model.apiKey, cached.apiKey]).toEqual([
      GEMINI_KEY_PLACEHOLDER,
      GEMINI_KEY_PLACEHOLDER,
      GEMINI_KEY_PLACEHOLDER,
    ]);
    expect(() => {
      model.apiKey = 'another key';
    }).toThrow(/set by keycard/);
  });

  it('lends the key to concurrent calls on one model, only as each starts', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.0-flash' });
    const pending = [1, 2, 3].map((n) => model.generateContent(`call ${n}`));
    // A model reads the key as a call starts: it is not on the object while the calls run.
    expect(model.apiKey).toBe(GEMINI_KEY_PLACEHOLDER);
    const results = await Promise.all(pending);
    expect(results.map((result) => result.response.text())).toEqual([
      'Simulated reply: call 1',
      'Simulated reply: call 2',
      'Simulated reply: call 3',
    ]);
    expect(fixture.simulator.requests.every((request) => request.keyAccepted)).toBe(true);
    expect(model.apiKey).toBe(GEMINI_KEY_PLACEHOLDER);
  });

  it('verifies with a free token count', async () => {
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'gemini',
      maskedId: fixture.client.maskedId,
      identity: { model: 'gemini-2.5-flash', countedTokens: expect.any(Number) },
    });
    expect((await fixture.events())[0]?.operation).toBe('countTokens');
    fixture.simulator.revokeKey(fixture.key);
    expect(await credentialRejection(fixture.client.verify())).toMatchObject({ reason: 'unauthorized' });
  });
});
