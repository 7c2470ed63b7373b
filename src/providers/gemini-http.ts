/**
 * The Gemini API's REST wire as fetch hooks, for `createFetch('gemini')` (the Vercel AI SDK's
 * `@ai-sdk/google`, or any client of the Generative Language API). `@google/generative-ai` takes
 * no `fetch`, so `createClient('gemini')` meters its calls instead and does not use these.
 *
 * - the key goes in `x-goog-api-key` (what the AI SDK sends), and a `?key=` parameter is removed;
 * - `POST …/models/<model>:<method>`: `generateContent`, `streamGenerateContent` (`?alt=sse`:
 *   each event carries `usageMetadata` so far; the last one holds the totals), `embedContent`,
 *   `batchEmbedContents` (no usage on the wire: recorded without tokens), `countTokens`;
 * - usage from `usageMetadata` and the model from `modelVersion` (see `gemini-usage.ts`);
 * - errors from Google's `{"error":{"code","message","status","details"}}`.
 *
 * Operation names are those `createClient('gemini')` records for the same calls.
 * @module
 */
import { bareModel, geminiFailure, geminiUsage } from './gemini-usage.js';
import { asObject } from './json.js';
import type { HttpHooks, RequestPlan, ResponseUsage, StreamUsageReader } from './types.js';

const MODEL_CALL = /\/((?:models|tunedModels)\/[^/:]+):([A-Za-z]+)$/;

/** The REST method → the operation `createClient('gemini')` records. */
const OPERATIONS: Readonly<Record<string, string>> = {
  streamGenerateContent: 'generateContentStream',
};

function modelVersion(body: Record<string, unknown> | undefined, requested: string | null): string | null {
  const version = body?.['modelVersion'];
  return typeof version === 'string' && version !== '' ? version : requested;
}

/** Usage of a `streamGenerateContent` event stream: the last `usageMetadata` seen. */
function streamReader(requested: string | null): StreamUsageReader {
  let metadata: unknown;
  let model = requested;
  return {
    triggers: ['usageMetadata'],
    onEvent(_data, _event, json) {
      const body = asObject(json);
      if (body?.['usageMetadata'] !== undefined) metadata = body['usageMetadata'];
      model = modelVersion(body, model);
      return true;
    },
    result: (): ResponseUsage => geminiUsage(metadata, model),
  };
}

/** The Gemini REST hooks. */
export const geminiHttp: HttpHooks = {
  authorize(request, secret) {
    request.url.searchParams.delete('key');
    request.headers.set('x-goog-api-key', secret.reveal());
  },

  plan(request): RequestPlan {
    const call = MODEL_CALL.exec(request.url.pathname);
    if (call === null) return { operation: request.method === 'GET' ? 'models.get' : 'request', model: null };
    const method = call[2] as string;
    const model = bareModel(call[1]);
    const operation = OPERATIONS[method] ?? method;
    return method === 'streamGenerateContent'
      ? { operation, model, stream: streamReader(model) }
      : { operation, model };
  },

  usage(plan, body) {
    const fields = asObject(body);
    return geminiUsage(fields?.['usageMetadata'], modelVersion(fields, plan.model));
  },

  failureFromResponse(status, body, headers) {
    const error = asObject(asObject(body)?.['error']);
    const message = error?.['message'];
    return {
      ...geminiFailure(status, typeof message === 'string' ? message : undefined, error?.['details']),
      requestId: headers.get('x-request-id') ?? undefined,
    };
  },
};
