/**
 * The Anthropic simulator: the Messages API (`POST /v1/messages`, plain and streamed,
 * `POST /v1/messages/count_tokens`) and `GET /v1/models`, with Anthropic's error envelope
 * (`{"type":"error","error":{…},"request_id":…}`) and `request-id` headers. Keys are accepted
 * from `Authorization: Bearer` (the 1.x SDK) and `x-api-key` (older SDKs).
 *
 * Token rules (on top of tokens.ts): the prompt is the system text plus every message. When the
 * request marks a block with `cache_control`, half of the prompt is written to the cache when the
 * conversation has one message, and read from it when it has more (a later turn); without
 * `cache_control`, the OpenAI rule applies (half of a prompt of 64 tokens or more is read). `input_tokens`
 * excludes cache reads and writes, as Anthropic reports it; the tally counts the whole input.
 * @module
 */

import { cachedTokens, complete, type PromptMessage, promptTokens } from './tokens.js';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';

type Json = Record<string, unknown>;

/** The organisation every simulated Anthropic key belongs to. */
export const SIMULATED_ANTHROPIC_ORGANIZATION = 'org-simulated-anthropic';

const MODELS = [
  { id: 'claude-opus-4-5', display_name: 'Claude Opus 4.5', created_at: '2025-11-24T00:00:00Z' },
  { id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
  { id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5', created_at: '2025-10-15T00:00:00Z' },
];

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): SimulatedResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

function error(
  status: number,
  type: string,
  message: string,
  context: SimulatorContext,
  headers: Record<string, string> = {},
): SimulatedResponse {
  return json(status, { type: 'error', error: { type, message }, request_id: context.requestId }, headers);
}

function fail(fault: HttpFault, _request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
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
        'This request would exceed the rate limit for your organization of 50 requests per minute.',
        context,
        {
          'retry-after': '1',
          'anthropic-ratelimit-requests-limit': '50',
          'anthropic-ratelimit-requests-remaining': '0',
        },
      );
    case 'server_error':
      return error(500, 'api_error', 'Internal server error', context);
    case 'bad_json':
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"id":"msg_1","content":[{"ty',
      };
  }
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const text = asObject(block)?.['text'];
      return typeof text === 'string' ? text : '';
    })
    .join('\n');
}

function hasCacheControl(body: Json): boolean {
  const blocks = [
    ...(Array.isArray(body['system']) ? body['system'] : []),
    ...(Array.isArray(body['messages'])
      ? body['messages'].flatMap((message) => {
          const content = asObject(message)?.['content'];
          return Array.isArray(content) ? content : [];
        })
      : []),
  ];
  return blocks.some((block) => asObject(block)?.['cache_control'] !== undefined);
}

interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

function promptOf(body: Json): { messages: PromptMessage[]; lastUser: string | undefined } {
  const messages: PromptMessage[] = [];
  const system = textOf(body['system']);
  if (system !== '') messages.push({ role: 'system', text: system, images: 0 });
  let lastUser: string | undefined;
  for (const item of Array.isArray(body['messages']) ? body['messages'] : []) {
    const message = asObject(item);
    const role = typeof message?.['role'] === 'string' ? message['role'] : 'user';
    const text = textOf(message?.['content']);
    messages.push({ role, text, images: 0 });
    if (role === 'user') lastUser = text;
  }
  return { messages, lastUser };
}

function usageFor(body: Json, prompt: number, output: number): AnthropicUsage {
  let read = 0;
  let write = 0;
  if (hasCacheControl(body)) {
    const turns = Array.isArray(body['messages']) ? body['messages'].length : 0;
    if (turns > 1) read = Math.floor(prompt / 2);
    else write = Math.floor(prompt / 2);
  } else read = cachedTokens(prompt);
  return {
    input_tokens: prompt - read - write,
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    output_tokens: output,
  };
}

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function messages(body: Json, context: SimulatorContext): SimulatedResponse {
  const model = typeof body['model'] === 'string' ? body['model'] : undefined;
  if (model === undefined) return error(400, 'invalid_request_error', 'model: Field required', context);
  if (typeof body['max_tokens'] !== 'number') {
    return error(400, 'invalid_request_error', 'max_tokens: Field required', context);
  }
  const { messages: prompt, lastUser } = promptOf(body);
  const completion = complete(model, lastUser, body['max_tokens']);
  const usage = usageFor(body, promptTokens(prompt), completion.outputTokens);
  const served = {
    inputTokens: usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
    cachedInputTokens: usage.cache_read_input_tokens,
    outputTokens: usage.output_tokens,
    reasoningTokens: 0,
  };
  const id = `msg_${context.requestId.replace(/^req_/, '')}`;
  const stopReason = completion.finishReason === 'length' ? 'max_tokens' : 'end_turn';
  if (body['stream'] !== true) {
    return {
      ...json(200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: completion.text }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      }),
      usage: served,
    };
  }
  const words = completion.text.split(/(?<= )/);
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    events: [
      sse('message_start', {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      }),
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      sse('ping', { type: 'ping' }),
      ...words.map((word) =>
        sse('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: word },
        }),
      ),
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      }),
      sse('message_stop', { type: 'message_stop' }),
    ],
    usage: served,
  };
}

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const body = asObject(request.json) ?? {};
  if (request.jsonInvalid)
    return error(400, 'invalid_request_error', 'Request body is not valid JSON.', context);
  if (request.method === 'POST' && request.path === '/v1/messages') return messages(body, context);
  if (request.method === 'POST' && request.path === '/v1/messages/count_tokens') {
    return json(200, { input_tokens: promptTokens(promptOf(body).messages) });
  }
  if (request.method === 'GET' && request.path === '/v1/models') {
    const data = MODELS.map((model) => ({ type: 'model', ...model }));
    return json(200, {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    });
  }
  const model = /^\/v1\/models\/([^/]+)$/.exec(request.path)?.[1];
  if (request.method === 'GET' && model !== undefined) {
    const found = MODELS.find((candidate) => candidate.id === model);
    if (found === undefined) return error(404, 'not_found_error', `model: ${model}`, context);
    return json(200, { type: 'model', ...found });
  }
  return error(404, 'not_found_error', 'Not Found', context);
}

/** The Anthropic side of the simulator. */
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
    return typeof model === 'string' && model !== '' ? model : null;
  },

  commonHeaders(context) {
    return { 'request-id': context.requestId, 'anthropic-organization-id': SIMULATED_ANTHROPIC_ORGANIZATION };
  },

  fail,
  handle,
};
