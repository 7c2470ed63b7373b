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
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatedUsage,
  SimulatorContext,
  SimulatorRequest,
} from './simulator.js';
import {
  type Completion,
  cachedTokens,
  complete,
  countTokens,
  embedding,
  float32Base64,
  type PromptMessage,
  promptTokens,
} from './tokens.js';

type Json = Record<string, unknown>;

/** The organisation and project every successful answer names (keycard's `verify()` reads them). */
export const SIMULATED_ORGANIZATION = 'org-simulated';
/** See {@link SIMULATED_ORGANIZATION}. */
export const SIMULATED_PROJECT = 'proj_simulated';

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

const RATE_LIMIT_REQUESTS = 10_000;
const RATE_LIMIT_TOKENS = 30_000_000;

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): SimulatedResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** OpenAI's error envelope. */
function error(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
  headers: Record<string, string> = {},
): SimulatedResponse {
  return json(status, { error: { message, type, param, code } }, headers);
}

const NO_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";

const BAD_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

/** Headers of every successful answer: who the key belongs to, and the rate-limit budget left. */
function successHeaders(inputTokens: number): Record<string, string> {
  return {
    'openai-organization': SIMULATED_ORGANIZATION,
    'openai-project': SIMULATED_PROJECT,
    'x-ratelimit-limit-requests': String(RATE_LIMIT_REQUESTS),
    'x-ratelimit-limit-tokens': String(RATE_LIMIT_TOKENS),
    'x-ratelimit-remaining-requests': String(RATE_LIMIT_REQUESTS - 1),
    'x-ratelimit-remaining-tokens': String(RATE_LIMIT_TOKENS - inputTokens),
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-reset-tokens': '0s',
  };
}

function isStream(request: SimulatorRequest): boolean {
  return asObject(request.json)?.['stream'] === true;
}

/** The id part of generated ids (`chatcmpl-…`, `resp_…`), from the request id. */
function idOf(context: SimulatorContext): string {
  return context.requestId.replace(/^req_/, '');
}

const now = (): number => Math.floor(Date.now() / 1000);

/** `decodeURIComponent`, keeping the text as it is when it is not valid percent-encoding. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

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

// ---------------------------------------------------------------------------------------------
// Reading prompts

/** Text and image count of a message's `content` (a string or a list of parts). */
function contentOf(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of content) {
    const fields = asObject(part);
    if (fields === undefined) continue;
    if (typeof fields['text'] === 'string') texts.push(fields['text']);
    else if (typeof fields['refusal'] === 'string') texts.push(fields['refusal']);
    else if (fields['type'] === 'image_url' || fields['type'] === 'input_image') images += 1;
  }
  return { text: texts.join('\n'), images };
}

/** A chat message or a Responses input item, as a prompt message. */
function promptMessage(item: unknown): PromptMessage | undefined {
  const fields = asObject(item);
  if (fields === undefined) return undefined;
  const { text, images } = contentOf(fields['content']);
  const extras: string[] = [];
  // Tool calls and their results are text the model reads, too.
  if (fields['tool_calls'] !== undefined) extras.push(JSON.stringify(fields['tool_calls']));
  for (const name of ['arguments', 'output'] as const) {
    const value = fields[name];
    if (typeof value === 'string') extras.push(value);
  }
  const role = typeof fields['role'] === 'string' ? fields['role'] : String(fields['type'] ?? 'user');
  return { role, text: [text, ...extras].filter((part) => part !== '').join('\n'), images };
}

interface Prompt {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly lastUserText: string | undefined;
}

function promptOf(messages: readonly PromptMessage[], tools: unknown): Prompt {
  const inputTokens = promptTokens(messages, tools === undefined ? '' : JSON.stringify(tools));
  const lastUser = messages.findLast((message) => message.role === 'user');
  return { inputTokens, cachedInputTokens: cachedTokens(inputTokens), lastUserText: lastUser?.text };
}

function limitOf(body: Json, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = body[name];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

function usageOf(prompt: Prompt, completion: Completion): SimulatedUsage {
  return {
    inputTokens: prompt.inputTokens,
    cachedInputTokens: prompt.cachedInputTokens,
    outputTokens: completion.outputTokens,
    reasoningTokens: completion.reasoningTokens,
  };
}

/** The word-by-word pieces a stream sends the text in. */
function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

function streamResponse(usage: SimulatedUsage, events: readonly string[]): SimulatedResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...successHeaders(usage.inputTokens),
    },
    events,
    usage,
  };
}

/** A 400 for a missing parameter, as OpenAI words it. */
function missing(param: string): SimulatedResponse {
  return error(
    400,
    `Missing required parameter: '${param}'.`,
    'invalid_request_error',
    'missing_required_parameter',
    param,
  );
}

const NO_MODEL = (): SimulatedResponse =>
  error(400, 'you must provide a model parameter', 'invalid_request_error');

// ---------------------------------------------------------------------------------------------
// Chat Completions

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

// ---------------------------------------------------------------------------------------------
// Responses

function responsesInput(body: Json): PromptMessage[] {
  const messages: PromptMessage[] = [];
  const instructions = body['instructions'];
  if (typeof instructions === 'string' && instructions !== '') {
    messages.push({ role: 'developer', text: instructions, images: 0 });
  }
  const input = body['input'];
  if (typeof input === 'string') messages.push({ role: 'user', text: input, images: 0 });
  else if (Array.isArray(input)) {
    for (const item of input) {
      const message = promptMessage(item);
      if (message !== undefined) messages.push(message);
    }
  }
  return messages;
}

function responses(body: Json, context: SimulatorContext): SimulatedResponse {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return NO_MODEL();
  const prompt = promptOf(responsesInput(body), body['tools']);
  const maxOutputTokens = limitOf(body, 'max_output_tokens');
  const completion = complete(model, prompt.lastUserText, maxOutputTokens);
  const usage = usageOf(prompt, completion);
  const id = idOf(context);
  const reasoningItem =
    completion.reasoningTokens > 0 ? [{ id: `rs_${id}`, type: 'reasoning', summary: [] }] : [];
  const textPart = { type: 'output_text', text: completion.text, annotations: [], logprobs: [] };
  const message = {
    id: `msg_${id}`,
    type: 'message',
    status: completion.finishReason === 'stop' ? 'completed' : 'incomplete',
    role: 'assistant',
    content: [textPart],
  };
  const incomplete = completion.finishReason === 'length';
  const response = (status: 'in_progress' | 'completed' | 'incomplete', done: boolean): Json => ({
    id: `resp_${id}`,
    object: 'response',
    created_at: now(),
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: typeof body['instructions'] === 'string' ? body['instructions'] : null,
    max_output_tokens: maxOutputTokens ?? null,
    model,
    output: done ? [...reasoningItem, message] : [],
    parallel_tool_calls: true,
    previous_response_id:
      typeof body['previous_response_id'] === 'string' ? body['previous_response_id'] : null,
    reasoning: { effort: reasoningItem.length > 0 ? 'medium' : null, summary: null },
    service_tier: 'default',
    store: body['store'] !== false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: done
      ? {
          input_tokens: usage.inputTokens,
          input_tokens_details: { cached_tokens: usage.cachedInputTokens },
          output_tokens: usage.outputTokens,
          output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
          total_tokens: usage.inputTokens + usage.outputTokens,
        }
      : null,
    user: null,
    metadata: {},
  });
  const final = incomplete ? 'incomplete' : 'completed';

  if (body['stream'] !== true) {
    return { ...json(200, response(final, true), successHeaders(usage.inputTokens)), usage };
  }

  // The real event sequence, each as `event: <type>` plus `data: <json with type and sequence_number>`.
  let sequence = 0;
  const event = (type: string, fields: Json): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`;
  const messageIndex = reasoningItem.length;
  const events: string[] = [
    event('response.created', { response: response('in_progress', false) }),
    event('response.in_progress', { response: response('in_progress', false) }),
  ];
  for (const item of reasoningItem) {
    events.push(event('response.output_item.added', { output_index: 0, item }));
    events.push(event('response.output_item.done', { output_index: 0, item }));
  }
  const at = { item_id: message.id, output_index: messageIndex, content_index: 0 };
  events.push(
    event('response.output_item.added', {
      output_index: messageIndex,
      item: { ...message, status: 'in_progress', content: [] },
    }),
    event('response.content_part.added', { ...at, part: { ...textPart, text: '' } }),
    ...pieces(completion.text).map((delta) =>
      event('response.output_text.delta', { ...at, delta, logprobs: [] }),
    ),
    event('response.output_text.done', { ...at, text: completion.text, logprobs: [] }),
    event('response.content_part.done', { ...at, part: textPart }),
    event('response.output_item.done', { output_index: messageIndex, item: message }),
    event(`response.${final}`, { response: response(final, true) }),
  );
  return streamResponse(usage, events);
}

// ---------------------------------------------------------------------------------------------
// Embeddings

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

// ---------------------------------------------------------------------------------------------
// Routing

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
