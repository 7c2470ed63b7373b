/**
 * The `@google/genai` client (`createClient('google-genai')`), end to end: the real SDK through
 * keycard against the Gemini simulator over HTTP. This SDK takes a `fetch`, so every request goes
 * through keycard's (the key on the wire only, metering, redaction, rotation); its keys, prices,
 * budgets and ledger rows are Gemini's.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as genai from '@google/genai';
import { ApiError, GoogleGenAI } from '@google/genai';
import { GoogleGenerativeAI } from '@google/generative-ai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError, isKeycardError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { BudgetExceededError } from '../../src/ledger/budget.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { GOOGLE_GENAI_KEY_PLACEHOLDER, planOf } from '../../src/providers/google-genai.js';
import { registerSecret } from '../../src/redact/registry.js';
import { CACHED_CONTENT_TOKENS } from '../../src/testing/gemini.js';
import { startSimulator } from '../../src/testing/index.js';
import { safeJson } from '../helpers/capture.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection, rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'google-genai'>;
beforeEach(async () => {
  fixture = await clientFixture('google-genai');
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

/** Lets the ledger record streams, which are recorded as they end. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

async function drain(stream: Promise<AsyncGenerator<genai.GenerateContentResponse>>): Promise<string> {
  let text = '';
  for await (const chunk of await stream) text += chunk.text ?? '';
  return text;
}

async function fileSource(key: string) {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-genai-')), 'key');
  await writeFile(path, key);
  await chmod(path, 0o600);
  return { path, source: keys.file(path) };
}

/** A server on loopback that answers every request with `status` and an HTML page, as proxies do. */
async function htmlServer(status: number): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(status, { 'content-type': 'text/html; charset=UTF-8' });
    response.end(
      `<!DOCTYPE html><html><body><h1>${status}</h1><p>The gateway refused this.</p></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}

describe('usage', () => {
  it('records generateContent with prompt, cached, output and thinking tokens, as a Gemini call', async () => {
    const result = await fixture.client.sdk.models.generateContent({
      model: 'gemini-2.5-pro',
      contents: prompt,
    });
    const metadata = result.usageMetadata as Record<string, number>;
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
    expect(event?.costUsd).toBeGreaterThan(0);
  });

  it('prices a call exactly as the @google/generative-ai client does', async () => {
    const old = await clientFixture('gemini');
    try {
      await old.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' }).generateContent(prompt);
      await fixture.client.sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt });
      const [before] = await old.events();
      const [now] = await fixture.events();
      const fields = (event: typeof now) => ({
        provider: event?.provider,
        model: event?.model,
        inputTokens: event?.inputTokens,
        cachedInputTokens: event?.cachedInputTokens,
        outputTokens: event?.outputTokens,
        reasoningTokens: event?.reasoningTokens,
        costUsd: event?.costUsd,
      });
      expect(fields(now)).toEqual(fields(before));
      expect(now?.costUsd).toBeGreaterThan(0);
    } finally {
      await old.close();
    }
  });

  it('records a stream as it ends, from its last usageMetadata; one left early is recorded too', async () => {
    const sdk = fixture.client.sdk;
    expect(
      await drain(
        sdk.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Stream a short answer' }),
      ),
    ).toMatch(/^Simulated reply/);
    await settle();
    const [read] = await fixture.events();
    const served = fixture.simulator.tally().total;
    expect(read).toMatchObject({ operation: 'generateContentStream', stream: true, outcome: 'ok' });
    expect(read?.outputTokens).toBe(served.outputTokens);
    expect(read?.reasoningTokens).toBe(served.reasoningTokens);
    expect(read?.inputTokens).toBe(served.inputTokens);

    for await (const _chunk of await sdk.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Leave this one after the first chunk',
    })) {
      break;
    }
    await settle();
    const events = await fixture.events();
    expect(events.map((event) => [event.operation, event.stream, event.outcome])).toEqual([
      ['generateContentStream', true, 'ok'],
      ['generateContentStream', true, 'ok'],
    ]);
    // What the first chunk said so far: the prompt, and part of the answer.
    expect(events[1]?.inputTokens).toBeGreaterThan(0);
  });

  it('meters every call style, chats included, and the ledger totals equal what the simulator served', async () => {
    const sdk = fixture.client.sdk;
    await sdk.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: prompt,
      config: { systemInstruction: 'Be brief.' },
    });
    await drain(sdk.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Stream this' }));
    const chat = sdk.chats.create({
      model: 'gemini-2.5-flash',
      history: [{ role: 'user', parts: [{ text: 'Earlier' }] }],
    });
    expect((await chat.sendMessage({ message: 'Hello there' })).text).toMatch(/^Simulated reply/);
    expect(await drain(chat.sendMessageStream({ message: 'And again' }))).toMatch(/^Simulated reply/);
    // The history the chat keeps: the earlier turn, then each message and its answer (a streamed
    // answer as its chunks).
    const history = chat.getHistory();
    expect(history[0]?.parts?.[0]?.text).toBe('Earlier');
    expect(history.at(-1)?.role).toBe('model');
    const counted = await sdk.models.countTokens({ model: 'gemini-2.5-flash', contents: prompt });
    expect(counted.totalTokens).toBeGreaterThan(0);
    const one = await sdk.models.embedContent({ model: 'text-embedding-004', contents: 'hello' });
    expect(one.embeddings?.[0]?.values).toHaveLength(768);
    const two = await sdk.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['a', 'b'],
      config: { outputDimensionality: 8 },
    });
    expect(two.embeddings?.map((embedding) => embedding.values?.length)).toEqual([8, 8]);
    await sdk.models.generateContent({
      model: 'gemini-2.0-flash',
      contents: 'From the cache',
      config: { cachedContent: 'cachedContents/abc123' },
    });
    const pager = await sdk.models.list();
    expect(pager.page.map((model) => model.name)).toContain('models/gemini-2.5-flash');
    await settle();

    const events = await fixture.events();
    expect(events.map((event) => [event.operation, event.model])).toEqual([
      ['generateContent', 'gemini-2.5-flash'],
      ['generateContentStream', 'gemini-2.5-flash'],
      ['generateContent', 'gemini-2.5-flash'],
      ['generateContentStream', 'gemini-2.5-flash'],
      ['countTokens', 'gemini-2.5-flash'],
      ['embedContent', 'text-embedding-004'],
      ['embedContent', 'gemini-embedding-001'],
      ['generateContent', 'gemini-2.0-flash'],
      ['models.list', null],
    ]);
    expect(events.every((event) => event.outcome === 'ok' && event.provider === 'gemini')).toBe(true);
    expect(events[7]?.cachedInputTokens).toBeGreaterThanOrEqual(CACHED_CONTENT_TOKENS);
    expect(fixture.simulator.requests.map((request) => request.path)).toEqual([
      '/gemini/v1beta/models/gemini-2.5-flash:generateContent',
      '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      '/gemini/v1beta/models/gemini-2.5-flash:generateContent',
      '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      '/gemini/v1beta/models/gemini-2.5-flash:countTokens',
      '/gemini/v1beta/models/text-embedding-004:batchEmbedContents',
      '/gemini/v1beta/models/gemini-embedding-001:batchEmbedContents',
      '/gemini/v1beta/models/gemini-2.0-flash:generateContent',
      '/gemini/v1beta/models',
    ]);

    const served = fixture.simulator.tally();
    const byModel = await fixture.ledger.totals({ by: ['model'] });
    for (const row of byModel) {
      const model = (row as { model?: string | null }).model;
      if (model === null || model === undefined) continue;
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

  it('sends every other REST call through keycard too: the key on the wire, a request in the ledger', async () => {
    // The simulator serves none of these (404): what matters is what reached it, and the ledger.
    const sdk = fixture.client.sdk;
    const calls: Array<() => Promise<unknown>> = [
      () => sdk.caches.list(),
      () => sdk.files.list(),
      () => sdk.batches.list(),
      () => sdk.authTokens.create({ config: { uses: 1 } }),
      () => sdk.interactions.create({ model: 'gemini-2.5-flash', input: 'hi' }),
    ];
    for (const call of calls) expect(await rejection(call())).toMatchObject({ status: 404 });
    expect(
      fixture.simulator.requests.map((request) => [request.method, request.path, request.keyAccepted]),
    ).toEqual([
      ['GET', '/gemini/v1beta/cachedContents', true],
      ['GET', '/gemini/v1beta/files', true],
      ['GET', '/gemini/v1beta/batches', true],
      ['POST', '/gemini/v1beta/auth_tokens', true],
      ['POST', '/gemini/v1beta/interactions', true],
    ]);
    expect((await fixture.events()).map((event) => [event.operation, event.outcome, event.provider])).toEqual(
      [
        ['cachedContents.list', 'error', 'gemini'],
        ['files.list', 'error', 'gemini'],
        ['batches.list', 'error', 'gemini'],
        ['auth_tokens.create', 'error', 'gemini'],
        ['interactions.create', 'error', 'gemini'],
      ],
    );
  });

  it('names the operations of the other REST calls from their URL', () => {
    const at = (path: string, method = 'GET') => planOf(new URL(`https://g.test${path}`), method);
    expect(at('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 'POST')).toEqual({
      operation: 'generateContentStream',
      model: 'gemini-2.5-flash',
    });
    expect(at('/v1beta/tunedModels/mine:generateContent', 'POST')).toEqual({
      operation: 'generateContent',
      model: 'mine',
    });
    expect(at('/v1beta/models/gemini-2.5-flash:batchGenerateContent', 'POST').operation).toBe(
      'batchGenerateContent',
    );
    expect(at('/proxy/v1/gemini/v1beta/models/gemini-2.5-flash:countTokens', 'POST')).toEqual({
      operation: 'countTokens',
      model: 'gemini-2.5-flash',
    });
    expect(at('/v1beta/models').operation).toBe('models.list');
    expect(at('/v1beta/models/gemini-2.5-flash').operation).toBe('models.get');
    expect(at('/v1beta/files/abc').operation).toBe('files.get');
    expect(at('/v1beta/files/abc', 'DELETE').operation).toBe('files.delete');
    expect(at('/upload/v1beta/files', 'POST').operation).toBe('files.upload');
    expect(at('/v1beta/cachedContents', 'POST').operation).toBe('cachedContents.create');
    expect(at('/v1beta/cachedContents/x', 'PATCH').operation).toBe('cachedContents.update');
    expect(at('/v1beta/batches/b1:cancel', 'POST').operation).toBe('batches.cancel');
    expect(at('/v1beta/operations/op1').operation).toBe('operations.get');
  });
});

describe('budgets', () => {
  it("a budget on provider 'gemini' counts the calls of both Gemini clients", async () => {
    const ledger = new MemoryLedger();
    const simulator = await startSimulator({ keys: [fixture.key] });
    const options = { baseURL: simulator.baseURL('gemini'), ledger, maxRetries: 0 };
    const budget = { requests: 2, period: 'day', scope: 'provider' } as const;
    const old = await createClient('gemini', keys.literal(fixture.key), options);
    const current = await createClient('google-genai', keys.literal(fixture.key), { ...options, budget });
    try {
      await old.sdk
        .getGenerativeModel({ model: 'gemini-2.0-flash' })
        .generateContent('first, on the old SDK');
      await current.sdk.models.generateContent({
        model: 'gemini-2.0-flash',
        contents: 'second, on the new one',
      });
      const error = await rejection(
        current.sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'third' }),
      );
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(error).toMatchObject({ scope: 'provider:gemini', spend: { requests: 2 } });
      expect(simulator.tally().total.requests).toBe(2);
      const rows = await ledger.totals({ by: ['provider'] });
      expect(rows).toEqual([expect.objectContaining({ provider: 'gemini', requests: 2 })]);
    } finally {
      await old.close();
      await current.close();
      await simulator.close();
    }
  });
});

describe('requests', () => {
  it('is served by the Gemini simulator, under either id', () => {
    expect(fixture.simulator.baseURL('google-genai')).toBe(fixture.simulator.baseURL('gemini'));
  });

  it('puts the key in x-goog-api-key only, under v1beta, with the SDK’s own headers', async () => {
    await fixture.client.sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' });
    const [request] = fixture.simulator.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/gemini/v1beta/models/gemini-2.0-flash:generateContent',
      keyAccepted: true,
      keyFingerprint: fixture.client.fingerprint,
    });
    expect(request?.headers['x-goog-api-key']).toBe('[redacted]');
    expect(request?.headers['user-agent']).toMatch(/^google-genai-sdk\/2\./);
    expect(request?.headers['authorization']).toBeUndefined();
  });

  it('takes the API version from the end of baseURL, or from sdkOptions, and passes its HTTP headers', async () => {
    const versioned = await createClient('google-genai', keys.literal(fixture.key), {
      baseURL: `${fixture.simulator.baseURL('gemini')}/v1alpha/`,
      ledger: false,
    });
    await versioned.sdk.models.countTokens({ model: 'gemini-2.0-flash', contents: 'hi' });
    const chosen = await createClient('google-genai', keys.literal(fixture.key), {
      baseURL: fixture.simulator.baseURL('gemini'),
      ledger: false,
      sdkOptions: { apiVersion: 'v1', httpOptions: { headers: { 'x-team': 'ops' } } },
    });
    await chosen.sdk.models.countTokens({ model: 'gemini-2.0-flash', contents: 'hi' });
    expect(fixture.simulator.requests.map((request) => request.path)).toEqual([
      '/gemini/v1alpha/models/gemini-2.0-flash:countTokens',
      '/gemini/v1/models/gemini-2.0-flash:countTokens',
    ]);
    expect(fixture.simulator.requests[1]?.headers['x-team']).toBe('ops');
  });

  it('ignores the environment variables that would move the SDK to Vertex AI or another host', async () => {
    vi.stubEnv('GOOGLE_GENAI_USE_VERTEXAI', 'true');
    vi.stubEnv('GOOGLE_GENAI_USE_ENTERPRISE', 'true');
    vi.stubEnv('GOOGLE_CLOUD_PROJECT', 'some-project');
    vi.stubEnv('GOOGLE_CLOUD_LOCATION', 'us-central1');
    vi.stubEnv('GOOGLE_GEMINI_BASE_URL', 'http://127.0.0.1:9');
    const pinned = await createClient('google-genai', keys.literal(fixture.key), {
      baseURL: fixture.simulator.baseURL('gemini'),
      ledger: false,
    });
    expect(pinned.sdk.vertexai).toBe(false);
    await pinned.sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' });
    expect(fixture.simulator.requests.map((request) => [request.path, request.status])).toEqual([
      ['/gemini/v1beta/models/gemini-2.0-flash:generateContent', 200],
    ]);
  });

  it('refuses sdkOptions that would take the key, the backend or the transport', async () => {
    for (const sdkOptions of [
      { vertexai: true },
      { project: 'p' },
      { googleAuthOptions: {} },
      { httpOptions: { baseUrl: 'https://example.test' } },
      { httpOptions: { fetch: globalThis.fetch } },
      { httpOptions: { timeout: 5 } },
    ]) {
      const error = await rejection(
        createClient('google-genai', keys.literal(fixture.key), { ledger: false, sdkOptions } as never),
      );
      expect(isKeycardError(error)).toBe(true);
      expect((error as Error).message).toMatch(/^createClient\('google-genai'\): sdkOptions\./);
    }
  });

  it('makes maxRetries retries of a transient failure, and none by default', async () => {
    fixture.simulator.failNext('server_error');
    expect(
      await rejection(
        fixture.client.sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' }),
      ),
    ).toBeInstanceOf(ApiError);
    const retrying = await createClient('google-genai', keys.literal(fixture.key), {
      baseURL: fixture.simulator.baseURL('gemini'),
      ledger: fixture.ledger,
      maxRetries: 1,
      sdkOptions: { httpOptions: { retryOptions: { initialDelay: 0.01, maxDelay: 0.02 } } },
    });
    fixture.simulator.failNext('server_error');
    const result = await retrying.sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' });
    expect(result.text).toMatch(/^Simulated reply/);
    expect(fixture.simulator.requests.map((request) => request.status)).toEqual([500, 500, 200]);
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['error', 'error', 'ok']);
  });

  it('ends a call after createClient’s timeout, with the SDK’s abort', async () => {
    const slow = await clientFixture('google-genai', { client: { timeout: 150 } });
    try {
      slow.simulator.failNext('hang');
      const started = performance.now();
      const error = await rejection(
        slow.client.sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'slow' }),
      );
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(isCredentialError(error)).toBe(false);

      slow.simulator.failNext('hang');
      const controller = new AbortController();
      const aborted = rejection(
        slow.client.sdk.models.generateContent({
          model: 'gemini-2.0-flash',
          contents: 'hi',
          config: { abortSignal: controller.signal },
        }),
      );
      setTimeout(() => controller.abort(), 20);
      expect(await aborted).toMatchObject({ name: 'AbortError' });
      expect((await slow.events()).map((event) => event.outcome)).toEqual(['error', 'error']);
    } finally {
      await slow.close();
    }
  });

  it('refuses the Live API, whose WebSocket would carry the key in its URL', async () => {
    const error = await rejection(
      fixture.client.sdk.live.connect({ model: 'gemini-live-2.5-flash', callbacks: { onmessage: () => {} } }),
    );
    expect(isKeycardError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Live API is not supported.*authTokens\.create/s);
    const music = await rejection(
      fixture.client.sdk.live.music.connect({
        model: 'lyria-realtime-exp',
        callbacks: { onmessage: () => {} },
      }),
    );
    expect(isKeycardError(music)).toBe(true);
    expect(fixture.simulator.requests).toHaveLength(0);
  });
});

describe('failures', () => {
  it('maps HTTP 400 API_KEY_INVALID to unauthorized, keeps ApiError, and never shows the key the server echoed', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const sdk = fixture.client.sdk;
    const error = await credentialRejection(
      sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'gemini', status: 400 });
    expect(error.message).toContain('API_KEY_INVALID');
    expect(error.hint).toContain('aistudio.google.com');
    // The simulator quoted the key, as Google does; the SDK copied the body into its message.
    expect((error.cause as Error).message).toContain('Invalid API key: [REDACTED gemini');
    expect(printed(error).includes(fixture.key)).toBe(false);

    const streamError = await credentialRejection(
      drain(sdk.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })),
    );
    const chatError = await credentialRejection(
      sdk.chats.create({ model: 'gemini-2.5-flash' }).sendMessage({ message: 'hi' }),
    );
    const countError = await credentialRejection(
      sdk.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hi' }),
    );
    for (const other of [streamError, chatError, countError]) {
      expect(other).toBeInstanceOf(ApiError);
      expect(other.reason).toBe('unauthorized');
      expect(printed(other).includes(fixture.key)).toBe(false);
    }
    expect((await fixture.events()).map((event) => event.outcome)).toEqual([
      'unauthorized',
      'unauthorized',
      'unauthorized',
      'unauthorized',
    ]);
  });

  it('maps 403 to forbidden and a daily quota to quota_exceeded, on plain, streamed and chat calls', async () => {
    const sdk = fixture.client.sdk;
    fixture.simulator.failNext('forbidden');
    expect(
      await credentialRejection(sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })),
    ).toMatchObject({
      reason: 'forbidden',
      status: 403,
      message: expect.stringContaining('SERVICE_DISABLED'),
    });
    fixture.simulator.failNext('quota');
    const quota = await credentialRejection(
      drain(sdk.chats.create({ model: 'gemini-2.5-flash' }).sendMessageStream({ message: 'hi' })),
    );
    expect(quota).toBeInstanceOf(ApiError);
    expect(quota).toMatchObject({ reason: 'quota_exceeded', status: 429 });
    expect(quota.message).toContain('429 GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    expect(quota.hint).toMatch(/daily/);
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['forbidden', 'quota_exceeded']);
  });

  it('keeps the SDK error for a per-minute rate limit, a server error and a broken answer', async () => {
    const sdk = fixture.client.sdk;
    fixture.simulator.failNext('rate_limit');
    const limited = await rejection(
      sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }),
    );
    expect(limited).toBeInstanceOf(ApiError);
    expect(isCredentialError(limited)).toBe(false);
    expect(limited).toMatchObject({ status: 429 });
    expect((limited as Error).message).toContain('RetryInfo');
    fixture.simulator.failNext('server_error');
    expect(
      await rejection(sdk.models.embedContent({ model: 'text-embedding-004', contents: 'hi' })),
    ).toMatchObject({
      status: 500,
    });
    fixture.simulator.failNext('bad_json');
    expect(
      isCredentialError(
        await rejection(sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })),
      ),
    ).toBe(false);
    fixture.simulator.failNext('bad_json');
    expect(
      isCredentialError(
        await rejection(
          drain(sdk.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })),
        ),
      ),
    ).toBe(false);
    fixture.simulator.failNext('reset');
    expect(
      isCredentialError(
        await rejection(sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })),
      ),
    ).toBe(false);
    await settle();
    expect((await fixture.events()).map((event) => event.outcome)).toEqual([
      'rate_limited',
      'error',
      'error',
      'error',
      'error',
    ]);
  });

  it('reads HTML answers (a gateway’s 502, a proxy’s 403) by their status', async () => {
    for (const [status, forbidden] of [
      [502, false],
      [403, true],
    ] as const) {
      const { url, server } = await htmlServer(status);
      const client = await createClient('google-genai', keys.literal(fixture.key), {
        baseURL: url,
        ledger: false,
        maxRetries: 0,
      });
      try {
        const error = await rejection(
          client.sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }),
        );
        expect(error).toBeInstanceOf(ApiError);
        expect(error).toMatchObject({ status });
        // The SDK's message holds the page (a credential error keeps it as its cause).
        const sdkError = (forbidden ? (error as Error).cause : error) as Error;
        expect(sdkError.message).toContain('The gateway refused this.');
        expect(isCredentialError(error)).toBe(forbidden);
        if (forbidden) expect(error).toMatchObject({ reason: 'forbidden' });
        expect(printed(error).includes(fixture.key)).toBe(false);
      } finally {
        await client.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it('redacts what a stream raises after it started', async () => {
    // The simulator's cut stream line stands in for server text that holds a secret.
    const secretText = '{"candidates":[{"content":{"par';
    registerSecret(secretText, '[REDACTED stream-text]');
    fixture.simulator.failNext('bad_json');
    const error = (await rejection(
      drain(fixture.client.sdk.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })),
    )) as Error;
    expect(printed(error).includes(secretText)).toBe(false);
  });

  it('finds missing, malformed and wrong_provider keys before any request, from either env var', async () => {
    vi.stubEnv('GEMINI_API_KEY', undefined);
    vi.stubEnv('GOOGLE_API_KEY', undefined);
    expect(await rejection(createClient('google-genai'))).toMatchObject({
      reason: 'missing',
      provider: 'gemini',
    });
    expect((await rejection(createClient('google-genai', undefined as never))) as Error).toMatchObject({
      reason: 'missing',
      message: expect.stringContaining("createClient('google-genai')"),
    });
    vi.stubEnv('GOOGLE_API_KEY', fixture.key);
    const fromGoogle = await createClient('google-genai', undefined, { ledger: false });
    expect(fromGoogle).toMatchObject({
      provider: 'gemini',
      source: 'env:GEMINI_API_KEY|GOOGLE_API_KEY',
      maskedId: fixture.client.maskedId,
    });
    // GEMINI_API_KEY comes first when both are set, as for createClient('gemini').
    vi.stubEnv('GEMINI_API_KEY', testKey('gemini', 'env-first'));
    const fromGemini = await createClient('google-genai', undefined, { ledger: false });
    expect(fromGemini.maskedId).not.toBe(fixture.client.maskedId);
    expect(await rejection(createClient('google-genai', keys.literal(testKey('openai', 'x'))))).toMatchObject(
      {
        reason: 'wrong_provider',
      },
    );
    expect(await rejection(createClient('google-genai', keys.literal(`${fixture.key}xyz`)))).toMatchObject({
      reason: 'malformed',
    });
    // Vertex AI-style "AQ." keys are Gemini keys too.
    expect(
      (await createClient('google-genai', keys.literal(testKey('gemini-aq', 'aq')), { ledger: false }))
        .provider,
    ).toBe('gemini');
    expect(fixture.simulator.requests).toHaveLength(0);
  });

  it('picks up a rotated key, for chats made before the rotation too', async () => {
    const oldKey = testKey('gemini', 'rotation-old');
    const newKey = testKey('gemini', 'rotation-new');
    const { path, source } = await fileSource(oldKey);
    const rotating = await clientFixture('google-genai', { key: oldKey, source });
    try {
      const sdk = rotating.client.sdk;
      const chat = sdk.chats.create({ model: 'gemini-2.5-flash' });
      await chat.sendMessage({ message: 'before rotation' });
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      const after = await sdk.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'after rotation',
      });
      expect(after.text).toMatch(/^Simulated reply/);
      await chat.sendMessage({ message: 'chat after rotation' });
      expect(chat.getHistory()).toHaveLength(4);
      expect(rotating.client.maskedId).not.toBe(fixture.client.maskedId);
      const events = await rotating.events();
      expect(events.map((event) => event.outcome)).toEqual(['ok', 'unauthorized', 'ok', 'ok']);
      expect(new Set(events.slice(2).map((event) => event.keyFingerprint)).size).toBe(1);
      expect(events[2]?.keyFingerprint).not.toBe(events[0]?.keyFingerprint);
    } finally {
      await rotating.close();
    }
  });

  it('reports a key the source still holds as unauthorized after one read of the source', async () => {
    const { source } = await fileSource(fixture.key);
    const stale = await clientFixture('google-genai', { key: fixture.key, source });
    try {
      stale.simulator.revokeKey(fixture.key);
      expect(
        await credentialRejection(
          stale.client.sdk.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hi' }),
        ),
      ).toMatchObject({ reason: 'unauthorized' });
      expect(stale.simulator.requests).toHaveLength(1);
    } finally {
      await stale.close();
    }
  });
});

describe('loading', () => {
  it('says which package to install when @google/genai is missing, and loads it for no other client', () => {
    const dist = join(import.meta.dirname, '../../dist/index.js');
    const script = [
      `const { createClient, keys } = await import(${JSON.stringify(dist)});`,
      `const other = await createClient('gemini', keys.literal(process.env.GENAI_TEST_KEY), { ledger: false });`,
      'console.log(other.provider);',
      `await createClient('google-genai', keys.literal(process.env.GENAI_TEST_KEY), { ledger: false })`,
      '  .catch((error) => console.log(error.name, error.message));',
    ].join('\n');
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: {
        ...process.env,
        NODE_OPTIONS: `--import=${join(import.meta.dirname, '../helpers/hide-packages.mjs')}`,
        KEYCARD_TEST_HIDE_PACKAGES: '@google/genai',
        GENAI_TEST_KEY: fixture.key,
      },
    });
    expect(result.stderr).toBe('');
    const [provider, missing] = result.stdout.trim().split('\n');
    expect(provider).toBe('gemini');
    expect(missing).toBe(
      "KeycardError The Google Gemini SDK is not installed. Run `npm i @google/genai` (it is an optional peer dependency of keycard), or, in a bundle, hand keycard the SDK you imported: createClient('google-genai', source, { sdk: GoogleGenAI }).",
    );
    expect(result.stdout).not.toContain(fixture.key);
  });
});

describe('objects, the sdk option and verify()', () => {
  it('keeps the key off the SDK and everything it hands out: inspect, JSON, spreads and getters show none', async () => {
    const sdk = fixture.client.sdk;
    const chat = sdk.chats.create({ model: 'gemini-2.5-flash' });
    const answer = await chat.sendMessage({ message: 'hi' });
    const pager = await sdk.models.list();
    expect(sdk).toBeInstanceOf(GoogleGenAI);
    for (const value of [
      fixture.client,
      sdk,
      sdk.models,
      sdk.chats,
      chat,
      answer,
      pager,
      sdk.live,
      sdk.files,
    ]) {
      expect(printed(value).includes(fixture.key)).toBe(false);
    }
    expect((sdk as unknown as { apiKey: string }).apiKey).toBe(GOOGLE_GENAI_KEY_PLACEHOLDER);
    expect(inspect(sdk)).toMatch(/^GoogleGenAI \{ provider: 'gemini'/);
    expect(JSON.parse(JSON.stringify(sdk))).toEqual({
      provider: 'gemini',
      source: 'literal',
      maskedId: fixture.client.maskedId,
    });
  });

  it('takes the SDK as the GoogleGenAI class or the module, and refuses another', async () => {
    for (const sdk of [GoogleGenAI, genai]) {
      const given = await createClient('google-genai', keys.literal(fixture.key), {
        baseURL: fixture.simulator.baseURL('gemini'),
        ledger: false,
        sdk,
      });
      expect(given.sdk).toBeInstanceOf(GoogleGenAI);
      await given.sdk.models.countTokens({ model: 'gemini-2.0-flash', contents: 'hi' });
    }
    const error = await rejection(
      createClient('google-genai', keys.literal(fixture.key), {
        ledger: false,
        sdk: GoogleGenerativeAI as never,
      }),
    );
    expect(isKeycardError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^createClient\('google-genai'\): sdk must be .*GoogleGenAI/);
    expect(fixture.simulator.requests).toHaveLength(2);
  });

  it('verifies through the model list', async () => {
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'gemini',
      maskedId: fixture.client.maskedId,
      identity: { models: 6 },
    });
    expect((await fixture.events())[0]?.operation).toBe('models.list');
    fixture.simulator.revokeKey(fixture.key);
    expect(await credentialRejection(fixture.client.verify())).toMatchObject({ reason: 'unauthorized' });
  });
});
