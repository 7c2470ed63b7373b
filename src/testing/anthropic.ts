/**
 * The Anthropic simulator, under `/anthropic` (the SDK's base URL has no `/v1`; the SDK adds
 * `/v1/…`): the Messages API (`POST /v1/messages`, plain and streamed,
 * `POST /v1/messages/count_tokens`) and the models API (`GET /v1/models`, paginated, and
 * `GET /v1/models/:id`), with Anthropic's error envelope
 * (`{"type":"error","error":{"type","message"},"request_id"}`) and a `request-id` header on every
 * answer. Keys are accepted from `Authorization: Bearer` (the 1.x SDK) and `x-api-key` (older
 * SDKs, curl examples). Wire facts: shared/research/sdks.md §3.2. Error texts follow public
 * reports (made with `x-api-key`); the wording for a bad Bearer key was not checked live.
 *
 * Token rules, on top of `tokens.ts` (which counts the prompt: system text, every message, tool
 * declarations, 85 tokens an image):
 * - **prompt cache**: only a request that asks for it (`cache_control` on the request, on a system
 *   block, a tool or a message block) and whose prompt has at least 64 tokens uses the cache. Then
 *   half of the prompt, rounded down, is the cached prefix: written to the cache
 *   (`cache_creation_input_tokens`) when the conversation has one message (a first turn), read
 *   from it (`cache_read_input_tokens`) when it has more (a later turn, whose prefix an earlier
 *   turn wrote). A `ttl: '1h'` marker files the write under `ephemeral_1h_input_tokens`.
 *   `input_tokens` is the rest: Anthropic reports it without the cache tokens.
 * - **thinking** (`thinking: { type: 'enabled' | 'adaptive' }`): the model thinks for 4 × the
 *   reply's tokens (at most `budget_tokens`), reported in `output_tokens_details.thinking_tokens`
 *   and included in `output_tokens`, with a `thinking` block before the text.
 * - **max_tokens** is required; thinking takes what it needs up to it, the text is cut to what is
 *   left (4 characters a token) and `stop_reason` is `max_tokens`.
 * - The tally counts the whole input (`input_tokens` + cache read + cache write), as keycard's
 *   ledger does, and the cache read as cached input.
 * @module
 */

import {
  CACHE_MIN_PROMPT_TOKENS,
  CHARS_PER_TOKEN,
  countTokens,
  type PromptMessage,
  promptTokens,
  REASONING_FACTOR,
  replyText,
} from './tokens.js';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatedUsage,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';
import { json } from './wire.js';

type Json = Record<string, unknown>;

/** The organisation every simulated Anthropic key belongs to (`anthropic-organization-id`). */
export const SIMULATED_ANTHROPIC_ORGANIZATION = 'org-simulated-anthropic';
/** The workspace every simulated Anthropic key belongs to (`anthropic-workspace-id`). */
export const SIMULATED_ANTHROPIC_WORKSPACE = 'wrkspc_simulated';

/** The rate limits every answer reports in its `anthropic-ratelimit-*` headers. */
const LIMITS = { requests: 50, inputTokens: 50_000, outputTokens: 10_000 } as const;

interface SimulatedModel {
  readonly id: string;
  readonly display_name: string;
  readonly created_at: string;
  readonly line: 'haiku' | 'sonnet' | 'opus';
  /** When the SDK's deprecation list says the model retires, for deprecated ones. */
  readonly retires_at: string | null;
}

/** Newest first, as the API lists them. The 4.5 Sonnet and Opus are deprecated in SDK 1.14. */
const MODELS: readonly SimulatedModel[] = [
  {
    id: 'claude-opus-4-5',
    display_name: 'Claude Opus 4.5',
    created_at: '2025-11-24T00:00:00Z',
    line: 'opus',
    retires_at: '2027-01-22T00:00:00Z',
  },
  {
    id: 'claude-haiku-4-5',
    display_name: 'Claude Haiku 4.5',
    created_at: '2025-10-15T00:00:00Z',
    line: 'haiku',
    retires_at: null,
  },
  {
    id: 'claude-sonnet-4-5',
    display_name: 'Claude Sonnet 4.5',
    created_at: '2025-09-29T00:00:00Z',
    line: 'sonnet',
    retires_at: '2026-11-30T00:00:00Z',
  },
];

function modelInfo(model: SimulatedModel): Json {
  return {
    type: 'model',
    id: model.id,
    display_name: model.display_name,
    created_at: model.created_at,
    capabilities: null,
    lifecycle: model.retires_at === null ? 'active' : 'deprecated',
    deprecated_at: model.retires_at === null ? null : '2026-06-01T00:00:00Z',
    retires_at: model.retires_at,
    line: model.line,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
  };
}

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Anthropic's error envelope. */
function error(
  status: number,
  type: string,
  message: string,
  context: SimulatorContext,
  headers: Record<string, string> = {},
): SimulatedResponse {
  return json(status, { type: 'error', error: { type, message }, request_id: context.requestId }, headers);
}

function rateLimitHeaders(remainingRequests: number, inputTokens: number, outputTokens: number) {
  const reset = new Date(Math.ceil(Date.now() / 60_000) * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'anthropic-ratelimit-requests-limit': String(LIMITS.requests),
    'anthropic-ratelimit-requests-remaining': String(remainingRequests),
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': String(LIMITS.inputTokens),
    'anthropic-ratelimit-input-tokens-remaining': String(Math.max(0, LIMITS.inputTokens - inputTokens)),
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': String(LIMITS.outputTokens),
    'anthropic-ratelimit-output-tokens-remaining': String(Math.max(0, LIMITS.outputTokens - outputTokens)),
    'anthropic-ratelimit-output-tokens-reset': reset,
    'anthropic-ratelimit-tokens-limit': String(LIMITS.inputTokens + LIMITS.outputTokens),
    'anthropic-ratelimit-tokens-remaining': String(
      Math.max(0, LIMITS.inputTokens + LIMITS.outputTokens - inputTokens - outputTokens),
    ),
    'anthropic-ratelimit-tokens-reset': reset,
  };
}

function isStream(request: SimulatorRequest): boolean {
  return asObject(request.json)?.['stream'] === true;
}

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const messageId = (context: SimulatorContext): string => `msg_${context.requestId.replace(/^req_/, '')}`;

// ---------------------------------------------------------------------------------------------
// Faults

function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
      if (context.key === null)
        return error(401, 'authentication_error', 'x-api-key header is required', context);
      return error(401, 'authentication_error', 'invalid x-api-key', context);
    case 'forbidden':
      return error(
        403,
        'permission_error',
        'Your API key does not have permission to use the specified resource.',
        context,
      );
    case 'quota':
      // Anthropic answers an exhausted credit balance with a 400, not a 429.
      return error(
        400,
        'invalid_request_error',
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        context,
      );
    case 'rate_limit':
      return error(
        429,
        'rate_limit_error',
        `This request would exceed the rate limit for your organization (${SIMULATED_ANTHROPIC_ORGANIZATION}) of ${LIMITS.requests} requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.`,
        context,
        { 'retry-after': '1', ...rateLimitHeaders(0, 0, 0) },
      );
    case 'server_error':
      return error(500, 'api_error', 'Internal server error', context);
    case 'bad_json': {
      // A body cut in the middle: as a stream event when a stream was asked for, else as JSON.
      const cut = `{"id":"${messageId(context)}","type":"message","role":"assistant","content":[{"type":"text","text":"Simul`;
      if (isStream(request)) {
        return {
          status: 200,
          headers: { 'content-type': 'text/event-stream; charset=utf-8' },
          events: [`event: message_start\ndata: ${cut}\n\n`],
        };
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: cut };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading prompts

/** Text and image count of a message's `content`: a string, or a list of content blocks. */
function contentOf(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const item of list(content)) {
    const block = asObject(item);
    if (block === undefined) continue;
    switch (block['type']) {
      case 'image':
        images += 1;
        break;
      case 'tool_use':
        texts.push(JSON.stringify(block['input'] ?? {}));
        break;
      case 'tool_result': {
        const inner = contentOf(block['content']);
        texts.push(inner.text);
        images += inner.images;
        break;
      }
      case 'thinking':
        if (typeof block['thinking'] === 'string') texts.push(block['thinking']);
        break;
      default:
        if (typeof block['text'] === 'string') texts.push(block['text']);
    }
  }
  return { text: texts.filter((part) => part !== '').join('\n'), images };
}

interface Prompt {
  readonly messages: PromptMessage[];
  readonly lastUserText: string | undefined;
  /** Messages in the conversation (`system` aside). */
  readonly turns: number;
}

function promptOf(body: Json): Prompt {
  const messages: PromptMessage[] = [];
  const system = contentOf(body['system']);
  if (system.text !== '') messages.push({ role: 'system', ...system });
  let lastUserText: string | undefined;
  let turns = 0;
  for (const item of list(body['messages'])) {
    const message = asObject(item);
    if (message === undefined) continue;
    const role = typeof message['role'] === 'string' ? message['role'] : 'user';
    const content = contentOf(message['content']);
    messages.push({ role, ...content });
    if (role === 'user') lastUserText = content.text;
    if (role !== 'system') turns += 1;
  }
  return { messages, lastUserText, turns };
}

function inputTokensOf(body: Json, prompt: Prompt): number {
  const tools = body['tools'];
  return promptTokens(prompt.messages, tools === undefined ? '' : JSON.stringify(tools));
}

/** Every `cache_control` marker in the request: on the request, system blocks, tools, message blocks. */
function cacheMarkers(body: Json): Json[] {
  const blocks: unknown[] = [
    body,
    ...list(body['system']),
    ...list(body['tools']),
    ...list(body['messages']).flatMap((message) => list(asObject(message)?.['content'])),
  ];
  return blocks
    .map((block) => asObject(asObject(block)?.['cache_control']))
    .filter((marker) => marker !== undefined);
}

interface WireUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  output_tokens_details: { thinking_tokens: number };
  server_tool_use: null;
  service_tier: 'standard';
}

function cacheSplit(body: Json, prompt: Prompt, total: number) {
  const markers = cacheMarkers(body);
  if (markers.length === 0 || total < CACHE_MIN_PROMPT_TOKENS) return { read: 0, write: 0, longTtl: false };
  const cached = Math.floor(total / 2);
  const longTtl = markers.some((marker) => marker['ttl'] === '1h');
  return prompt.turns > 1 ? { read: cached, write: 0, longTtl } : { read: 0, write: cached, longTtl };
}

/** What the model answers: its text, thinking and output tokens, within `max_tokens`. */
function answer(prompt: Prompt, maxTokens: number, thinking: Json | undefined) {
  const full = replyText(prompt.lastUserText);
  const visible = countTokens(full);
  const thinks = thinking?.['type'] === 'enabled' || thinking?.['type'] === 'adaptive';
  const budget = typeof thinking?.['budget_tokens'] === 'number' ? thinking['budget_tokens'] : Infinity;
  const limit = Math.max(0, Math.floor(maxTokens));
  const thinkingTokens = Math.min(thinks ? Math.min(REASONING_FACTOR * visible, budget) : 0, limit);
  if (thinkingTokens + visible <= limit) {
    return { thinks, text: full, thinkingTokens, outputTokens: thinkingTokens + visible, stop: 'end_turn' };
  }
  const cut = [...full].slice(0, (limit - thinkingTokens) * CHARS_PER_TOKEN).join('');
  return {
    thinks,
    text: cut,
    thinkingTokens,
    outputTokens: thinkingTokens + countTokens(cut),
    stop: 'max_tokens',
  };
}

const THINKING_TEXT = 'Simulated thinking.';

// ---------------------------------------------------------------------------------------------
// Messages

function messages(body: Json, context: SimulatorContext): SimulatedResponse {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') {
    return error(400, 'invalid_request_error', 'model: Field required', context);
  }
  const maxTokens = body['max_tokens'];
  if (typeof maxTokens !== 'number' || !Number.isFinite(maxTokens)) {
    return error(400, 'invalid_request_error', 'max_tokens: Field required', context);
  }
  if (!Array.isArray(body['messages']) || body['messages'].length === 0) {
    return error(400, 'invalid_request_error', 'messages: at least one message is required', context);
  }
  const prompt = promptOf(body);
  const total = inputTokensOf(body, prompt);
  const cache = cacheSplit(body, prompt, total);
  const reply = answer(prompt, maxTokens, asObject(body['thinking']));
  const usage: WireUsage = {
    input_tokens: total - cache.read - cache.write,
    cache_creation_input_tokens: cache.write,
    cache_read_input_tokens: cache.read,
    cache_creation: {
      ephemeral_5m_input_tokens: cache.longTtl ? 0 : cache.write,
      ephemeral_1h_input_tokens: cache.longTtl ? cache.write : 0,
    },
    output_tokens: reply.outputTokens,
    output_tokens_details: { thinking_tokens: reply.thinkingTokens },
    server_tool_use: null,
    service_tier: 'standard',
  };
  const served: SimulatedUsage = {
    inputTokens: total,
    cachedInputTokens: cache.read,
    outputTokens: reply.outputTokens,
    reasoningTokens: reply.thinkingTokens,
  };
  const signature = `sig_${Buffer.from(messageId(context)).toString('base64')}`;
  const headers = rateLimitHeaders(LIMITS.requests - 1, total, reply.outputTokens);
  const head = { id: messageId(context), type: 'message', role: 'assistant', model };

  if (body['stream'] !== true) {
    const content = [
      ...(reply.thinks ? [{ type: 'thinking', thinking: THINKING_TEXT, signature }] : []),
      { type: 'text', text: reply.text },
    ];
    return {
      ...json(
        200,
        { ...head, content, stop_reason: reply.stop, stop_sequence: null, stop_details: null, usage },
        headers,
      ),
      usage: served,
    };
  }

  // message_start carries the input and cache tokens with output_tokens 1; message_delta the
  // cumulative totals once the reply is done.
  const events: string[] = [
    sse('message_start', {
      type: 'message_start',
      message: {
        ...head,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        usage: { ...usage, output_tokens: 1, output_tokens_details: { thinking_tokens: 0 } },
      },
    }),
  ];
  let index = 0;
  if (reply.thinks) {
    events.push(
      sse('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'thinking_delta', thinking: THINKING_TEXT },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature },
      }),
      sse('content_block_stop', { type: 'content_block_stop', index }),
    );
    index += 1;
  }
  events.push(
    sse('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'text', text: '' },
    }),
    sse('ping', { type: 'ping' }),
    ...(reply.text.match(/\S+\s*|\s+/g) ?? []).map((piece) =>
      sse('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: piece },
      }),
    ),
    sse('content_block_stop', { type: 'content_block_stop', index }),
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: reply.stop, stop_sequence: null, stop_details: null },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: usage.output_tokens,
        output_tokens_details: usage.output_tokens_details,
        server_tool_use: null,
      },
    }),
    sse('message_stop', { type: 'message_stop' }),
  );
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers },
    events,
    usage: served,
  };
}

function countTokensRoute(body: Json, context: SimulatorContext): SimulatedResponse {
  if (typeof body['model'] !== 'string' || body['model'] === '') {
    return error(400, 'invalid_request_error', 'model: Field required', context);
  }
  if (!Array.isArray(body['messages'])) {
    return error(400, 'invalid_request_error', 'messages: Field required', context);
  }
  // A count, not usage: nothing is served, so nothing is tallied.
  return json(200, { input_tokens: inputTokensOf(body, promptOf(body)) });
}

// ---------------------------------------------------------------------------------------------
// Models

function listModels(query: URLSearchParams, context: SimulatorContext): SimulatedResponse {
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    return error(400, 'invalid_request_error', 'limit: Input should be between 1 and 1000', context);
  }
  const after = query.get('after_id');
  const before = query.get('before_id');
  let page: readonly SimulatedModel[];
  let hasMore: boolean;
  if (before !== null) {
    const end = MODELS.findIndex((model) => model.id === before);
    const start = Math.max(0, (end === -1 ? 0 : end) - limit);
    page = MODELS.slice(start, end === -1 ? 0 : end);
    hasMore = start > 0;
  } else {
    const start = after === null ? 0 : MODELS.findIndex((model) => model.id === after) + 1;
    page = start === 0 && after !== null ? [] : MODELS.slice(start, start + limit);
    hasMore = start + limit < MODELS.length && page.length > 0;
  }
  return json(200, {
    data: page.map(modelInfo),
    has_more: hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
  });
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Routing

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const { method, path } = request;
  if (method === 'GET' && path === '/v1/models') return listModels(request.query, context);
  const modelId = /^\/v1\/models\/([^/]+)$/.exec(path)?.[1];
  if (method === 'GET' && modelId !== undefined) {
    const id = decode(modelId);
    const found = MODELS.find((model) => model.id === id);
    if (found === undefined) return error(404, 'not_found_error', `model: ${id}`, context);
    return json(200, modelInfo(found));
  }
  const route =
    method !== 'POST'
      ? undefined
      : path === '/v1/messages'
        ? messages
        : path === '/v1/messages/count_tokens'
          ? countTokensRoute
          : undefined;
  if (route === undefined) return error(404, 'not_found_error', 'Not Found', context);
  const body = asObject(request.json);
  if (request.jsonInvalid || body === undefined) {
    return error(
      400,
      'invalid_request_error',
      'There was an issue with your request body: invalid JSON.',
      context,
    );
  }
  return route(body, context);
}

/** Anthropic (`/anthropic`): Bearer or x-api-key keys, Anthropic's error envelope, `request-id` headers. */
export const anthropicSimulator: ProviderSimulator = {
  id: 'anthropic',
  apiPath: '',

  credential(request) {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
    const match = /^Bearer\s+(\S.*)$/i.exec(request.headers.authorization?.trim() ?? '');
    return match?.[1]?.trim();
  },

  modelOf(request) {
    const model = asObject(request.json)?.['model'];
    if (typeof model === 'string' && model !== '') return model;
    const id = /^\/v1\/models\/([^/]+)$/.exec(request.path)?.[1];
    return id === undefined ? null : decode(id);
  },

  commonHeaders(context) {
    return {
      'request-id': context.requestId,
      'anthropic-organization-id': SIMULATED_ANTHROPIC_ORGANIZATION,
      'anthropic-workspace-id': SIMULATED_ANTHROPIC_WORKSPACE,
    };
  },

  fail,
  handle,
};
