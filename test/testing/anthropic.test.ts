/**
 * The Anthropic simulator, driven by the real `@anthropic-ai/sdk` (and raw `fetch` where the SDK
 * would hide the wire), without keycard in between.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { countTokens, promptTokens, replyText } from '../../src/testing/tokens.js';
import { testKey } from '../helpers/keys.js';

const key = testKey('anthropic', 'simulator-anthropic');
let sim: Simulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ keys: [key] });
  client = new Anthropic({ apiKey: key, baseURL: sim.baseURL('anthropic'), maxRetries: 0, logLevel: 'off' });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const model = 'claude-haiku-4-5';
const question = 'What is the capital of France and why is it famous?';
const user = (content: string) => ({ role: 'user' as const, content });
/** ≥ 64 prompt tokens with the question, so that a cache marker takes effect. */
const system = `You are a careful assistant. ${'Answer briefly and cite nothing. '.repeat(8)}`;
const cachedSystem = [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const } }];
const prompt = (...messages: { role: string; text: string }[]) =>
  promptTokens(messages.map((message) => ({ ...message, images: 0 })));

/** POST to the simulator with a raw fetch. */
function post(path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': key }) {
  return fetch(`${sim.baseURL('anthropic')}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('messages', () => {
  it('answers with deterministic text and usage, and tallies the whole input', async () => {
    const message = await client.messages.create({ model, max_tokens: 256, messages: [user(question)] });
    const input = prompt({ role: 'user', text: question });
    expect(input).toBe(3 + 3 + 13);
    const reply = replyText(question);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: reply }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: input,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
        output_tokens: countTokens(reply),
        output_tokens_details: { thinking_tokens: 0 },
      },
    });
    expect(message.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(message._request_id).toBe(sim.requests[0]?.id);
    expect(sim.tally().total).toMatchObject({
      requests: 1,
      inputTokens: input,
      cachedInputTokens: 0,
      outputTokens: countTokens(reply),
      reasoningTokens: 0,
    });
  });

  it('caches only on request: writes on a first turn, reads on a later one, input_tokens without them', async () => {
    const input = prompt({ role: 'system', text: system }, { role: 'user', text: question });
    expect(input).toBeGreaterThanOrEqual(64);
    const unmarked = await client.messages.create({
      model,
      max_tokens: 256,
      system,
      messages: [user(question)],
    });
    expect(unmarked.usage).toMatchObject({
      input_tokens: input,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });

    const first = await client.messages.create({
      model,
      max_tokens: 256,
      system: cachedSystem,
      messages: [user(question)],
    });
    const half = Math.floor(input / 2);
    expect(first.usage).toMatchObject({
      input_tokens: input - half,
      cache_creation_input_tokens: half,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: half, ephemeral_1h_input_tokens: 0 },
    });

    const turns = [user(question), { role: 'assistant' as const, content: 'Paris.' }, user('Why?')];
    const later = await client.messages.create({
      model,
      max_tokens: 256,
      system: cachedSystem,
      messages: turns,
    });
    const laterInput = prompt(
      { role: 'system', text: system },
      { role: 'user', text: question },
      { role: 'assistant', text: 'Paris.' },
      { role: 'user', text: 'Why?' },
    );
    expect(later.usage).toMatchObject({
      input_tokens: laterInput - Math.floor(laterInput / 2),
      cache_read_input_tokens: Math.floor(laterInput / 2),
      cache_creation_input_tokens: 0,
    });
    expect(sim.tally().total).toMatchObject({
      inputTokens: input + input + laterInput,
      cachedInputTokens: Math.floor(laterInput / 2),
    });
  });

  it('files a 1h cache write under ephemeral_1h, and skips the cache for short prompts', async () => {
    const long = await client.messages.create({
      model,
      max_tokens: 256,
      system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [user(question)],
    });
    expect(long.usage.cache_creation).toMatchObject({ ephemeral_5m_input_tokens: 0 });
    expect(long.usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(0);
    const short = await client.messages.create({
      model,
      max_tokens: 256,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] },
      ],
    });
    expect(short.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it('thinks when asked: a thinking block, thinking tokens inside output_tokens', async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [user(question)],
    });
    const visible = countTokens(replyText(question));
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(message.content[0]).toMatchObject({ type: 'thinking', signature: expect.stringMatching(/^sig_/) });
    expect(message.usage).toMatchObject({
      output_tokens: 5 * visible,
      output_tokens_details: { thinking_tokens: 4 * visible },
    });
    expect(sim.tally().total).toMatchObject({ outputTokens: 5 * visible, reasoningTokens: 4 * visible });
    const budgeted = await client.messages.create({
      model,
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 3 },
      messages: [user(question)],
    });
    expect(budgeted.usage.output_tokens_details?.thinking_tokens).toBe(3);
  });

  it('cuts the reply at max_tokens with stop_reason max_tokens', async () => {
    const message = await client.messages.create({ model, max_tokens: 3, messages: [user(question)] });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content[0]).toEqual({ type: 'text', text: 'Simulated re' });
    expect(message.usage.output_tokens).toBe(3);
  });

  it('counts tools, images, tool calls and their results in the prompt', async () => {
    const tools = [{ name: 'lookup', description: 'Look it up', input_schema: { type: 'object' as const } }];
    const image = { type: 'base64' as const, media_type: 'image/png' as const, data: 'AAAA' };
    const message = await client.messages.create({
      model,
      max_tokens: 256,
      tools,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe this' },
            { type: 'image', source: image },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'found' }] },
      ],
    });
    const expected =
      3 +
      countTokens(JSON.stringify(tools)) +
      (3 + countTokens('Describe this') + 85) +
      (3 + countTokens(JSON.stringify({ q: 'x' }))) +
      (3 + countTokens('found'));
    expect(message.usage.input_tokens).toBe(expected);
    expect(message.content[0]).toMatchObject({ text: 'Simulated reply: found' });
  });

  it('answers bad requests with Anthropic 400 bodies', async () => {
    await expect(
      client.messages.create({
        model,
        messages: [user('x')],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming),
    ).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      apiMessage: 'max_tokens: Field required',
    });
    await expect(client.messages.create({ model, max_tokens: 10, messages: [] })).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
    const raw = await post('/v1/messages', '{"model": "claude-haiku-4-5", ');
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(sim.tally().total).toMatchObject({ requests: 3, inputTokens: 0, errors: { 400: 3 } });
  });
});

describe('streaming', () => {
  it('sends event: and data: lines in Anthropic’s order, usage in message_start and message_delta', async () => {
    const raw = await post('/v1/messages', {
      model,
      max_tokens: 256,
      system: cachedSystem,
      messages: [user(question)],
      stream: true,
    });
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await raw.text();
    const events = text
      .trim()
      .split('\n\n')
      .map((block) => {
        const [eventLine, dataLine] = block.split('\n');
        return {
          event: eventLine?.replace(/^event: /, ''),
          data: JSON.parse(dataLine?.replace(/^data: /, '') ?? ''),
        };
      });
    const names = events.map((event) => event.event);
    expect(names[0]).toBe('message_start');
    expect(names.slice(1, 3)).toEqual(['content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(events.every((event) => event.data.type === event.event)).toBe(true);
    const start = events[0]?.data.message.usage;
    const delta = events.at(-2)?.data.usage;
    const reply = replyText(question);
    expect(start).toMatchObject({ output_tokens: 1 });
    expect(start.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(delta).toMatchObject({
      input_tokens: start.input_tokens,
      cache_creation_input_tokens: start.cache_creation_input_tokens,
      output_tokens: countTokens(reply),
    });
    const deltas = events.filter((event) => event.event === 'content_block_delta');
    expect(deltas.map((event) => event.data.delta.text).join('')).toBe(reply);
    expect(sim.requests[0]?.stream).toBe(true);
  });

  it('works with the raw SDK stream and messages.stream().finalMessage(), thinking included', async () => {
    const stream = await client.messages.create({
      model,
      max_tokens: 256,
      messages: [user(question)],
      stream: true,
    });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe(replyText(question));

    const runner = client.messages.stream({
      model,
      max_tokens: 2048,
      thinking: { type: 'adaptive' },
      messages: [user(question)],
    });
    const final = await runner.finalMessage();
    const visible = countTokens(replyText(question));
    expect(final.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(final.content[0]).toMatchObject({ thinking: 'Simulated thinking.' });
    expect(await runner.finalText()).toBe(replyText(question));
    expect(final.usage).toMatchObject({
      input_tokens: prompt({ role: 'user', text: question }),
      output_tokens: 5 * visible,
      output_tokens_details: { thinking_tokens: 4 * visible },
    });
    expect(sim.tally().total).toMatchObject({
      outputTokens: visible + 5 * visible,
      reasoningTokens: 4 * visible,
    });
  });
});

describe('count_tokens and models', () => {
  it('counts tokens without serving any', async () => {
    const counted = await client.messages.countTokens({ model, system, messages: [user(question)] });
    expect(counted.input_tokens).toBe(
      prompt({ role: 'system', text: system }, { role: 'user', text: question }),
    );
    expect(sim.tally().total).toMatchObject({ requests: 1, inputTokens: 0 });
  });

  it('lists models page by page, and names organisation and workspace in headers', async () => {
    const { data, response } = await client.models.list().withResponse();
    expect(data.data.map((info) => info.id)).toEqual([
      'claude-opus-4-5',
      'claude-haiku-4-5',
      'claude-sonnet-4-5',
    ]);
    expect(data.data[1]).toMatchObject({
      type: 'model',
      lifecycle: 'active',
      line: 'haiku',
      retires_at: null,
    });
    expect(data.data[2]).toMatchObject({ lifecycle: 'deprecated', retires_at: '2026-11-30T00:00:00Z' });
    expect(data).toMatchObject({
      has_more: false,
      first_id: 'claude-opus-4-5',
      last_id: 'claude-sonnet-4-5',
    });
    expect(response.headers.get('anthropic-organization-id')).toBe('org-simulated-anthropic');
    expect(response.headers.get('anthropic-workspace-id')).toBe('wrkspc_simulated');
    expect(response.headers.get('request-id')).toMatch(/^req_[0-9a-f]{32}$/);

    const pages = [];
    for await (const page of (await client.models.list({ limit: 2 })).iterPages())
      pages.push(page.data.map((info) => info.id));
    expect(pages).toEqual([['claude-opus-4-5', 'claude-haiku-4-5'], ['claude-sonnet-4-5']]);
    const back = await client.models.list({ before_id: 'claude-sonnet-4-5', limit: 1 });
    expect(back.data.map((info) => info.id)).toEqual(['claude-haiku-4-5']);
    expect(back.has_more).toBe(true);
  });

  it('retrieves a known model and 404s an unknown one', async () => {
    expect((await client.models.retrieve('claude-haiku-4-5')).display_name).toBe('Claude Haiku 4.5');
    await expect(client.models.retrieve('claude-nonexistent')).rejects.toMatchObject({
      status: 404,
      type: 'not_found_error',
    });
    expect(sim.requests.map((request) => request.model)).toEqual(['claude-haiku-4-5', 'claude-nonexistent']);
  });
});

describe('keys and faults', () => {
  it('accepts the key as x-api-key (older SDKs) and as a Bearer token (1.x)', async () => {
    const body = { model, max_tokens: 16, messages: [user('hi')] };
    const viaHeader = await post('/v1/messages', body, { 'x-api-key': key });
    const viaBearer = await post('/v1/messages', body, { authorization: `Bearer ${key}` });
    expect([viaHeader.status, viaBearer.status]).toEqual([200, 200]);
    expect(
      sim.requests.map((request) => [
        request.keyAccepted,
        request.headers['x-api-key'],
        request.headers['authorization'],
      ]),
    ).toEqual([
      [true, '[redacted]', undefined],
      [true, undefined, '[redacted]'],
    ]);
    expect(JSON.stringify(sim.requests)).not.toContain(key);
  });

  it('answers a missing or unknown key with Anthropic’s 401', async () => {
    const missing = await post('/v1/messages', { model, max_tokens: 16, messages: [user('hi')] }, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('request-id')).toMatch(/^req_/);
    expect(await missing.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'x-api-key header is required' },
      request_id: sim.requests[0]?.id,
    });
    const stranger = new Anthropic({
      apiKey: testKey('anthropic', 'stranger'),
      baseURL: sim.baseURL('anthropic'),
      maxRetries: 0,
    });
    const error = await stranger.models.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      type: 'authentication_error',
      apiMessage: 'invalid x-api-key',
    });
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).requestID).toBe(sim.requests[1]?.id);
  });

  it('injects each fault with Anthropic’s own status, error type and SDK class', async () => {
    const cases = [
      ['forbidden', 403, 'permission_error', Anthropic.PermissionDeniedError],
      ['quota', 400, 'invalid_request_error', Anthropic.BadRequestError],
      ['rate_limit', 429, 'rate_limit_error', Anthropic.RateLimitError],
      ['server_error', 500, 'api_error', Anthropic.InternalServerError],
    ] as const;
    for (const [fault, status, type, errorClass] of cases) {
      sim.failNext(fault, { provider: 'anthropic' });
      const error = await client.messages
        .create({ model, max_tokens: 16, messages: [user('hi')] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClass);
      expect(error).toMatchObject({ status, type });
    }
    const quota = sim.requests[1];
    expect(quota?.fault).toBe('quota');
    sim.failNext('rate_limit');
    const limited = await post('/v1/messages', { model, max_tokens: 16, messages: [user('hi')] });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(sim.tally().total).toMatchObject({
      requests: 5,
      inputTokens: 0,
      errors: { 400: 1, 403: 1, 429: 2, 500: 1 },
    });
  });

  it('cuts the body for bad_json, as JSON or as a stream', async () => {
    sim.failNext('bad_json', { times: 2 });
    const plain = await post('/v1/messages', { model, max_tokens: 16, messages: [user('hi')] });
    expect(plain.status).toBe(200);
    await expect(plain.json()).rejects.toThrow();
    const streamed = await post('/v1/messages', {
      model,
      max_tokens: 16,
      messages: [user('hi')],
      stream: true,
    });
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await streamed.text()).toMatch(/^event: message_start\ndata: \{.*Simul\n\n$/);
  });

  it('answers an unknown path with a not_found_error', async () => {
    const error = await client.get('/v1/no/such/thing').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error).toMatchObject({ type: 'not_found_error' });
  });
});
