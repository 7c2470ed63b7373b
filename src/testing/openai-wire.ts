/**
 * What the OpenAI simulator's handlers share: OpenAI's response and error envelopes, headers,
 * prompt reading and token accounting, and server-sent events.
 * @module
 */
import { type Completion, cachedTokens, type PromptMessage, promptTokens } from './tokens.js';
import type { SimulatedResponse, SimulatedUsage, SimulatorContext, SimulatorRequest } from './types.js';

export type Json = Record<string, unknown>;

/** The organisation and project every successful answer names (keycard's `verify()` reads them). */
export const SIMULATED_ORGANIZATION = 'org-simulated';

/** See {@link SIMULATED_ORGANIZATION}. */
export const SIMULATED_PROJECT = 'proj_simulated';

export const RATE_LIMIT_REQUESTS = 10_000;

export const RATE_LIMIT_TOKENS = 30_000_000;

export function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimulatedResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** OpenAI's error envelope. */
export function error(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
  headers: Record<string, string> = {},
): SimulatedResponse {
  return json(status, { error: { message, type, param, code } }, headers);
}

/**
 * An OpenAI answer as an OpenAI-compatible service sends it: without the `openai-organization`
 * and `openai-project` headers, which only OpenAI sends.
 */
export function withoutOpenAIHeaders(response: SimulatedResponse): SimulatedResponse {
  if (response.headers === undefined) return response;
  const headers = Object.fromEntries(
    Object.entries(response.headers).filter(([name]) => !name.startsWith('openai-')),
  );
  return { ...response, headers };
}

export const NO_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";

export const BAD_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

/** Headers of every successful answer: who the key belongs to, and the rate-limit budget left. */
export function successHeaders(inputTokens: number): Record<string, string> {
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

export function isStream(request: SimulatorRequest): boolean {
  return asObject(request.json)?.['stream'] === true;
}

/** The id part of generated ids (`chatcmpl-…`, `resp_…`), from the request id. */
export function idOf(context: SimulatorContext): string {
  return context.requestId.replace(/^req_/, '');
}

export const now = (): number => Math.floor(Date.now() / 1000);

/** `decodeURIComponent`, keeping the text as it is when it is not valid percent-encoding. */
export function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Text and image count of a message's `content` (a string or a list of parts). */
export function contentOf(content: unknown): { text: string; images: number } {
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
export function promptMessage(item: unknown): PromptMessage | undefined {
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

export interface Prompt {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly lastUserText: string | undefined;
}

export function promptOf(messages: readonly PromptMessage[], tools: unknown): Prompt {
  const inputTokens = promptTokens(messages, tools === undefined ? '' : JSON.stringify(tools));
  const lastUser = messages.findLast((message) => message.role === 'user');
  return { inputTokens, cachedInputTokens: cachedTokens(inputTokens), lastUserText: lastUser?.text };
}

export function limitOf(body: Json, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = body[name];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

export function usageOf(prompt: Prompt, completion: Completion): SimulatedUsage {
  return {
    inputTokens: prompt.inputTokens,
    cachedInputTokens: prompt.cachedInputTokens,
    outputTokens: completion.outputTokens,
    reasoningTokens: completion.reasoningTokens,
  };
}

/** The word-by-word pieces a stream sends the text in. */
export function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

export function streamResponse(usage: SimulatedUsage, events: readonly string[]): SimulatedResponse {
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
export function missing(param: string): SimulatedResponse {
  return error(
    400,
    `Missing required parameter: '${param}'.`,
    'invalid_request_error',
    'missing_required_parameter',
    param,
  );
}

export const NO_MODEL = (): SimulatedResponse =>
  error(400, 'you must provide a model parameter', 'invalid_request_error');
