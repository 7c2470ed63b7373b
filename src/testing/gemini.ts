/**
 * The Gemini simulator: the Generative Language API's `:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:countTokens`, `:embedContent` and `:batchEmbedContents`
 * under `/v1beta/models/<model>` (and `/v1/…`), with Google's error envelope
 * (`{"error":{"code","message","status","details"}}`). Keys come from `x-goog-api-key` or `?key=`.
 *
 * Token rules (on top of tokens.ts): the prompt is the system instruction plus every content;
 * cached tokens follow the shared rule (half of a prompt of 64 tokens or more); models whose name
 * contains `pro` or `thinking` think for 4 × their visible output (`thoughtsTokenCount`). The
 * tally counts the prompt as input and candidates plus thoughts as output, as keycard does.
 *
 * A rejected key is answered like Google does (HTTP 400 `API_KEY_INVALID`), and, as public
 * reports show, with a `DebugInfo` detail that echoes the key: the SDK copies it into its error
 * message, which is what keycard's redaction must catch.
 * @module
 */

import { asObject, type Json } from '../providers/json.js';
import {
  cachedTokens,
  countTokens,
  embedding,
  type PromptMessage,
  promptTokens,
  replyText,
} from './tokens.js';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';
import { json } from './wire.js';

const MODEL_PATH = /^\/v1(?:beta)?\/(?:models|tunedModels)\/([^/:]+):([A-Za-z]+)$/;
const THINKING = /pro|thinking/;
const EMBEDDING_DIMENSIONS = 768;

function error(
  status: number,
  googleStatus: string,
  message: string,
  details: unknown[] = [],
): SimulatedResponse {
  return json(status, { error: { code: status, message, status: googleStatus, details } });
}

const errorInfo = (reason: string) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'googleapis.com',
  metadata: { service: 'generativelanguage.googleapis.com' },
});

const quotaFailure = (quotaId: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId }],
});

function sentKey(request: SimulatorRequest): string | undefined {
  const header = request.headers['x-goog-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  return request.query.get('key') ?? undefined;
}

function fail(fault: HttpFault, request: SimulatorRequest, _context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized': {
      const key = sentKey(request);
      const details: unknown[] = [errorInfo('API_KEY_INVALID')];
      if (key !== undefined) {
        details.push({
          '@type': 'type.googleapis.com/google.rpc.DebugInfo',
          detail: `Invalid API key: ${key}`,
        });
      }
      return error(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', details);
    }
    case 'forbidden':
      return error(403, 'PERMISSION_DENIED', 'The caller does not have permission', [
        errorInfo('SERVICE_DISABLED'),
      ]);
    case 'quota':
      return error(
        429,
        'RESOURCE_EXHAUSTED',
        'You exceeded your current quota, please check your plan and billing details.',
        [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier')],
      );
    case 'rate_limit':
      return error(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
        quotaFailure('GenerateRequestsPerMinutePerProjectPerModel'),
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
      ]);
    case 'server_error':
      return error(
        500,
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
    case 'bad_json':
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"candidates":[{"content":{"par',
      };
  }
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  const parts = asObject(content)?.['parts'];
  if (!Array.isArray(parts)) return '';
  return parts
    .map((part) => {
      const text = asObject(part)?.['text'];
      return typeof text === 'string' ? text : '';
    })
    .join('');
}

function promptOf(body: Json): { messages: PromptMessage[]; lastUser: string | undefined } {
  const messages: PromptMessage[] = [];
  const system = textOf(body['systemInstruction']);
  if (system !== '') messages.push({ role: 'system', text: system, images: 0 });
  let lastUser: string | undefined;
  for (const item of Array.isArray(body['contents']) ? body['contents'] : []) {
    const role = asObject(item)?.['role'] === 'model' ? 'assistant' : 'user';
    const text = textOf(item);
    messages.push({ role, text, images: 0 });
    if (role === 'user') lastUser = text;
  }
  return { messages, lastUser };
}

function generate(model: string, body: Json, stream: boolean): SimulatedResponse {
  const { messages, lastUser } = promptOf(body);
  const prompt = promptTokens(messages);
  const text = replyText(lastUser);
  const candidates = countTokens(text);
  const thoughts = THINKING.test(model) ? 4 * candidates : 0;
  const cached = cachedTokens(prompt);
  const usageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
  const served = {
    inputTokens: prompt,
    cachedInputTokens: cached,
    outputTokens: candidates + thoughts,
    reasoningTokens: thoughts,
  };
  const candidate = (part: string, finished: boolean) => ({
    content: { parts: [{ text: part }], role: 'model' },
    ...(finished ? { finishReason: 'STOP' } : {}),
    index: 0,
  });
  if (!stream) {
    return {
      ...json(200, { candidates: [candidate(text, true)], usageMetadata, modelVersion: model }),
      usage: served,
    };
  }
  const pieces = text.split(/(?<= )/);
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    events: pieces.map((piece, index) => {
      const last = index === pieces.length - 1;
      const chunk = {
        candidates: [candidate(piece, last)],
        ...(last ? { usageMetadata } : {}),
        modelVersion: model,
      };
      return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
    }),
    usage: served,
  };
}

function handle(request: SimulatorRequest, _context: SimulatorContext): SimulatedResponse {
  const match = MODEL_PATH.exec(request.path);
  if (request.jsonInvalid) return error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
  if (match === null || request.method !== 'POST') {
    return error(404, 'NOT_FOUND', `Requested entity was not found.`);
  }
  const [, model = '', task] = match;
  const body = asObject(request.json) ?? {};
  switch (task) {
    case 'generateContent':
      return generate(model, body, false);
    case 'streamGenerateContent':
      return generate(model, body, true);
    case 'countTokens': {
      const inner = asObject(body['generateContentRequest']) ?? body;
      return json(200, { totalTokens: promptTokens(promptOf(inner).messages) });
    }
    case 'embedContent':
      return json(200, { embedding: { values: embedding(textOf(body['content']), EMBEDDING_DIMENSIONS) } });
    case 'batchEmbedContents': {
      const requests = Array.isArray(body['requests']) ? body['requests'] : [];
      return json(200, {
        embeddings: requests.map((item) => ({
          values: embedding(textOf(asObject(item)?.['content']), EMBEDDING_DIMENSIONS),
        })),
      });
    }
    default:
      return error(404, 'NOT_FOUND', `Method ${task} not found.`);
  }
}

/** The Gemini side of the simulator. */
export const geminiSimulator: ProviderSimulator = {
  id: 'gemini',
  apiPath: '',
  credential: sentKey,

  modelOf(request) {
    const model = MODEL_PATH.exec(request.path)?.[1];
    return model === undefined ? null : model;
  },

  commonHeaders() {
    return {};
  },

  fail,
  handle,
};
