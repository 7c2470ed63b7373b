/**
 * The OpenAI simulator, under `/openai/v1`: models, Chat Completions (plain and streamed),
 * Responses (plain and streamed) and embeddings, with OpenAI's real error bodies and headers.
 * Wire facts: shared/research/sdks.md §3.1 ("Fake-server wire formats").
 *
 * Any model id is served by chat, responses and embeddings (so a test can use a model no price
 * list knows); `GET /models/:id` knows only the listed models. Tokens and replies follow the
 * rules in `tokens.ts`. One choice per request (`n` is ignored).
 * @module
 */

import { responses } from './openai-responses.js';
import {
  asObject,
  BAD_JSON_MESSAGE,
  decode,
  error,
  idOf,
  isStream,
  type Json,
  json,
  limitOf,
  missing,
  NO_KEY_MESSAGE,
  NO_MODEL,
  now,
  pieces,
  promptMessage,
  promptOf,
  RATE_LIMIT_REQUESTS,
  RATE_LIMIT_TOKENS,
  SIMULATED_ORGANIZATION,
  SIMULATED_PROJECT,
  sse,
  streamResponse,
  successHeaders,
  usageOf,
} from './openai-wire.js';
import { complete, countTokens, embedding, float32Base64 } from './tokens.js';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatedUsage,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';

export { SIMULATED_ORGANIZATION, SIMULATED_PROJECT } from './openai-wire.js';

/** Models `GET /models` lists, with the `created` times OpenAI reports for them. */
const MODELS: readonly { id: string; created: number }[] = [
  { id: 'gpt-4o-mini', created: 1721172741 },
  { id: 'gpt-4o', created: 1715367049 },
  { id: 'gpt-4.1', created: 1744316542 },
  { id: 'gpt-4.1-mini', created: 1744318173 },
  { id: 'o3-mini', created: 1737146383 },
  { id: 'o4-mini', created: 1744225351 },
  { id: 'text-embedding-3-small', created: 1705948997 },
  { id: 'text-embedding-3-large', created: 1705953180 },
];

/** OpenAI's answers for each fault, with its real error bodies. */
function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const model = context.model;
  switch (fault) {
    case 'unauthorized':
      if (context.key === null) return error(401, NO_KEY_MESSAGE, 'invalid_request_error');
      return error(
        401,
        `Incorrect API key provided: ${context.key.maskedId}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    case 'forbidden':
      // Both are real 403 bodies: a project without access to the model (code model_not_found),
      // and, for requests that name no model, a request from an unsupported country or region.
      if (model !== null) {
        return error(
          403,
          `Project \`${SIMULATED_PROJECT}\` does not have access to model \`${model}\``,
          'invalid_request_error',
          'model_not_found',
        );
      }
      return error(
        403,
        'Country, region, or territory not supported',
        'request_forbidden',
        'unsupported_country_region_territory',
      );
    case 'quota':
      return error(
        429,
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        'insufficient_quota',
        'insufficient_quota',
      );
    case 'rate_limit':
      return error(
        429,
        `Rate limit reached for ${model ?? 'requests'} in organization ${SIMULATED_ORGANIZATION} on requests per min (RPM): Limit ${RATE_LIMIT_REQUESTS}, Used ${RATE_LIMIT_REQUESTS}, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        'requests',
        'rate_limit_exceeded',
        null,
        {
          'retry-after': '1',
          'x-ratelimit-limit-requests': String(RATE_LIMIT_REQUESTS),
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '1s',
          'x-ratelimit-limit-tokens': String(RATE_LIMIT_TOKENS),
          'x-ratelimit-remaining-tokens': String(RATE_LIMIT_TOKENS),
          'x-ratelimit-reset-tokens': '0s',
        },
      );
    case 'server_error':
      return error(
        500,
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
      );
    case 'bad_json': {
      // A body cut in the middle: as a stream event when a stream was asked for, else as JSON.
      const cut = `{"id":"chatcmpl-${idOf(context)}","object":"chat.completion","created":${now()},"model":"${model ?? ''}","choices":[{"index":0,"message":{"role":"assistant","content":"Simul`;
      if (isStream(request)) {
        return {
          status: 200,
          headers: { 'content-type': 'text/event-stream; charset=utf-8', ...successHeaders(0) },
          events: [`data: ${cut}\n\n`],
        };
      }
      return {
        status: 200,
        headers: { 'content-type': 'application/json', ...successHeaders(0) },
        body: cut,
      };
    }
  }
}

function chatCompletions(body: Json, context: SimulatorContext): SimulatedResponse {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return NO_MODEL();
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return missing('messages');
  const prompt = promptOf(
    messages.map(promptMessage).filter((message) => message !== undefined),
    body['tools'],
  );
  const completion = complete(
    model,
    prompt.lastUserText,
    limitOf(body, 'max_completion_tokens', 'max_tokens'),
  );
  const usage = usageOf(prompt, completion);
  const wireUsage = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
  const head = {
    id: `chatcmpl-${idOf(context)}`,
    created: now(),
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_simulated',
  };

  if (body['stream'] !== true) {
    const answer = json(
      200,
      {
        ...head,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: completion.text, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: completion.finishReason,
          },
        ],
        usage: wireUsage,
      },
      successHeaders(usage.inputTokens),
    );
    return { ...answer, usage };
  }

  // Like the real API: a first chunk with the role, one chunk per word, a last chunk with the
  // finish reason; with `stream_options.include_usage`, every chunk has `usage: null` and a final
  // chunk with no choices carries the usage.
  const includeUsage = asObject(body['stream_options'])?.['include_usage'] === true;
  const chunk = (delta: Json, finishReason: string | null): string =>
    sse({
      ...head,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });
  const events = [
    chunk({ role: 'assistant', content: '', refusal: null }, null),
    ...pieces(completion.text).map((piece) => chunk({ content: piece }, null)),
    chunk({}, completion.finishReason),
  ];
  if (includeUsage)
    events.push(sse({ ...head, object: 'chat.completion.chunk', choices: [], usage: wireUsage }));
  events.push('data: [DONE]\n\n');
  return streamResponse(usage, events);
}

/** The texts to embed and their tokens: strings count by the text rule, token arrays by length. */
function embeddingInputs(input: unknown): { texts: string[]; tokens: number } | undefined {
  const one = (value: unknown): { text: string; tokens: number } | undefined => {
    if (typeof value === 'string') return { text: value, tokens: countTokens(value) };
    if (Array.isArray(value) && value.every((entry) => typeof entry === 'number')) {
      return { text: value.join(','), tokens: value.length };
    }
    return undefined;
  };
  const single = one(input);
  const list = single !== undefined ? [single] : Array.isArray(input) ? input.map(one) : [];
  if (list.length === 0 || list.some((entry) => entry === undefined)) return undefined;
  const entries = list as { text: string; tokens: number }[];
  return {
    texts: entries.map((entry) => entry.text),
    tokens: entries.reduce((sum, entry) => sum + entry.tokens, 0),
  };
}

function embeddings(body: Json): SimulatedResponse {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return NO_MODEL();
  if (body['input'] === undefined) return missing('input');
  const inputs = embeddingInputs(body['input']);
  if (inputs === undefined)
    return error(400, "'$.input' is invalid.", 'invalid_request_error', null, 'input');
  const requested = body['dimensions'];
  const dimensions =
    typeof requested === 'number' && Number.isInteger(requested) && requested > 0
      ? requested
      : model.endsWith('-large')
        ? 3072
        : 1536;
  const base64 = body['encoding_format'] === 'base64';
  const data = inputs.texts.map((text, index) => {
    const vector = embedding(text, dimensions);
    return { object: 'embedding', index, embedding: base64 ? float32Base64(vector) : vector };
  });
  const usage: SimulatedUsage = {
    inputTokens: inputs.tokens,
    cachedInputTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
  };
  return {
    ...json(
      200,
      { object: 'list', data, model, usage: { prompt_tokens: inputs.tokens, total_tokens: inputs.tokens } },
      successHeaders(inputs.tokens),
    ),
    usage,
  };
}

const modelObject = (model: { id: string; created: number }): Json => ({
  id: model.id,
  object: 'model',
  created: model.created,
  owned_by: 'system',
});

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const { method, path } = request;
  const invalidUrl = (): SimulatedResponse =>
    error(404, `Invalid URL (${method} ${path})`, 'invalid_request_error');

  if (method === 'GET') {
    if (path === '/v1/models') {
      return json(200, { object: 'list', data: MODELS.map(modelObject) }, successHeaders(0));
    }
    const match = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (match?.[1] === undefined) return invalidUrl();
    const id = decode(match[1]);
    const model = MODELS.find((candidate) => candidate.id === id);
    if (model === undefined) {
      return error(
        404,
        `The model '${id}' does not exist`,
        'invalid_request_error',
        'model_not_found',
        'model',
      );
    }
    return json(200, modelObject(model), successHeaders(0));
  }

  const route =
    method !== 'POST'
      ? undefined
      : path === '/v1/chat/completions'
        ? chatCompletions
        : path === '/v1/responses'
          ? responses
          : path === '/v1/embeddings'
            ? embeddings
            : undefined;
  if (route === undefined) return invalidUrl();
  if (request.jsonInvalid) return error(400, BAD_JSON_MESSAGE, 'invalid_request_error');
  const body = asObject(request.json);
  if (body === undefined) return error(400, BAD_JSON_MESSAGE, 'invalid_request_error');
  return route(body, context);
}

/** OpenAI (`/openai/v1`): bearer keys, OpenAI's error bodies, `x-request-id` on every answer. */
export const openaiSimulator: ProviderSimulator = {
  id: 'openai',
  apiPath: '/v1',

  credential(request) {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(header.trim());
    return match?.[1]?.trim();
  },

  modelOf(request) {
    const model = asObject(request.json)?.['model'];
    if (typeof model === 'string' && model !== '') return model;
    const match = /^\/v1\/models\/([^/]+)$/.exec(request.path);
    return match?.[1] === undefined ? null : decode(match[1]);
  },

  commonHeaders(context) {
    return { 'x-request-id': context.requestId, 'openai-version': '2020-10-01', 'openai-processing-ms': '1' };
  },

  fail,
  handle,
};
