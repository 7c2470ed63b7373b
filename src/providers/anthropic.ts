/**
 * Anthropic, through the official `@anthropic-ai/sdk` (1.x). `createClient('anthropic')` returns
 * an `Anthropic` client. Wire facts: shared/research/sdks.md §3.2.
 *
 * What keycard pins, so that the environment cannot change it:
 * - the credential: the SDK gets a placeholder key and keycard's `fetch` puts the real key on
 *   each request (`Authorization: Bearer`, or `x-api-key` where the SDK sent that header). With an
 *   explicit credential the SDK never reads `ANTHROPIC_API_KEY` or `ANTHROPIC_AUTH_TOKEN`, and never
 *   runs its default credential chain (profile files under `~/.config/anthropic`, workload
 *   identity variables);
 * - `baseURL` (so `ANTHROPIC_BASE_URL` does not apply), `webhookKey: null` (so the
 *   `ANTHROPIC_WEBHOOK_SIGNING_KEY` secret is not copied onto the client), and every header named
 *   in `ANTHROPIC_CUSTOM_HEADERS`, nulled (the SDK would add them to every request);
 * - the logger: the SDK's log lines go through keycard's redacting logger.
 *
 * Not pinned: `ANTHROPIC_LOG` (the log level you asked for) and the SDK's deprecated-model
 * `console.warn`, which it prints straight to the console.
 * @module
 */
import type { Anthropic, ClientOptions } from '@anthropic-ai/sdk';
import { operationOf } from './openai-compatible.js';
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

/** What `sdkOptions` may hold for Anthropic: everything but the credential and transport. */
export type AnthropicSdkOptions = Omit<
  ClientOptions,
  | 'apiKey'
  | 'authToken'
  | 'credentials'
  | 'config'
  | 'profile'
  | 'fetch'
  | 'baseURL'
  | 'timeout'
  | 'maxRetries'
>;

/** The SDK is given this instead of the key; keycard's fetch replaces it on the wire. */
const SDK_KEY_PLACEHOLDER = 'keycard-managed-key';

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Anthropic's `usage`, in keycard's terms: `input_tokens` excludes cache reads and writes, so the
 * input is their sum.
 */
export function anthropicUsage(usage: unknown, model: string | null): ResponseUsage {
  const fields = asObject(usage);
  const input = count(fields?.['input_tokens']);
  const read = count(fields?.['cache_read_input_tokens']);
  const write = count(fields?.['cache_creation_input_tokens']);
  return {
    model,
    inputTokens:
      input === null && read === null && write === null ? null : (input ?? 0) + (read ?? 0) + (write ?? 0),
    cachedInputTokens: read,
    cacheWriteTokens: write,
    outputTokens: count(fields?.['output_tokens']),
    reasoningTokens: null,
  };
}

/** A Messages stream: input and cache tokens in `message_start`, cumulative output in `message_delta`. */
function messagesStreamReader(model: string | null): StreamUsageReader {
  let start: Json = {};
  let delta: Json = {};
  let seenModel = model;
  return {
    onEvent(data, event) {
      if (event !== 'message_start' && event !== 'message_delta') return true;
      const payload = asObject(safeParse(data));
      if (event === 'message_start') {
        const message = asObject(payload?.['message']);
        start = asObject(message?.['usage']) ?? {};
        if (typeof message?.['model'] === 'string') seenModel = message['model'];
      } else delta = { ...delta, ...asObject(payload?.['usage']) };
      return true;
    },
    result: () => anthropicUsage({ ...start, ...delta }, seenModel),
  };
}

/** Names in `ANTHROPIC_CUSTOM_HEADERS` ("Name: value" lines), which the SDK adds to every request. */
function customHeaderNames(): string[] {
  const raw = process.env['ANTHROPIC_CUSTOM_HEADERS'];
  if (raw === undefined) return [];
  return raw
    .split(/\r?\n/)
    .map((line) => line.split(':')[0]?.trim() ?? '')
    .filter((name) => name !== '');
}

const CREDIT = /credit balance|billing|purchase credits/i;

const HINTS = {
  unauthorized:
    'The key is wrong, disabled or deleted: create a new one at https://console.anthropic.com/settings/keys and update the key source.',
  forbidden:
    "The key works but may not do this: check the workspace's model access and the key's permissions at https://console.anthropic.com/settings/workspaces.",
  quota_exceeded:
    'The organisation behind this key is out of credit: buy credits or raise the spend limit at https://console.anthropic.com/settings/billing.',
};

function classify(failure: ProviderFailure): FailureClass {
  if (failure.status === 401 || failure.type === 'authentication_error') {
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.unauthorized };
  }
  // An exhausted credit balance is a 400 invalid_request_error (or a billing_error / 402).
  if (failure.status === 402 || failure.type === 'billing_error' || CREDIT.test(failure.message ?? '')) {
    return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: HINTS.quota_exceeded };
  }
  if (failure.status === 403 || failure.type === 'permission_error') {
    return { outcome: 'forbidden', reason: 'forbidden', hint: HINTS.forbidden };
  }
  // A rate limit (429) or an overload (529) is transient: the SDK's error stays.
  if (failure.status === 429) return { outcome: 'rate_limited' };
  return { outcome: 'error' };
}

/** Anthropic's error envelope: `{"type":"error","error":{"type","message"},"request_id"}`. */
function failureFromBody(
  status: number | undefined,
  body: unknown,
  requestId: string | undefined,
): ProviderFailure {
  const inner = asObject(asObject(body)?.['error']);
  return {
    status,
    type: typeof inner?.['type'] === 'string' ? inner['type'] : undefined,
    message: typeof inner?.['message'] === 'string' ? inner['message'] : undefined,
    requestId,
  };
}

/** The Anthropic adapter. */
export const anthropic: ProviderAdapter<Anthropic, typeof import('@anthropic-ai/sdk'), AnthropicSdkOptions> =
  {
    id: 'anthropic',
    packageName: '@anthropic-ai/sdk',
    load: () => import('@anthropic-ai/sdk'),

    create(module, context: AdapterContext<AnthropicSdkOptions>) {
      const user = context.sdkOptions;
      const nulled = Object.fromEntries(customHeaderNames().map((name) => [name, null]));
      return new module.Anthropic({
        logger: context.logger,
        webhookKey: null,
        ...user,
        defaultHeaders: { ...nulled, ...user.defaultHeaders },
        apiKey: SDK_KEY_PLACEHOLDER,
        baseURL: context.baseURL ?? 'https://api.anthropic.com',
        fetch: context.fetch,
        ...(context.timeout === undefined ? {} : { timeout: context.timeout }),
        ...(context.maxRetries === undefined ? {} : { maxRetries: context.maxRetries }),
      });
    },

    http: {
      authorize(request, secret) {
        if (request.headers.has('x-api-key')) request.headers.set('x-api-key', secret.reveal());
        else request.headers.set('authorization', `Bearer ${secret.reveal()}`);
      },

      plan(request): RequestPlan {
        const operation = operationOf(request.url, request.method);
        const body = request.bodyText === undefined ? undefined : asObject(safeParse(request.bodyText));
        const model = typeof body?.['model'] === 'string' ? body['model'] : null;
        if (operation === 'messages' && body?.['stream'] === true) {
          return { operation, model, stream: messagesStreamReader(model) };
        }
        return { operation, model };
      },

      usage(plan, body) {
        const json = asObject(body);
        const model = typeof json?.['model'] === 'string' ? json['model'] : plan.model;
        // Counting tokens is free: it reports a count, not usage.
        if (plan.operation !== 'messages') return anthropicUsage(undefined, model);
        return anthropicUsage(json?.['usage'], model);
      },

      failureFromResponse(status, body, headers) {
        return failureFromBody(status, body, headers.get('request-id') ?? undefined);
      },
    },

    failureFromError(error) {
      if (!(error instanceof Error)) return undefined;
      const fields = error as Error & { status?: unknown; error?: unknown; requestID?: unknown };
      if (typeof fields.status !== 'number') return undefined;
      return failureFromBody(
        fields.status,
        fields.error,
        typeof fields.requestID === 'string' ? fields.requestID : undefined,
      );
    },

    classify,

    async verify(sdk): Promise<KeyIdentity> {
      // Listing models needs a valid key and costs nothing; every answer names the organisation.
      const { data, response } = await sdk.models.list().withResponse();
      return {
        organization: response.headers.get('anthropic-organization-id') ?? undefined,
        models: data.data.length,
      };
    },
  };
