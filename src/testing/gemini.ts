/**
 * The Gemini simulator: the Generative Language API under `/gemini` (the SDK's `baseUrl`; it adds
 * `/v1beta/models/<model>:<method>` itself, so `apiPath` is empty), for both Gemini clients:
 * `@google/generative-ai` (`'gemini'`) and `@google/genai` (`'google-genai'`, whose
 * `models.embedContent` sends `:batchEmbedContents` and `models.list` `GET …/models?pageSize=…`;
 * its files, caches, batches and other resources get the 404 below). It serves
 * - `POST …/models/<model>:generateContent` and `:streamGenerateContent?alt=sse` (server-sent
 *   events, one `data:` line per partial `GenerateContentResponse`, no `[DONE]`);
 * - `POST …:countTokens`, `:embedContent`, `:batchEmbedContents`;
 * - `GET …/models` (paged with `pageSize` / `pageToken`) and `GET …/models/<model>`;
 * under `/v1beta`, `/v1` and `/v1alpha`, `models/` and `tunedModels/`. The key comes from the
 * `x-goog-api-key` header, else the `?key=` query parameter.
 *
 * Errors use Google's envelope, `{"error":{"code","message","status","details"}}`:
 * - a rejected key (or the `unauthorized` fault): HTTP **400** `INVALID_ARGUMENT` with the
 *   `ErrorInfo` reason `API_KEY_INVALID`, as Google answers, plus, as public reports show, a
 *   `DebugInfo` detail that **quotes the key the request carried**: the SDK copies it into its
 *   error message, which is what keycard's redaction must catch;
 * - no key at all: HTTP 403 `PERMISSION_DENIED` "Method doesn't allow unregistered callers";
 * - `forbidden`: 403 `PERMISSION_DENIED`, `ErrorInfo` `SERVICE_DISABLED` (API not enabled);
 * - `quota`: 429 `RESOURCE_EXHAUSTED` whose `QuotaFailure` names the free tier's per-day quota;
 * - `rate_limit`: 429 `RESOURCE_EXHAUSTED` whose `QuotaFailure` names the per-minute quota, with
 *   a `RetryInfo`. Both 429s carry Google's same message ("You exceeded your current quota,
 *   please check your plan and billing details…"): only the quota id tells them apart;
 * - `server_error`: 500 `INTERNAL`; `bad_json`: a 200 cut in the middle of the JSON (for a
 *   stream, a `data:` line cut short);
 * - a body that is not JSON, or a request with no `contents`: 400 `INVALID_ARGUMENT`;
 *   an unknown method or a model `GET` for a model it does not list: 404 `NOT_FOUND`.
 *
 * Token rules, on top of tokens.ts (so every number is predictable):
 * - **prompt** (`promptTokenCount`): the system instruction and every content are messages;
 *   `inlineData` / `fileData` parts are images; declared `tools` count as their JSON;
 * - **cache** (`cachedContentTokenCount`): a request naming a `cachedContent` reads
 *   {@link CACHED_CONTENT_TOKENS} more prompt tokens, all of them cached; otherwise the shared
 *   implicit-cache rule applies (half of a prompt of 64 tokens or more);
 * - **thinking** (`thoughtsTokenCount`): models of Gemini 2.5 and later (not `-lite` ones) and
 *   any `*thinking*` model think 4 × their visible output, capped by
 *   `generationConfig.thinkingConfig.thinkingBudget` (0 turns it off);
 * - **output limit** (`generationConfig.maxOutputTokens`): thinking counts against it first, the
 *   text is cut to what is left, and the finish reason is `MAX_TOKENS`;
 * - **embeddings**: 768 values (3072 for `gemini-embedding-*`), or `outputDimensionality`; the
 *   answers carry no token counts, as Google's do not. Token counting is free and not tallied.
 * The tally counts in keycard's terms: input = `promptTokenCount` (cached included), output =
 * `candidatesTokenCount` + `thoughtsTokenCount`, reasoning = `thoughtsTokenCount`.
 *
 * Streams carry a `usageMetadata` on every chunk (the candidates counted so far), as Google's do;
 * the last one holds the totals, which is the one the SDK keeps.
 * @module
 */

import { asObject, type Json } from '../providers/json.js';
import {
  CHARS_PER_TOKEN,
  cachedTokens,
  countTokens,
  embedding,
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

/** Prompt tokens a named `cachedContent` adds to a request, all of them read from the cache. */
export const CACHED_CONTENT_TOKENS = 1024;

const MODEL_CALL = /^\/(v1(?:alpha|beta)?)\/((?:models|tunedModels)\/[^/:]+):([A-Za-z]+)$/;
const MODEL_GET = /^\/(v1(?:alpha|beta)?)\/models(?:\/([^/:]+))?$/;

/** The models `GET …/models` lists. */
const CATALOG: readonly { id: string; display: string; methods: readonly string[] }[] = [
  { id: 'gemini-2.5-pro', display: 'Gemini 2.5 Pro', methods: ['generateContent', 'countTokens'] },
  { id: 'gemini-2.5-flash', display: 'Gemini 2.5 Flash', methods: ['generateContent', 'countTokens'] },
  {
    id: 'gemini-2.5-flash-lite',
    display: 'Gemini 2.5 Flash-Lite',
    methods: ['generateContent', 'countTokens'],
  },
  { id: 'gemini-2.0-flash', display: 'Gemini 2.0 Flash', methods: ['generateContent', 'countTokens'] },
  { id: 'text-embedding-004', display: 'Text Embedding 004', methods: ['embedContent'] },
  { id: 'gemini-embedding-001', display: 'Gemini Embedding 001', methods: ['embedContent'] },
];

const RATE_LIMIT_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';

function error(
  status: number,
  googleStatus: string,
  message: string,
  details: readonly unknown[] = [],
): SimulatedResponse {
  return json(status, {
    error: { code: status, message, status: googleStatus, ...(details.length > 0 ? { details } : {}) },
  });
}

const errorInfo = (reason: string, metadata: Record<string, string> = {}) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'googleapis.com',
  metadata: { service: 'generativelanguage.googleapis.com', ...metadata },
});

const quotaFailure = (quotaId: string, metric: string, model: string | null, value: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [
    {
      quotaMetric: `generativelanguage.googleapis.com/${metric}`,
      quotaId,
      quotaDimensions: { location: 'global', ...(model === null ? {} : { model }) },
      quotaValue: value,
    },
  ],
});

const help = {
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [
    {
      description: 'Learn more about Gemini API quotas',
      url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
    },
  ],
};

const retryInfo = (delay: string) => ({
  '@type': 'type.googleapis.com/google.rpc.RetryInfo',
  retryDelay: delay,
});

function sentKey(request: SimulatorRequest): string | undefined {
  const header = request.headers['x-goog-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const query = request.query.get('key');
  return query === null || query === '' ? undefined : query;
}

/** The bare model of a request path, `null` for requests that name none. */
function modelOfPath(path: string): string | null {
  const call = MODEL_CALL.exec(path);
  if (call !== null) return (call[2] as string).replace(/^(models|tunedModels)\//, '');
  return MODEL_GET.exec(path)?.[2] ?? null;
}

function isStream(request: SimulatorRequest): boolean {
  return MODEL_CALL.exec(request.path)?.[3] === 'streamGenerateContent';
}

function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized': {
      const key = sentKey(request);
      if (key === undefined) {
        return error(
          403,
          'PERMISSION_DENIED',
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        );
      }
      return error(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        errorInfo('API_KEY_INVALID'),
        {
          '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
          locale: 'en-US',
          message: 'API key not valid. Please pass a valid API key.',
        },
        // Google's debug detail quotes the key as it was sent.
        { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: `Invalid API key: ${key}` },
      ]);
    }
    case 'forbidden':
      return error(
        403,
        'PERMISSION_DENIED',
        'Generative Language API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=123456789012 then retry.',
        [
          errorInfo('SERVICE_DISABLED', {
            consumer: 'projects/123456789012',
            activationUrl:
              'https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=123456789012',
          }),
        ],
      );
    case 'quota':
      return error(429, 'RESOURCE_EXHAUSTED', RATE_LIMIT_MESSAGE, [
        quotaFailure(
          'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
          'generate_content_free_tier_requests',
          context.model,
          '250',
        ),
        help,
        retryInfo('43s'),
      ]);
    case 'rate_limit':
      return error(429, 'RESOURCE_EXHAUSTED', RATE_LIMIT_MESSAGE, [
        quotaFailure(
          'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          'generate_content_free_tier_requests',
          context.model,
          '10',
        ),
        help,
        retryInfo('7s'),
      ]);
    case 'server_error':
      return error(
        500,
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
    case 'bad_json':
      return isStream(request)
        ? {
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
            events: ['data: {"candidates":[{"content":{"par\r\n\r\n'],
          }
        : {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: '{"candidates":[{"content":{"par',
          };
  }
}

/** The text parts of a content (or a plain string) joined, and how many media parts it has. */
function partsOf(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  const parts = asObject(content)?.['parts'];
  let text = '';
  let images = 0;
  for (const part of Array.isArray(parts) ? parts : []) {
    const fields = asObject(part);
    if (typeof fields?.['text'] === 'string') text += fields['text'];
    else if (fields?.['inlineData'] !== undefined || fields?.['fileData'] !== undefined) images += 1;
  }
  return { text, images };
}

interface Prompt {
  messages: PromptMessage[];
  lastUser: string | undefined;
  tokens: number;
  cached: number;
}

/** The prompt of a `GenerateContentRequest`, counted by the module rules. */
function promptOf(body: Json): Prompt {
  const messages: PromptMessage[] = [];
  const system = partsOf(body['systemInstruction']);
  if (system.text !== '' || system.images > 0) messages.push({ role: 'system', ...system });
  let lastUser: string | undefined;
  for (const item of Array.isArray(body['contents']) ? body['contents'] : []) {
    const role = asObject(item)?.['role'] === 'model' ? 'assistant' : 'user';
    const content = partsOf(item);
    messages.push({ role, ...content });
    if (role === 'user') lastUser = content.text;
  }
  const tools = Array.isArray(body['tools']) && body['tools'].length > 0 ? JSON.stringify(body['tools']) : '';
  const own = promptTokens(messages, tools);
  const named = typeof body['cachedContent'] === 'string' && body['cachedContent'] !== '';
  return named
    ? { messages, lastUser, tokens: own + CACHED_CONTENT_TOKENS, cached: CACHED_CONTENT_TOKENS }
    : { messages, lastUser, tokens: own, cached: cachedTokens(own) };
}

/** Whether `model` thinks by default: Gemini 2.5 and later (not `-lite`), and `*thinking*` models. */
export function geminiThinks(model: string): boolean {
  if (/thinking/.test(model)) return true;
  if (/lite/.test(model)) return false;
  const version = /gemini-(\d+(?:\.\d+)?)/.exec(model)?.[1];
  return version !== undefined && Number(version) >= 2.5;
}

/** A non-negative whole number from a request field, `undefined` when it is not one. */
function whole(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

interface Answer {
  text: string;
  candidates: number;
  thoughts: number;
  finishReason: 'STOP' | 'MAX_TOKENS';
}

function answer(model: string, lastUser: string | undefined, config: Json | undefined): Answer {
  const full = replyText(lastUser);
  const visible = countTokens(full);
  const budget = whole(asObject(config?.['thinkingConfig'])?.['thinkingBudget']);
  const wanted = geminiThinks(model) ? REASONING_FACTOR * visible : 0;
  const thinking = budget === undefined ? wanted : Math.min(wanted, budget);
  const limit = whole(config?.['maxOutputTokens']);
  if (limit === undefined || thinking + visible <= limit) {
    return { text: full, candidates: visible, thoughts: thinking, finishReason: 'STOP' };
  }
  const thoughts = Math.min(thinking, limit);
  const text = [...full].slice(0, (limit - thoughts) * CHARS_PER_TOKEN).join('');
  return { text, candidates: countTokens(text), thoughts, finishReason: 'MAX_TOKENS' };
}

function generate(model: string, body: Json, stream: boolean, context: SimulatorContext): SimulatedResponse {
  const prompt = promptOf(body);
  const reply = answer(model, prompt.lastUser, asObject(body['generationConfig']));
  const usageMetadata = (candidates: number) => ({
    promptTokenCount: prompt.tokens,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt.tokens + candidates + reply.thoughts,
    ...(prompt.cached > 0 ? { cachedContentTokenCount: prompt.cached } : {}),
    ...(reply.thoughts > 0 ? { thoughtsTokenCount: reply.thoughts } : {}),
  });
  const served: SimulatedUsage = {
    inputTokens: prompt.tokens,
    cachedInputTokens: prompt.cached,
    outputTokens: reply.candidates + reply.thoughts,
    reasoningTokens: reply.thoughts,
  };
  const candidate = (text: string, finished: boolean) => ({
    content: text === '' ? { role: 'model' } : { parts: [{ text }], role: 'model' },
    ...(finished ? { finishReason: reply.finishReason } : {}),
    index: 0,
  });
  const responseId = context.requestId.replace(/^req_/, '').slice(-22);
  if (!stream) {
    return {
      ...json(200, {
        candidates: [candidate(reply.text, true)],
        usageMetadata: usageMetadata(reply.candidates),
        modelVersion: model,
        responseId,
      }),
      usage: served,
    };
  }
  const pieces = reply.text === '' ? [''] : reply.text.split(/(?<= )/);
  let sent = '';
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    events: pieces.map((piece, index) => {
      const last = index === pieces.length - 1;
      sent += piece;
      const chunk = {
        candidates: [candidate(piece, last)],
        usageMetadata: usageMetadata(last ? reply.candidates : countTokens(sent)),
        modelVersion: model,
        responseId,
      };
      return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
    }),
    usage: served,
  };
}

function noContents(): SimulatedResponse {
  return error(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified\n');
}

function hasContents(body: Json): boolean {
  return Array.isArray(body['contents']) && body['contents'].length > 0;
}

function embeddingOf(model: string, request: unknown): { values: number[] } {
  const fields = asObject(request);
  const dimensions = whole(fields?.['outputDimensionality']) ?? (/gemini-embedding/.test(model) ? 3072 : 768);
  return { values: embedding(partsOf(fields?.['content']).text, Math.max(1, dimensions)) };
}

const modelInfo = (entry: (typeof CATALOG)[number]) => ({
  name: `models/${entry.id}`,
  version: '001',
  displayName: entry.display,
  inputTokenLimit: entry.methods.includes('embedContent') ? 2048 : 1048576,
  outputTokenLimit: entry.methods.includes('embedContent') ? 1 : 65536,
  supportedGenerationMethods: entry.methods,
  ...(geminiThinks(entry.id) ? { thinking: true } : {}),
});

function listModels(request: SimulatorRequest): SimulatedResponse {
  const size = whole(Number(request.query.get('pageSize') ?? '50')) || 50;
  const start = whole(Number(request.query.get('pageToken') ?? '0')) ?? 0;
  const page = CATALOG.slice(start, start + size);
  const next = start + size < CATALOG.length ? String(start + size) : undefined;
  return json(200, {
    models: page.map(modelInfo),
    ...(next === undefined ? {} : { nextPageToken: next }),
  });
}

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  if (request.jsonInvalid) {
    return error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unexpected token.');
  }
  const got = MODEL_GET.exec(request.path);
  if (got !== null && request.method === 'GET') {
    const [, version = 'v1beta', id] = got;
    if (id === undefined) return listModels(request);
    const entry = CATALOG.find((item) => item.id === id);
    return entry === undefined
      ? error(404, 'NOT_FOUND', `models/${id} is not found for API version ${version}`)
      : json(200, modelInfo(entry));
  }
  const call = MODEL_CALL.exec(request.path);
  if (call === null || request.method !== 'POST') {
    return error(404, 'NOT_FOUND', 'The requested URL was not found on this server.');
  }
  const model = modelOfPath(request.path) ?? '';
  const body = asObject(request.json) ?? {};
  switch (call[3]) {
    case 'generateContent':
    case 'streamGenerateContent':
      return hasContents(body)
        ? generate(model, body, call[3] === 'streamGenerateContent', context)
        : noContents();
    case 'countTokens': {
      const inner = asObject(body['generateContentRequest']) ?? body;
      if (!hasContents(inner)) return noContents();
      const prompt = promptOf(inner);
      return json(200, {
        totalTokens: prompt.tokens,
        ...(typeof inner['cachedContent'] === 'string' ? { cachedContentTokenCount: prompt.cached } : {}),
      });
    }
    case 'embedContent':
      return json(200, { embedding: embeddingOf(model, body) });
    case 'batchEmbedContents': {
      const requests = Array.isArray(body['requests']) ? body['requests'] : [];
      return json(200, { embeddings: requests.map((item) => embeddingOf(model, item)) });
    }
    default:
      return error(404, 'NOT_FOUND', `Method not found: ${call[3]}.`);
  }
}

/** The Gemini side of the simulator. */
export const geminiSimulator: ProviderSimulator = {
  id: 'gemini',
  apiPath: '',
  credential: sentKey,
  modelOf: (request) => modelOfPath(request.path),
  commonHeaders: () => ({}),
  fail,
  handle,
};
