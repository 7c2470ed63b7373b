import { request as httpRequest } from 'node:http';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintKey, maskKey } from '../../src/secret.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';

const key = testKey('openai', 'simulator-main');
const otherKey = testKey('openai-svcacct', 'simulator-other');
const wrongKey = testKey('openai', 'simulator-wrong');
let sim: Simulator;

const clientFor = (apiKey: string, options: { timeout?: number } = {}) =>
  new OpenAI({ apiKey, baseURL: sim.baseURL('openai'), maxRetries: 0, logLevel: 'off', ...options });
const chat = (client: OpenAI, model = 'gpt-4o-mini') =>
  client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Say hello to the simulator' }],
  });

beforeAll(async () => {
  sim = await startSimulator({ keys: [key, otherKey] });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('startSimulator', () => {
  it('listens on 127.0.0.1 and builds base URLs per provider', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.baseURL('openai')).toBe(`${sim.url}/openai/v1`);
  });

  it('serves only the providers it is told to', async () => {
    const only = await startSimulator({ providers: ['openai'], keys: [] });
    try {
      expect(() => only.baseURL('telegram')).toThrow(/provider 'telegram' is not served/);
      expect((await fetch(`${only.url}/telegram/botX/getMe`)).status).toBe(404);
    } finally {
      await only.close();
    }
  });

  it('answers paths outside every provider prefix with a 404', async () => {
    const response = await fetch(`${sim.url}/nowhere/v1/models`);
    expect(response.status).toBe(404);
    expect(sim.requests[0]).toMatchObject({ provider: null, status: 404 });
    expect(sim.tally().total.requests).toBe(0);
  });

  it('waits latencyMs before each answer', async () => {
    const slow = await startSimulator({ keys: [key], latencyMs: 60 });
    try {
      const client = new OpenAI({ apiKey: key, baseURL: slow.baseURL('openai'), maxRetries: 0 });
      const started = performance.now();
      await client.models.list();
      expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    } finally {
      await slow.close();
    }
  });

  it('close() ends hanging and keep-alive connections without waiting for them', async () => {
    const closing = await startSimulator({ keys: [key] });
    const client = new OpenAI({
      apiKey: key,
      baseURL: closing.baseURL('openai'),
      maxRetries: 0,
      logLevel: 'off',
    });
    await client.models.list(); // leaves a keep-alive connection open
    closing.failNext('hang');
    const hanging = client.models.list().catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = performance.now();
    await closing.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(OpenAI.APIConnectionError);
    await closing.close(); // idempotent
  });
});

describe('keys', () => {
  it('rejects a wrong key with OpenAI’s 401, echoing only the masked key', async () => {
    const error = await chat(clientFor(wrongKey)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const auth = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(auth.status).toBe(401);
    expect(auth.code).toBe('invalid_api_key');
    expect(auth.type).toBe('invalid_request_error');
    expect(auth.requestID).toMatch(/^req_[0-9a-f]{32}$/);
    expect(auth.message).toBe(
      `401 Incorrect API key provided: ${maskKey(wrongKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    );
    expect(auth.message).not.toContain(wrongKey);
    expect(sim.requests[0]).toMatchObject({
      status: 401,
      keyAccepted: false,
      keyFingerprint: fingerprintKey(wrongKey),
    });
  });

  it('answers a request without a key with the "didn\'t provide an API key" 401 and code null', async () => {
    const response = await fetch(`${sim.baseURL('openai')}/models`);
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error['message']).toMatch(
      /^You didn't provide an API key\. You need to provide your API key in an Authorization header using Bearer auth \(i\.e\. Authorization: Bearer YOUR_KEY\)/,
    );
    expect(body.error['code']).toBeNull();
    expect(sim.requests[0]).toMatchObject({ keyFingerprint: null, keyMaskedId: null });
    expect(sim.tally().total.errors).toEqual({ 401: 1 });
  });

  it('revokeKey() turns a working key into a 401, addKey() brings it back', async () => {
    const revocable = testKey('openai', 'simulator-revocable');
    const client = clientFor(revocable);
    await expect(chat(client)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    sim.addKey(revocable);
    await expect(chat(client)).resolves.toMatchObject({ object: 'chat.completion' });
    sim.revokeKey(revocable);
    await expect(chat(client)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(sim.requests.map((entry) => entry.status)).toEqual([401, 200, 401]);
  });
});

describe('faults', () => {
  const client = () => clientFor(key);

  it('unauthorized: a 401 even for a good key', async () => {
    sim.failNext('unauthorized');
    await expect(chat(client())).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    await expect(chat(client())).resolves.toBeDefined();
  });

  it('forbidden: PermissionDeniedError naming the model', async () => {
    sim.failNext('forbidden');
    const error = await chat(client(), 'gpt-4o').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error).toMatchObject({ status: 403, code: 'model_not_found' });
    expect((error as Error).message).toBe(
      '403 Project `proj_simulated` does not have access to model `gpt-4o`',
    );
    sim.failNext('forbidden');
    await expect(client().models.list()).rejects.toMatchObject({
      status: 403,
      code: 'unsupported_country_region_territory',
    });
  });

  it('quota: RateLimitError with code insufficient_quota', async () => {
    sim.failNext('quota');
    const error = await chat(client()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect((error as Error).message).toMatch(
      /^429 You exceeded your current quota, please check your plan and billing details\./,
    );
  });

  it('rate_limit: RateLimitError with code rate_limit_exceeded and retry headers', async () => {
    sim.failNext('rate_limit');
    const error = await chat(client()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const limited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('server_error: InternalServerError', async () => {
    sim.failNext('server_error');
    const error = await chat(client()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 500, type: 'server_error' });
  });

  it('reset: APIConnectionError, not a timeout', async () => {
    sim.failNext('reset');
    const error = await chat(client()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(sim.requests[0]).toMatchObject({ status: null, fault: 'reset' });
    expect(sim.tally().total).toMatchObject({ requests: 0, unanswered: 1 });
  });

  it('hang: APIConnectionTimeoutError once the client times out', async () => {
    sim.failNext('hang');
    const error = await chat(clientFor(key, { timeout: 150 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(sim.requests[0]).toMatchObject({ status: null, fault: 'hang' });
  });

  it('bad_json: a 200 whose body the SDK cannot parse, plain and streamed', async () => {
    sim.failNext('bad_json', { times: 2 });
    await expect(chat(client())).rejects.toBeInstanceOf(SyntaxError);
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const consume = async () => {
      for await (const _ of stream) {
        // drain
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(SyntaxError);
    expect(sim.tally().total).toMatchObject({ requests: 2, inputTokens: 0, outputTokens: 0, errors: {} });
  });

  it('queues faults in order, per provider and with times', async () => {
    sim.failNext('server_error', { provider: 'anthropic' }); // never matches an OpenAI request
    sim.failNext('rate_limit', { provider: 'openai', times: 2 });
    sim.failNext('quota');
    const codes = [];
    for (let index = 0; index < 4; index += 1) {
      codes.push(
        await chat(client()).then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        ),
      );
    }
    expect(codes).toEqual(['rate_limit_exceeded', 'rate_limit_exceeded', 'insufficient_quota', 'ok']);
    expect(sim.requests.map((entry) => entry.fault)).toEqual(['rate_limit', 'rate_limit', 'quota', null]);
    expect(() => sim.failNext('hang', { times: 0 })).toThrow(RangeError);
  });

  it('fails one key, or one model, while the others work; Infinity lasts until lifted', async () => {
    const code = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      );
    const lift = sim.failNext('quota', { key, times: Number.POSITIVE_INFINITY });
    sim.failNext('forbidden', { key: otherKey, model: 'gpt-4o', times: Number.POSITIVE_INFINITY });
    const codes = [];
    for (let index = 0; index < 3; index += 1) {
      codes.push(
        await code(chat(clientFor(key))),
        await code(chat(clientFor(otherKey))),
        await code(chat(clientFor(otherKey), 'gpt-4o')),
      );
    }
    expect(codes).toEqual(Array(3).fill(['insufficient_quota', 'ok', 'model_not_found']).flat());
    lift();
    expect(await code(chat(clientFor(key)))).toBe('ok');
    expect(await code(chat(clientFor(otherKey), 'gpt-4o'))).toBe('model_not_found');
    lift(); // twice: nothing left to lift
    expect(() => sim.failNext('hang', { times: 1.5 })).toThrow(RangeError);
  });

  it('reset() clears queued faults, the log and the tally, and keeps the keys', async () => {
    sim.failNext('server_error');
    await chat(client()).catch(() => undefined);
    sim.failNext('server_error');
    sim.reset();
    await expect(chat(client())).resolves.toBeDefined();
    expect(sim.requests).toHaveLength(1);
    expect(sim.tally().total.requests).toBe(1);
  });
});

describe('tally and request log', () => {
  it('counts per provider, key and model, tokens for 200 answers only', async () => {
    const first = await chat(clientFor(key));
    const second = await chat(clientFor(otherKey), 'o3-mini');
    await chat(clientFor(wrongKey)).catch(() => undefined);
    sim.failNext('quota');
    await chat(clientFor(key)).catch(() => undefined);

    const tally = sim.tally();
    const usage1 = first.usage!;
    const usage2 = second.usage!;
    expect(tally.total).toEqual({
      requests: 4,
      unanswered: 0,
      inputTokens: usage1.prompt_tokens + usage2.prompt_tokens,
      cachedInputTokens: 0,
      outputTokens: usage1.completion_tokens + usage2.completion_tokens,
      reasoningTokens: usage2.completion_tokens_details!.reasoning_tokens!,
      errors: { 401: 1, 429: 1 },
    });
    expect(tally.byProvider.openai).toEqual(tally.total);
    expect(tally.byKey[fingerprintKey(key)]).toMatchObject({
      requests: 2,
      inputTokens: usage1.prompt_tokens,
      errors: { 429: 1 },
    });
    expect(tally.byKey[fingerprintKey(otherKey)]).toMatchObject({
      requests: 1,
      outputTokens: usage2.completion_tokens,
    });
    expect(tally.byKey[fingerprintKey(wrongKey)]).toMatchObject({
      requests: 1,
      inputTokens: 0,
      errors: { 401: 1 },
    });
    expect(tally.byModel['o3-mini']?.reasoningTokens).toBeGreaterThan(0);
    expect(tally.rows).toHaveLength(3);
    expect(tally.rows.find((row) => row.model === 'o3-mini')).toMatchObject({
      provider: 'openai',
      keyFingerprint: fingerprintKey(otherKey),
    });
  });

  it('logs each request with safe headers and never a clear key', async () => {
    const client = new OpenAI({
      apiKey: key,
      baseURL: sim.baseURL('openai'),
      maxRetries: 0,
      organization: 'org-mine',
      project: 'proj_mine',
      defaultHeaders: { 'x-workflow': 'summarize', 'x-api-key': key, 'x-echo': `copy ${key}` },
    });
    await chat(client);
    await chat(clientFor(wrongKey)).catch(() => undefined);
    const [entry] = sim.requests;
    expect(entry).toMatchObject({
      provider: 'openai',
      method: 'POST',
      path: '/openai/v1/chat/completions',
      status: 200,
      fault: null,
      keyFingerprint: fingerprintKey(key),
      keyMaskedId: maskKey(key),
      keyAccepted: true,
      model: 'gpt-4o-mini',
      stream: false,
    });
    expect(entry?.id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(entry?.time).toBeInstanceOf(Date);
    expect(entry?.usage?.inputTokens).toBeGreaterThan(0);
    expect(entry?.headers).toMatchObject({
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      'openai-organization': 'org-mine',
      'openai-project': 'proj_mine',
      'x-workflow': 'summarize',
      'x-echo': `copy ${maskKey(key)}`,
      'x-stainless-retry-count': '0',
    });

    const everything = [
      JSON.stringify(sim.requests),
      JSON.stringify(sim.tally()),
      inspect(sim, { depth: 10 }),
    ].join('\n');
    for (const clear of [key, wrongKey, otherKey]) expect(everything).not.toContain(clear);
  });

  it('masks a key that travels in the path or the query', async () => {
    // Telegram-style: the key in the URL. The log keeps the masked id only.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${sim.url}/openai/v1/bot${key}/getMe?key=${encodeURIComponent(key)}`,
        { headers: { authorization: `Bearer ${key}` } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(404);
    const path = sim.requests[0]?.path ?? '';
    expect(path).toBe(`/openai/v1/bot${maskKey(key)}/getMe?key=${maskKey(key)}`);
    expect(path).not.toContain(key);
  });

  it('keeps at most maxLoggedRequests entries while the tally counts them all', async () => {
    const small = await startSimulator({ keys: [key], maxLoggedRequests: 2 });
    try {
      const client = new OpenAI({ apiKey: key, baseURL: small.baseURL('openai'), maxRetries: 0 });
      for (let index = 0; index < 3; index += 1) await client.models.list();
      expect(small.requests).toHaveLength(2);
      expect(small.tally().total.requests).toBe(3);
    } finally {
      await small.close();
    }
  });
});
