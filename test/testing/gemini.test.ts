/**
 * The Gemini simulator, driven by the real `@google/generative-ai` (and raw `fetch` where the SDK
 * would hide the wire), without keycard in between.
 */
import { GoogleGenerativeAI, GoogleGenerativeAIFetchError, type RequestOptions } from '@google/generative-ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintKey, maskKey } from '../../src/secret.js';
import { CACHED_CONTENT_TOKENS, geminiThinks } from '../../src/testing/gemini.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { cachedTokens, countTokens, promptTokens, replyText } from '../../src/testing/tokens.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const key = testKey('gemini', 'simulator-gemini');
const wrongKey = testKey('gemini', 'simulator-gemini-wrong');
let sim: Simulator;
let options: RequestOptions;

beforeAll(async () => {
  sim = await startSimulator({ keys: [key] });
  options = { baseUrl: sim.baseURL('gemini') };
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const sdk = (apiKey = key) => new GoogleGenerativeAI(apiKey);
const modelNamed = (model: string, apiKey = key) => sdk(apiKey).getGenerativeModel({ model }, options);
const question = 'What is the capital of France and why is it famous?';
/** Input tokens of one user message by the shared rules. */
const userPrompt = (text: string) => promptTokens([{ role: 'user', text, images: 0 }]);

/** A raw request to the simulator's Gemini API. */
function call(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  return fetch(`${sim.baseURL('gemini')}${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': key, ...init.headers },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
}

describe('wire', () => {
  it('serves under /gemini; the SDK adds /v1beta/models/<model>:<method> itself', async () => {
    expect(sim.baseURL('gemini')).toBe(`${sim.url}/gemini`);
    const result = await modelNamed('gemini-2.0-flash').generateContent(question);
    const reply = replyText(question);
    expect(result.response.text()).toBe(reply);
    expect(result.response).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: reply }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: userPrompt(question),
        candidatesTokenCount: countTokens(reply),
        totalTokenCount: userPrompt(question) + countTokens(reply),
      },
      modelVersion: 'gemini-2.0-flash',
    });
    expect(sim.requests[0]).toMatchObject({
      provider: 'gemini',
      method: 'POST',
      path: '/gemini/v1beta/models/gemini-2.0-flash:generateContent',
      status: 200,
      keyAccepted: true,
      keyFingerprint: fingerprintKey(key),
      keyMaskedId: maskKey(key),
      model: 'gemini-2.0-flash',
      stream: false,
    });
    expect(sim.requests[0]?.headers['x-goog-api-key']).toBe('[redacted]');
    expect(JSON.stringify(sim.requests)).not.toContain(key);
  });

  it('takes the key from ?key= too, and masks it in the log', async () => {
    const response = await fetch(
      `${sim.baseURL('gemini')}/v1/models/gemini-2.0-flash:generateContent?key=${encodeURIComponent(key)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      },
    );
    expect(response.status).toBe(200);
    expect(sim.requests[0]?.path).toBe(
      `/gemini/v1/models/gemini-2.0-flash:generateContent?key=${maskKey(key)}`,
    );
  });

  it('lists and describes models, paged', async () => {
    const first = (await (await call('/v1beta/models?pageSize=2', { method: 'GET' })).json()) as {
      models: { name: string }[];
      nextPageToken?: string;
    };
    expect(first.models.map((model) => model.name)).toEqual([
      'models/gemini-2.5-pro',
      'models/gemini-2.5-flash',
    ]);
    const rest = (await (
      await call(`/v1beta/models?pageSize=50&pageToken=${first.nextPageToken}`, { method: 'GET' })
    ).json()) as { models: unknown[]; nextPageToken?: string };
    expect(rest.models.length).toBeGreaterThan(0);
    expect(rest.nextPageToken).toBeUndefined();
    expect(await (await call('/v1beta/models/gemini-2.5-flash', { method: 'GET' })).json()).toMatchObject({
      name: 'models/gemini-2.5-flash',
      supportedGenerationMethods: expect.arrayContaining(['generateContent', 'countTokens']),
      thinking: true,
    });
    const missing = await call('/v1beta/models/gemini-0-nothing', { method: 'GET' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    expect(sim.tally().total).toMatchObject({ requests: 4, inputTokens: 0, outputTokens: 0 });
  });
});

describe('tokens', () => {
  it('thinks for Gemini 2.5 and later (not -lite) at 4 × the visible output; the budget caps it', async () => {
    expect(
      ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-3-pro-preview', 'gemini-2.0-flash-thinking-exp'].every(
        geminiThinks,
      ),
    ).toBe(true);
    expect(
      ['gemini-2.0-flash', 'gemini-2.5-flash-lite', 'gemini-1.5-pro', 'text-embedding-004'].some(
        geminiThinks,
      ),
    ).toBe(false);
    const visible = countTokens(replyText(question));
    const thought = await modelNamed('gemini-2.5-pro').generateContent(question);
    expect(thought.response.usageMetadata).toMatchObject({
      candidatesTokenCount: visible,
      thoughtsTokenCount: 4 * visible,
      totalTokenCount: userPrompt(question) + 5 * visible,
    });
    const off = await sdk()
      .getGenerativeModel(
        { model: 'gemini-2.5-flash', generationConfig: { thinkingConfig: { thinkingBudget: 0 } } as never },
        options,
      )
      .generateContent(question);
    expect(off.response.usageMetadata).not.toHaveProperty('thoughtsTokenCount');
    const capped = await sdk()
      .getGenerativeModel(
        { model: 'gemini-2.5-flash', generationConfig: { thinkingConfig: { thinkingBudget: 3 } } as never },
        options,
      )
      .generateContent(question);
    expect(capped.response.usageMetadata).toMatchObject({ thoughtsTokenCount: 3 });
    expect(sim.tally().total).toMatchObject({
      outputTokens: 5 * visible + visible + visible + 3,
      reasoningTokens: 4 * visible + 3,
    });
  });

  it('counts thinking against maxOutputTokens first and cuts the text: MAX_TOKENS', async () => {
    const visible = countTokens(replyText(question));
    const limit = 4 * visible + 2;
    const result = await sdk()
      .getGenerativeModel({ model: 'gemini-2.5-pro', generationConfig: { maxOutputTokens: limit } }, options)
      .generateContent(question);
    expect(result.response.text()).toBe(replyText(question).slice(0, 8));
    expect(result.response.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(result.response.usageMetadata).toMatchObject({
      candidatesTokenCount: 2,
      thoughtsTokenCount: 4 * visible,
    });
    const starved = await sdk()
      .getGenerativeModel({ model: 'gemini-2.5-pro', generationConfig: { maxOutputTokens: 3 } }, options)
      .generateContent(question);
    expect(starved.response.text()).toBe('');
    expect(starved.response.usageMetadata).toMatchObject({ candidatesTokenCount: 0, thoughtsTokenCount: 3 });
  });

  it('caches half of a long prompt, and all of a named cachedContent', async () => {
    const system = `You are a careful assistant. ${'Answer briefly and cite nothing. '.repeat(8)}`;
    const long = await sdk()
      .getGenerativeModel({ model: 'gemini-2.0-flash', systemInstruction: system }, options)
      .generateContent(question);
    const input = promptTokens([
      { role: 'system', text: system, images: 0 },
      { role: 'user', text: question, images: 0 },
    ]);
    expect(input).toBeGreaterThanOrEqual(64);
    expect(long.response.usageMetadata).toMatchObject({
      promptTokenCount: input,
      cachedContentTokenCount: cachedTokens(input),
    });
    const short = await modelNamed('gemini-2.0-flash').generateContent('hi');
    expect(short.response.usageMetadata).not.toHaveProperty('cachedContentTokenCount');

    const cachedModel = sdk().getGenerativeModelFromCachedContent(
      { name: 'cachedContents/abc123', model: 'models/gemini-2.0-flash', contents: [] },
      {},
      options,
    );
    const fromCache = await cachedModel.generateContent('hi');
    expect(fromCache.response.usageMetadata).toMatchObject({
      promptTokenCount: userPrompt('hi') + CACHED_CONTENT_TOKENS,
      cachedContentTokenCount: CACHED_CONTENT_TOKENS,
    });
    expect(sim.tally().total.cachedInputTokens).toBe(cachedTokens(input) + CACHED_CONTENT_TOKENS);
  });

  it('counts images and tools in the prompt', async () => {
    const image = { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } };
    const withImage = await modelNamed('gemini-2.0-flash').generateContent(['Describe', image]);
    expect(withImage.response.usageMetadata?.promptTokenCount).toBe(
      promptTokens([{ role: 'user', text: 'Describe', images: 1 }]),
    );
    const tools = [{ functionDeclarations: [{ name: 'lookup', description: 'Look a word up' }] }];
    const withTools = await sdk()
      .getGenerativeModel({ model: 'gemini-2.0-flash', tools }, options)
      .generateContent('hi');
    expect(withTools.response.usageMetadata?.promptTokenCount).toBe(
      promptTokens([{ role: 'user', text: 'hi', images: 0 }], JSON.stringify(tools)),
    );
  });

  it('counts tokens like generateContent would, for free', async () => {
    const model = sdk().getGenerativeModel(
      { model: 'gemini-2.0-flash', systemInstruction: 'Be brief.' },
      options,
    );
    const counted = await model.countTokens(question);
    const generated = await model.generateContent(question);
    expect(counted.totalTokens).toBe(generated.response.usageMetadata?.promptTokenCount);
    expect(sim.tally().total).toMatchObject({ requests: 2, inputTokens: counted.totalTokens });
  });

  it('streams partial responses, each with the usage so far; the last one has the totals', async () => {
    const streamed = await modelNamed('gemini-2.5-flash').generateContentStream(question);
    const chunks = [];
    for await (const chunk of streamed.stream) chunks.push(chunk);
    const reply = replyText(question);
    expect(chunks.length).toBe(reply.split(' ').length);
    expect(chunks.map((chunk) => chunk.text()).join('')).toBe(reply);
    const counts = chunks.map((chunk) => chunk.usageMetadata?.candidatesTokenCount ?? -1);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const response = await streamed.response;
    expect(response.text()).toBe(reply);
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: userPrompt(question),
      candidatesTokenCount: countTokens(reply),
      thoughtsTokenCount: 4 * countTokens(reply),
    });
    expect(sim.requests[0]).toMatchObject({
      path: '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      stream: true,
    });
    expect(sim.tally().total).toMatchObject({
      requests: 1,
      inputTokens: userPrompt(question),
      outputTokens: 5 * countTokens(reply),
      reasoningTokens: 4 * countTokens(reply),
    });
  });

  it('counts the chat history in each turn', async () => {
    const chat = modelNamed('gemini-2.0-flash').startChat();
    const first = await chat.sendMessage('Hello there');
    const second = await chat.sendMessage('And again');
    expect(second.response.usageMetadata?.promptTokenCount).toBe(
      promptTokens([
        { role: 'user', text: 'Hello there', images: 0 },
        { role: 'assistant', text: first.response.text(), images: 0 },
        { role: 'user', text: 'And again', images: 0 },
      ]),
    );
    expect(second.response.text()).toBe(replyText('And again'));
  });

  it('embeds deterministically: 768 values, 3072 for gemini-embedding, or outputDimensionality', async () => {
    const small = await modelNamed('text-embedding-004').embedContent('hello');
    expect(small.embedding.values).toHaveLength(768);
    expect((await modelNamed('text-embedding-004').embedContent('hello')).embedding.values).toEqual(
      small.embedding.values,
    );
    expect((await modelNamed('gemini-embedding-001').embedContent('hello')).embedding.values).toHaveLength(
      3072,
    );
    const batch = await modelNamed('gemini-embedding-001').batchEmbedContents({
      requests: [
        { content: { role: 'user', parts: [{ text: 'a' }] }, outputDimensionality: 8 } as never,
        { content: { role: 'user', parts: [{ text: 'b' }] } },
      ],
    });
    expect(batch.embeddings.map((item) => item.values.length)).toEqual([8, 3072]);
    expect(sim.tally().total).toMatchObject({ requests: 4, inputTokens: 0, outputTokens: 0 });
  });
});

describe('errors', () => {
  it('answers a wrong key with HTTP 400 API_KEY_INVALID, quoting the key in a DebugInfo as Google does', async () => {
    const error = await rejection(modelNamed('gemini-2.0-flash', wrongKey).generateContent('hi'));
    expect(error).toBeInstanceOf(GoogleGenerativeAIFetchError);
    const fetchError = error as GoogleGenerativeAIFetchError;
    expect(fetchError.status).toBe(400);
    expect(fetchError.errorDetails).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
        }),
        expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.DebugInfo' }),
      ]),
    );
    // The SDK copies the server's details into its message: the echo is there, as with Google.
    expect(fetchError.message.includes(wrongKey)).toBe(true);
    expect(sim.requests[0]).toMatchObject({ status: 400, keyAccepted: false, fault: null });
    expect(JSON.stringify(sim.requests)).not.toContain(wrongKey);
    expect(sim.tally().total.errors).toEqual({ 400: 1 });
  });

  it('answers a request without a key with 403 "unregistered callers"', async () => {
    const response = await call('/v1beta/models/gemini-2.0-flash:countTokens', {
      headers: { 'x-goog-api-key': '' },
      body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: expect.stringContaining('unregistered callers'),
      },
    });
  });

  it('answers each fault the way Google does', async () => {
    const model = modelNamed('gemini-2.5-flash');
    const failWith = async (fault: Parameters<Simulator['failNext']>[0]) => {
      sim.failNext(fault);
      return (await rejection(model.generateContent('hi'))) as GoogleGenerativeAIFetchError;
    };
    const unauthorized = await failWith('unauthorized');
    expect(unauthorized.status).toBe(400);
    expect(unauthorized.message.includes(key)).toBe(true);

    const forbidden = await failWith('forbidden');
    expect(forbidden.status).toBe(403);
    expect(forbidden.errorDetails).toEqual([expect.objectContaining({ reason: 'SERVICE_DISABLED' })]);

    const quota = await failWith('quota');
    expect(quota.status).toBe(429);
    expect(quota.message).toContain('You exceeded your current quota');
    expect(quota.errorDetails?.[0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
          quotaDimensions: { model: 'gemini-2.5-flash' },
        },
      ],
    });

    const limited = await failWith('rate_limit');
    expect(limited.status).toBe(429);
    expect(limited.message).toContain('You exceeded your current quota');
    expect(limited.errorDetails).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          violations: [
            expect.objectContaining({ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }),
          ],
        }),
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
      ]),
    );

    expect((await failWith('server_error')).status).toBe(500);

    sim.failNext('bad_json');
    expect(String(await rejection(model.generateContent('hi')))).toMatch(/JSON/);
    sim.failNext('bad_json');
    const streamed = await model.generateContentStream('hi');
    expect(String(await rejection(streamed.response))).toMatch(/parse|JSON/i);

    expect(sim.tally().total).toMatchObject({
      requests: 7,
      errors: { 400: 1, 403: 1, 429: 2, 500: 1 },
      inputTokens: 0,
    });
  });

  it('rejects bad requests: not JSON, no contents, unknown method or path', async () => {
    const notJson = await call('/v1beta/models/gemini-2.0-flash:generateContent', { body: '{"contents":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } });
    const empty = await call('/v1beta/models/gemini-2.0-flash:generateContent', { body: { contents: [] } });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { message: expect.stringContaining('contents') } });
    expect((await call('/v1beta/models/gemini-2.0-flash:translate', { body: {} })).status).toBe(404);
    expect((await call('/v1beta/files', { body: {} })).status).toBe(404);
  });
});
