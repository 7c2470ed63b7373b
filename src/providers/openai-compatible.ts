/**
 * The adapter behind every provider reached through the official `openai` SDK: OpenAI itself,
 * and vendors with an OpenAI-compatible API (xAI). Wire facts: shared/research/sdks.md §3.1.
 * @module
 */
import type { ClientOptions, OpenAI } from 'openai';
import { importOptional } from '../import-optional.js';
import { nulledEnvHeaders } from './env-headers.js';
import type { ProviderId } from './ids.js';
import { asObject, count, lazyModelPlan, mayStream, safeParse } from './json.js';
import { isClassWith, sdkFromUser } from './load.js';
import type {
  AdapterContext,
  FailureClass,
  KeyIdentity,
  ProviderAdapter,
  ProviderFailure,
  RequestPlan,
  ResponseUsage,
  StreamUsageReader,
} from './types.js';

/** What `sdkOptions` may hold for an OpenAI-SDK provider: everything but the key and transport. */
export type OpenAISdkOptions = Omit<ClientOptions, 'apiKey' | 'fetch' | 'baseURL' | 'timeout' | 'maxRetries'>;

/**
 * The SDK is given this instead of the key: keycard's fetch puts the real key on each request,
 * so the SDK object (which `util.inspect` prints whole) never holds it.
 */
export const SDK_KEY_PLACEHOLDER = 'keycard-managed-key';

/** Operations already named, by method and path (a client calls few distinct paths). */
const operations = new Map<string, string>();

/** The operation, from the path after `/v1/`: `chat/completions` → `chat.completions`. */
export function operationOf(url: URL, method: string): string {
  const id = `${method} ${url.pathname}`;
  let operation = operations.get(id);
  if (operation === undefined) {
    operation = nameOperation(url, method);
    // Paths with ids (`/files/file-…`) are many: the cache is bounded.
    if (operations.size >= 512) operations.clear();
    operations.set(id, operation);
  }
  return operation;
}

function nameOperation(url: URL, method: string): string {
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const v1 = segments.lastIndexOf('v1');
  const path = v1 === -1 ? segments.slice(-2) : segments.slice(v1 + 1);
  // Ids (`resp_…`, `file-…`, model names after `models/`) are not part of the operation.
  const named: string[] = [];
  for (const [index, segment] of path.entries()) {
    if (index > 0 && (/\d/.test(segment) || path[index - 1] === 'models')) {
      named.push(method === 'DELETE' ? 'delete' : 'retrieve');
      break;
    }
    named.push(segment);
  }
  if (named.length === 1 && method === 'GET') named.push('list');
  return named.join('.') || 'unknown';
}

/** Usage of a Chat Completions or Responses body (`usage` object), in keycard's terms. */
export function openAIUsage(usage: unknown, model: string | null): ResponseUsage {
  const fields = asObject(usage);
  const inputDetails = asObject(fields?.['prompt_tokens_details'] ?? fields?.['input_tokens_details']);
  const outputDetails = asObject(fields?.['completion_tokens_details'] ?? fields?.['output_tokens_details']);
  const input = count(fields?.['prompt_tokens'] ?? fields?.['input_tokens']);
  const output = count(fields?.['completion_tokens'] ?? fields?.['output_tokens']);
  return {
    model,
    inputTokens: input,
    cachedInputTokens: count(inputDetails?.['cached_tokens']),
    cacheWriteTokens: count(inputDetails?.['cache_write_tokens']),
    // Embeddings have input only: their output is zero, not unknown.
    outputTokens: output ?? (input !== null && fields?.['total_tokens'] === input ? 0 : null),
    reasoningTokens: count(outputDetails?.['reasoning_tokens']),
  };
}

const USAGE_IN_CHUNK = /"usage"\s*:\s*\{/;
/** What `USAGE_IN_CHUNK` finds, as the stream pass-through's triggers (JSON with and without spaces). */
const USAGE_TRIGGERS = ['"usage":{', '"usage": {'];

/** Chat Completions stream: usage arrives in a last chunk with no choices (when asked for). */
function chatStreamReader(model: string | null, dropUsageChunk: boolean): StreamUsageReader {
  let usage: ResponseUsage = openAIUsage(undefined, model);
  let seenModel = model;
  let first = true;
  return {
    onEvent(data, _event, json) {
      if (data === '[DONE]') return true;
      if (!first && !USAGE_IN_CHUNK.test(data)) return true;
      const chunk = asObject(json ?? safeParse(data));
      if (first) {
        first = false;
        if (typeof chunk?.['model'] === 'string') seenModel = chunk['model'];
      }
      if (chunk?.['usage'] === undefined || chunk['usage'] === null) return true;
      usage = openAIUsage(chunk['usage'], typeof chunk['model'] === 'string' ? chunk['model'] : seenModel);
      const choices = chunk['choices'];
      return !(dropUsageChunk && Array.isArray(choices) && choices.length === 0);
    },
    triggers: USAGE_TRIGGERS,
    result: () => ({ ...usage, model: usage.model ?? seenModel }),
  };
}

/** Responses stream: usage is in `response.completed` (or `.incomplete`/`.failed`). */
function responsesStreamReader(model: string | null): StreamUsageReader {
  let usage: ResponseUsage = openAIUsage(undefined, model);
  return {
    onEvent(data, event, json) {
      const name = event ?? '';
      if (name !== '' && !/^response\.(completed|incomplete|failed)$/.test(name)) return true;
      if (name === '' && !USAGE_IN_CHUNK.test(data)) return true;
      const response = asObject(asObject(json ?? safeParse(data))?.['response']);
      if (response?.['usage'] !== undefined) {
        usage = openAIUsage(
          response['usage'],
          typeof response['model'] === 'string' ? response['model'] : model,
        );
      }
      return true;
    },
    triggers: ['response.completed', 'response.incomplete', 'response.failed'],
    result: () => usage,
  };
}

/** Headers the SDK sets itself: a `null` for them in `defaultHeaders` would remove them. */
const SDK_OWN_HEADERS = ['accept', 'content-type', 'user-agent', 'openai-organization', 'openai-project'];

/** What differs between OpenAI-SDK providers. */
export interface OpenAICompatibleSpec {
  id: ProviderId;
  /** The API root the SDK talks to when no `baseURL` is set. */
  defaultBaseURL: string;
  /** Hints for each key problem, with the provider's own URLs. */
  hints: { unauthorized: string; forbidden: string; quota_exceeded: string };
  /**
   * Maps failures the OpenAI rules get wrong for this provider (e.g. a 400 for a bad key);
   * `undefined` falls back to them.
   */
  classify?: (failure: ProviderFailure, hints: OpenAICompatibleSpec['hints']) => FailureClass | undefined;
  /** The `verify()` call, when it is not `GET /models`. */
  verify?: (sdk: OpenAI) => Promise<KeyIdentity>;
  /**
   * Whether the service takes `stream_options` (OpenAI's way to ask for usage in a chat stream).
   * `false` for a service that refuses the field and sends usage in a stream's last chunk unasked
   * (Mistral): keycard then sends the request as given and reads that chunk.
   * @default true
   */
  streamOptions?: boolean;
  /**
   * Whether the service's error bodies are flat (`{ message, type, code }` at the top, Mistral)
   * instead of OpenAI's `{ error: { … } }`. The OpenAI SDK reads only the latter (its error would
   * say "401 status code (no body)"), so keycard hands it the body inside OpenAI's envelope:
   * `{ error: <the service's body> }`, every field kept.
   * @default false
   */
  flatErrors?: boolean;
}

/** `value` when it is a string. */
function textOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The error body's inner `error`: OpenAI sends an object, some compatible vendors a string; and
 * Mistral no envelope at all (`{ object: 'error', message, type, code }` at the top, or
 * `{ detail }`), read from `body` when `error` is absent. A message that is not text (Mistral's
 * validation errors carry an object) is left out.
 */
function innerError(error: unknown, body?: unknown): ProviderFailure {
  const inner = asObject(error);
  const top = error === undefined ? asObject(body) : undefined;
  return {
    code: textOf(inner?.['code']) ?? textOf(asObject(body)?.['code']),
    type: textOf(inner?.['type']) ?? textOf(top?.['type']),
    message:
      textOf(inner?.['message']) ??
      textOf(inner?.['detail']) ??
      textOf(error) ??
      textOf(top?.['message']) ??
      textOf(top?.['detail']),
  };
}

/** Reads `APIError` fields (status, inner error object, request id) without importing the SDK. */
function failureFromSdkError(error: unknown): ProviderFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error & {
    status?: unknown;
    error?: unknown;
    code?: unknown;
    type?: unknown;
    requestID?: unknown;
  };
  if (typeof fields.status !== 'number') return undefined;
  const inner = innerError(fields.error);
  return {
    ...inner,
    status: fields.status,
    code: typeof fields.code === 'string' ? fields.code : inner.code,
    type: typeof fields.type === 'string' ? fields.type : inner.type,
    requestId:
      typeof fields.requestID === 'string'
        ? fields.requestID
        : textOf(asObject(fields.error)?.['request_id']),
  };
}

/** Builds the adapter for one OpenAI-SDK provider. */
/** What the `sdk` option takes for OpenAI and xAI: the SDK's `OpenAI` class, or its module. */
export type OpenAISdkSource = typeof OpenAI | typeof import('openai');

export function openAICompatible(
  spec: OpenAICompatibleSpec,
): ProviderAdapter<OpenAI, typeof import('openai'), OpenAISdkOptions, OpenAISdkSource> {
  const classify = (failure: ProviderFailure): FailureClass => {
    const special = spec.classify?.(failure, spec.hints);
    if (special !== undefined) return special;
    const quota = failure.code === 'insufficient_quota' || failure.type === 'insufficient_quota';
    if (failure.status === 401)
      return { outcome: 'unauthorized', reason: 'unauthorized', hint: spec.hints.unauthorized };
    if (failure.status === 403)
      return { outcome: 'forbidden', reason: 'forbidden', hint: spec.hints.forbidden };
    // 402 Payment Required: what the compatible services (DeepSeek, OpenRouter, Together) answer
    // when the account or key has no credit left; OpenAI itself never sends it.
    if ((failure.status === 429 && quota) || failure.status === 402) {
      return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: spec.hints.quota_exceeded };
    }
    // A plain 429 is a transient rate limit, not a key problem: the SDK's RateLimitError stays.
    if (failure.status === 429) return { outcome: 'rate_limited' };
    return { outcome: 'error' };
  };

  return {
    id: spec.id,
    packageName: 'openai',
    load: () => importOptional<typeof import('openai')>('openai'),
    fromUser: (given) =>
      sdkFromUser(given, {
        provider: spec.id,
        packageName: 'openai',
        exportName: 'OpenAI',
        isExport: (value) => isClassWith(value, ['OpenAIError'], ['makeRequest']),
        fromExport: (OpenAIClass) => ({ OpenAI: OpenAIClass }) as typeof import('openai'),
      }),

    create(module, context: AdapterContext<OpenAISdkOptions>) {
      const OpenAIClass = module.OpenAI;
      const user = context.sdkOptions;
      // The SDK reads OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, OPENAI_ADMIN_KEY,
      // OPENAI_WEBHOOK_SECRET and OPENAI_CUSTOM_HEADERS by itself. keycard passes explicit
      // values, so that only what the user configured applies.
      const nulled = nulledEnvHeaders('OPENAI_CUSTOM_HEADERS', SDK_OWN_HEADERS);
      return new OpenAIClass({
        organization: null,
        project: null,
        adminAPIKey: null,
        webhookSecret: null,
        logger: context.logger,
        ...user,
        defaultHeaders: { ...nulled, ...user.defaultHeaders },
        apiKey: SDK_KEY_PLACEHOLDER,
        baseURL: context.baseURL ?? spec.defaultBaseURL,
        fetch: context.fetch,
        ...(context.timeout === undefined ? {} : { timeout: context.timeout }),
        ...(context.maxRetries === undefined ? {} : { maxRetries: context.maxRetries }),
      });
    },

    http: {
      authorize(request, secret) {
        request.headers.set('authorization', `Bearer ${secret.reveal()}`);
      },

      plan(request): RequestPlan {
        const operation = operationOf(request.url, request.method);
        if (!mayStream(request.bodyText)) return lazyModelPlan(operation, request.bodyText);
        const body = request.bodyText === undefined ? undefined : asObject(safeParse(request.bodyText));
        const model = typeof body?.['model'] === 'string' ? body['model'] : null;
        if (body?.['stream'] !== true) return { operation, model };
        if (operation === 'responses') return { operation, model, stream: responsesStreamReader(model) };
        if (operation !== 'chat.completions') return { operation, model };
        // Chat streams carry usage only when asked. keycard asks, and hides the extra chunk from
        // the SDK, so the caller sees the stream it asked for. An explicit choice is respected.
        const streamOptions = asObject(body['stream_options']);
        // A service that refuses `stream_options` and sends usage unasked: nothing to add or hide.
        if (spec.streamOptions === false || streamOptions?.['include_usage'] !== undefined) {
          return { operation, model, stream: chatStreamReader(model, false) };
        }
        const bodyText = JSON.stringify({
          ...body,
          stream_options: { ...streamOptions, include_usage: true },
        });
        return { operation, model, bodyText, stream: chatStreamReader(model, true) };
      },

      usage(plan, body) {
        const json = asObject(body);
        const model = typeof json?.['model'] === 'string' ? json['model'] : plan.model;
        return openAIUsage(json?.['usage'], model);
      },

      // A flat error body (no `error` inside) is handed to the SDK in OpenAI's envelope.
      ...(spec.flatErrors === true
        ? {
            errorBody: (body: unknown) =>
              asObject(body) !== undefined && asObject(body)?.['error'] === undefined
                ? { error: body }
                : body,
          }
        : {}),

      failureFromResponse(status, body, headers) {
        return {
          ...innerError(asObject(body)?.['error'], body),
          status,
          // Mistral names the request in the body (`request_id`) rather than in a header.
          requestId: headers.get('x-request-id') ?? textOf(asObject(body)?.['request_id']),
        };
      },
    },

    failureFromError: failureFromSdkError,
    classify,

    async verify(sdk): Promise<KeyIdentity> {
      if (spec.verify !== undefined) return spec.verify(sdk);
      // GET /models needs a valid key, costs nothing, and every answer names the key's
      // organisation and project in its headers.
      const { data, response } = await sdk.models.list().withResponse();
      return {
        organization: response.headers.get('openai-organization') ?? undefined,
        project: response.headers.get('openai-project') ?? undefined,
        models: data.data.length,
      };
    },
  };
}
