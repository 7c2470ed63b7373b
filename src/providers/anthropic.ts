/**
 * Anthropic, through the official `@anthropic-ai/sdk` (1.x). `createClient('anthropic')` returns
 * an `Anthropic` client. Wire facts: shared/research/sdks.md §3.2.
 *
 * The key: the SDK is built with a placeholder `apiKey`, and keycard's `fetch` puts the real key
 * on each request where the SDK put the placeholder: `Authorization: Bearer` (what 1.x sends), or
 * `x-api-key` when the request carries that header (older SDKs, or an `x-api-key` set in
 * `defaultHeaders`). Measured with `util.inspect(client, { depth: 20, showHidden: true })`: a
 * string `apiKey` or `authToken` is printed (`apiKey`, `_options.apiKey`); an async `apiKey`
 * function is not (the SDK keeps it in a private field); the placeholder shows only itself.
 *
 * What keycard pins, so that the environment cannot change it:
 * - the credential: with one passed in code, the SDK reads neither `ANTHROPIC_API_KEY` nor
 *   `ANTHROPIC_AUTH_TOKEN`, and never runs its default credential chain (profile files under
 *   `ANTHROPIC_CONFIG_DIR` or `~/.config/anthropic`, `ANTHROPIC_PROFILE`, workload identity
 *   variables, and a profile's `base_url`);
 * - `baseURL`: the one given to `createClient`, else `https://api.anthropic.com`, so
 *   `ANTHROPIC_BASE_URL` does not apply;
 * - `ANTHROPIC_CUSTOM_HEADERS`: the SDK adds these headers to every request; keycard removes each
 *   one it names (a `null` in `defaultHeaders`), except the headers the SDK sets itself
 *   (`anthropic-version`, `user-agent`, `accept`, `content-type`, `x-stainless-*`), which a `null`
 *   would remove altogether. Headers in `sdkOptions.defaultHeaders` apply;
 * - `webhookKey: null`, so the `ANTHROPIC_WEBHOOK_SIGNING_KEY` secret is not copied onto the client;
 * - `openTelemetry`: `sdkOptions.openTelemetry`, else `{}` (the SDK's defaults: spans for the
 *   tracer provider the application registered, none when it registered none; metadata only, never
 *   prompts or replies; trace context propagated), so the `ANTHROPIC_OPEN_TELEMETRY*` variables can
 *   neither switch content recording on nor spans off;
 * - `logger`: keycard's redacting logger (the SDK logs only the placeholder anyway).
 *
 * Not pinned: `ANTHROPIC_LOG` (a log level, and the lines go through keycard's logger), and the
 * SDK's `console.warn` for deprecated models (e.g. `claude-sonnet-4-5`), which it prints straight
 * to the console, bypassing `logger` and `logLevel`.
 *
 * Usage: Anthropic's `input_tokens` excludes cache reads and writes, so keycard's `inputTokens` is
 * `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`; `cachedInputTokens` is
 * the cache read, `cacheWriteTokens` the cache write, `reasoningTokens` is
 * `output_tokens_details.thinking_tokens`. A stream is read from `message_start` and
 * `message_delta` (cumulative counters; a `null` one keeps the earlier value, as the SDK does).
 *
 * Key problems: 401 (`authentication_error`) → `unauthorized`; 403 (`permission_error`), and a 400
 * `organization_on_hold` → `forbidden`; an exhausted credit balance (a 400
 * `invalid_request_error` "Your credit balance is too low…", a `billing_error`, a 402, or a 429
 * whose `error_code` is a spend limit) → `quota_exceeded`. Any other 429 and the 529 overload are
 * transient: the SDK's `RateLimitError` / `OverloadedError` stays.
 * @module
 */
import type { Anthropic, ClientOptions } from '@anthropic-ai/sdk';
import { importOptional } from '../import-optional.js';
import { nulledEnvHeaders } from './env-headers.js';
import { asObject, count, type Json, lazyModelPlan, mayStream, safeParse } from './json.js';
import { isClassWith, sdkFromUser } from './load.js';
import { operationOf } from './openai-compatible.js';
import type {
  AdapterContext,
  FailureClass,
  KeyIdentity,
  OutgoingRequest,
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

/** Where the SDK talks to when no `baseURL` is given (it adds `/v1/…` itself). */
const DEFAULT_BASE_URL = 'https://api.anthropic.com';

type HeadersOption = ClientOptions['defaultHeaders'];

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
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
    reasoningTokens: count(asObject(fields?.['output_tokens_details'])?.['thinking_tokens']),
  };
}

/**
 * A Messages stream: input and cache tokens in `message_start`, cumulative counters in
 * `message_delta` (output always; the others when they apply). A counter that is missing or `null`
 * in a delta keeps its earlier value, as the SDK's own `MessageStream` does.
 */
function messagesStreamReader(model: string | null): StreamUsageReader {
  const usage: Json = {};
  let seenModel = model;
  const merge = (fields: Json | undefined) => {
    for (const [name, value] of Object.entries(fields ?? {})) {
      if (value !== null && value !== undefined) usage[name] = value;
    }
  };
  return {
    onEvent(data, event, json) {
      const name = event ?? '';
      if (name !== 'message_start' && name !== 'message_delta') return true;
      const payload = asObject(json ?? safeParse(data));
      if (name === 'message_start') {
        const message = asObject(payload?.['message']);
        merge(asObject(message?.['usage']));
        if (typeof message?.['model'] === 'string') seenModel = message['model'];
      } else merge(asObject(payload?.['usage']));
      return true;
    },
    triggers: ['message_start', 'message_delta'],
    result: () => anthropicUsage(usage, seenModel),
  };
}

/** Headers the SDK sets on every request: a `null` for one of them would remove it altogether. */
const SDK_OWN_HEADER = /^(anthropic-version|user-agent|accept|content-type|x-stainless-.*)$/i;
/** A valid header name (an RFC 9110 token): `Headers` throws on anything else. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Names in `ANTHROPIC_CUSTOM_HEADERS` that keycard removes: all but the SDK's own headers. */
function customHeaderNames(): string[] {
  return Object.keys(nulledEnvHeaders('ANTHROPIC_CUSTOM_HEADERS')).filter(
    (name) => HEADER_NAME.test(name) && !SDK_OWN_HEADER.test(name),
  );
}

/** `user`'s default headers with `names` removed first, whatever form `user` takes. */
function withoutHeaders(names: readonly string[], user: HeadersOption): HeadersOption {
  if (names.length === 0) return user;
  const nulls = names.map((name): [string, null] => [name, null]);
  if (user === undefined || user === null) return Object.fromEntries(nulls);
  if (user instanceof Headers) return [...nulls, ...user.entries()];
  if (Array.isArray(user)) return [...nulls, ...user];
  return { ...Object.fromEntries(nulls), ...user };
}

const CREDIT = /credit balance|purchase credits|plans (&|and) billing/i;
/** `error_code`s that mean the organisation may not spend more: not transient, not retryable. */
const SPEND_LIMIT_CODES = new Set([
  'contract_spend_limit_reached',
  'enforced_spend_limit_reached',
  'linked_organization_spend_limit_reached',
  'linked_organization_billing_unavailable',
]);

const HINTS = {
  unauthorized:
    'The key is wrong, disabled or deleted: create a new one at https://console.anthropic.com/settings/keys and update the key source.',
  forbidden:
    "The key works but may not do this: check the workspace's model access and the key's permissions at https://console.anthropic.com/settings/workspaces.",
  quota_exceeded:
    'The organisation behind this key is out of credit or at its spend limit: buy credits or raise the limit at https://console.anthropic.com/settings/billing.',
};

function classify(failure: ProviderFailure): FailureClass {
  const { status, type, code } = failure;
  if (status === 401 || type === 'authentication_error') {
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.unauthorized };
  }
  const outOfCredit =
    type === 'billing_error' ||
    status === 402 ||
    (code !== undefined && SPEND_LIMIT_CODES.has(code)) ||
    (status === 400 && CREDIT.test(failure.message ?? ''));
  if (outOfCredit) return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: HINTS.quota_exceeded };
  if (status === 403 || type === 'permission_error' || code === 'organization_on_hold') {
    return { outcome: 'forbidden', reason: 'forbidden', hint: HINTS.forbidden };
  }
  // A rate limit (429) is transient: the SDK's RateLimitError stays. So does an overload (529).
  if (status === 429 || type === 'rate_limit_error') return { outcome: 'rate_limited' };
  return { outcome: 'error' };
}

/** Anthropic's error envelope: `{"type":"error","error":{"type","message","details"},"request_id"}`. */
function failureFromBody(
  status: number | undefined,
  body: unknown,
  requestId: string | undefined,
): ProviderFailure {
  const envelope = asObject(body);
  const inner = asObject(envelope?.['error']);
  return {
    status,
    type: text(inner?.['type']),
    code: text(asObject(inner?.['details'])?.['error_code']),
    message: text(inner?.['message']),
    requestId: requestId ?? text(envelope?.['request_id']),
  };
}

/** Puts the key where the SDK put its credential: `x-api-key` if the request has it, else Bearer. */
function authorize(request: OutgoingRequest, key: string): void {
  // OAuth access tokens (sk-ant-oat…) are only ever accepted as Bearer.
  if (request.headers.has('x-api-key') && !key.startsWith('sk-ant-oat')) {
    request.headers.set('x-api-key', key);
    // The SDK's Bearer placeholder would otherwise travel along.
    if (request.headers.get('authorization') === `Bearer ${SDK_KEY_PLACEHOLDER}`) {
      request.headers.delete('authorization');
    }
    return;
  }
  request.headers.delete('x-api-key');
  request.headers.set('authorization', `Bearer ${key}`);
}

/** What the `sdk` option takes for Anthropic: the SDK's `Anthropic` class, or its module. */
export type AnthropicSdkSource = typeof Anthropic | typeof import('@anthropic-ai/sdk');

/** The Anthropic adapter. */
export const anthropic: ProviderAdapter<
  Anthropic,
  typeof import('@anthropic-ai/sdk'),
  AnthropicSdkOptions,
  AnthropicSdkSource
> = {
  id: 'anthropic',
  packageName: '@anthropic-ai/sdk',
  load: () => importOptional<typeof import('@anthropic-ai/sdk')>('@anthropic-ai/sdk'),
  fromUser: (given) =>
    sdkFromUser(given, {
      provider: 'anthropic',
      packageName: '@anthropic-ai/sdk',
      exportName: 'Anthropic',
      isExport: (value) => isClassWith(value, ['AnthropicError'], ['makeRequest']),
      fromExport: (AnthropicClass) => ({ Anthropic: AnthropicClass }) as typeof import('@anthropic-ai/sdk'),
    }),

  create(module, context: AdapterContext<AnthropicSdkOptions>) {
    const user = context.sdkOptions;
    return new module.Anthropic({
      logger: context.logger,
      webhookKey: null,
      ...user,
      openTelemetry: user.openTelemetry ?? {},
      defaultHeaders: withoutHeaders(customHeaderNames(), user.defaultHeaders),
      // keycard's key is the only credential: any other one a caller slipped in is dropped.
      authToken: null,
      credentials: null,
      config: null,
      profile: null,
      apiKey: SDK_KEY_PLACEHOLDER,
      baseURL: context.baseURL ?? DEFAULT_BASE_URL,
      fetch: context.fetch,
      ...(context.timeout === undefined ? {} : { timeout: context.timeout }),
      ...(context.maxRetries === undefined ? {} : { maxRetries: context.maxRetries }),
    });
  },

  http: {
    authorize(request, secret) {
      authorize(request, secret.reveal());
    },

    plan(request): RequestPlan {
      const operation = operationOf(request.url, request.method);
      if (!mayStream(request.bodyText)) return lazyModelPlan(operation, request.bodyText);
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
      // Counting tokens is free: its `input_tokens` is a count, not usage.
      if (plan.operation !== 'messages') return anthropicUsage(undefined, model);
      return anthropicUsage(json?.['usage'], model);
    },

    failureFromResponse(status, body, headers) {
      return failureFromBody(status, body, headers.get('request-id') ?? undefined);
    },
  },

  failureFromError(error) {
    if (!(error instanceof Error)) return undefined;
    // APIError: `status`, `error` (the whole body), `requestID` (the `request-id` header).
    const fields = error as Error & { status?: unknown; error?: unknown; requestID?: unknown };
    if (typeof fields.status === 'number') {
      return failureFromBody(fields.status, fields.error, text(fields.requestID));
    }
    // An `event: error` in a stream becomes an APIError without a status, carrying the envelope.
    if (asObject(fields.error)?.['type'] !== 'error') return undefined;
    return failureFromBody(undefined, fields.error, text(fields.requestID));
  },

  classify,

  async verify(sdk): Promise<KeyIdentity> {
    // Listing models needs a valid key and costs nothing. Answers name the organisation (and the
    // workspace, when the API sends it) in their headers.
    const { data, response } = await sdk.models.list().withResponse();
    return {
      organization: response.headers.get('anthropic-organization-id') ?? undefined,
      workspace: response.headers.get('anthropic-workspace-id') ?? undefined,
      models: data.data.length,
      moreModels: data.has_more,
    };
  },
};
