/**
 * Slack, through the official `@slack/web-api` (8.x) `WebClient`. `createClient('slack')` returns
 * a `WebClient`; every Web API method works through it (`chat.postMessage`, `apiCall`,
 * `paginate`, `filesUploadV2`, …). Wire facts: shared/research/sdks.md §3.5.
 *
 * What keycard sets, and why:
 * - **No token on the SDK.** The client is built without one; keycard's `fetch` puts the key on
 *   each request as `Authorization: Bearer`. So `util.inspect(sdk)` holds no token, and the SDK
 *   writes nothing into a `headers` object you pass (it writes the token there by default; keycard
 *   also passes a copy).
 * - **The key goes to the API root only.** `allowAbsoluteUrls: false` (the SDK would otherwise
 *   send the token to any absolute URL given to `apiCall`), and keycard attaches the key only to
 *   URLs under the API root (`baseURL`, default `https://slack.com/api/`). A request elsewhere is
 *   sent without any `Authorization`: the SDK makes one only to upload a file's bytes to the
 *   pre-signed `upload_url` that `files.getUploadURLExternal` returns (`filesUploadV2`), which
 *   takes no token. It is recorded as the operation `upload_url`.
 * - **No per-call `token`.** Slack lets each call pass `{ token }`, which would bypass the
 *   client's key, its rotation and its ledger attribution (and, in a multi-workspace app, post in
 *   another workspace than the one the key belongs to). keycard refuses it with a `KeycardError`
 *   before any request: create one client per token instead. A `token` form field that reaches
 *   the wire anyway (the SDK's internal `makeRequest`) is removed.
 * - **Retries.** The SDK's default retries 10 times over about 30 minutes. keycard passes
 *   `maxRetries` (default {@link DEFAULT_SLACK_RETRIES}) with a backoff of 0.5 s, doubling, up to
 *   8 s; `sdkOptions.retryConfig` may shape the backoff, and `maxRetries`, when set, still decides
 *   the number. A rejected key (HTTP 401/403 from a gateway) and keycard's own errors (a closed
 *   client) are not retried. Slack's own errors (HTTP 200, `ok: false`) never are.
 * - **Rate limits.** With retries, the SDK waits `Retry-After` and tries again (pausing the
 *   client's queue). With `maxRetries: 0` keycard sets `rejectRateLimitedCalls`, so a 429 throws
 *   `WebAPIRateLimitedError` at once instead of waiting only to fail; `sdkOptions` may override.
 * - **Timeout.** `timeout` (default {@link DEFAULT_SLACK_TIMEOUT_MS}) ends each HTTP attempt; the
 *   SDK's own default is none. `0` or `Infinity` means none (the SDK would abort at once for a
 *   value over 2³¹−1 ms, and throw for `Infinity`).
 * - **Logging.** The SDK logs through keycard's redacted logger, at `sdkOptions.logLevel`
 *   (default `info`, the SDK's own default).
 *
 * Errors: Slack answers HTTP 200 with `ok: false`, read from the body (`failureInBody`).
 * `invalid_auth`, `not_authed`, `token_revoked`, `token_expired`, `account_inactive` →
 * `unauthorized` (the source is read again and the call replayed once when the key changed);
 * `missing_scope` (the hint names the needed and the granted scopes), `not_allowed_token_type`,
 * `ekm_access_denied`, `no_permission`, `team_access_not_granted` → `forbidden`. Rate limits
 * (HTTP 429, `ratelimited`, `rate_limited`) and every other error keep the SDK's own error,
 * redacted. Slack has no billing quota, so it never yields `quota_exceeded`.
 *
 * Ledger: one event per HTTP request, named after the method (`chat.postMessage`), model `null`,
 * no tokens (Slack bills per seat, not per call).
 * @module
 */
import { inspect } from 'node:util';
import type { Logger, LogLevel, WebClient, WebClientOptions } from '@slack/web-api';
import { KeycardError } from '../errors.js';
import { importOptional } from '../import-optional.js';
import { asObject, noUsage } from './json.js';
import { isClassWith, sdkFromUser } from './load.js';
import type {
  FailureClass,
  KeyIdentity,
  OutgoingRequest,
  ProviderAdapter,
  ProviderFailure,
  RequestPlan,
  SdkLogger,
} from './types.js';

/**
 * What `sdkOptions` may hold for Slack: everything but the transport, the API root, the key's
 * place, the timeout and the logger (keycard's `logger` option takes the SDK's lines).
 */
export type SlackSdkOptions = Omit<
  WebClientOptions,
  'fetch' | 'slackApiUrl' | 'timeout' | 'allowAbsoluteUrls' | 'logger'
>;

/** The API root when no `baseURL` is set. */
export const SLACK_API_URL = 'https://slack.com/api/';

/** Retries when `maxRetries` is not set (the SDK's own default is 10, over about 30 minutes). */
export const DEFAULT_SLACK_RETRIES = 2;

/** How long one HTTP attempt may take when no `timeout` is set, in milliseconds. */
export const DEFAULT_SLACK_TIMEOUT_MS = 60_000;

/** The longest delay `AbortSignal.timeout` honours; beyond it Node aborts after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The operation recorded for a request outside the API root (a file upload's `upload_url`). */
export const UPLOAD_OPERATION = 'upload_url';

/**
 * Set by the client's `fetch` on requests under the API root, to the method's path; read by
 * `plan` and removed by `authorize`, so it never reaches the wire. A request without it gets no key.
 */
const METHOD_HEADER = 'x-keycard-slack-method';

const UNAUTHORIZED = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);
const FORBIDDEN = new Set([
  'missing_scope',
  'not_allowed_token_type',
  'ekm_access_denied',
  'no_permission',
  'team_access_not_granted',
]);
const RATE_LIMITED = new Set(['ratelimited', 'rate_limited']);

const APPS = 'https://api.slack.com/apps';
const HINTS: Record<string, string> = {
  invalid_auth: `Slack does not know this token (mistyped, from another workspace, or replaced): copy the Bot User OAuth Token from your app's OAuth & Permissions page at ${APPS} and update the key source.`,
  not_authed:
    'No token reached Slack (a proxy may have removed the Authorization header): check the proxy, then the key source.',
  token_revoked: `The token was revoked (the app was uninstalled or the token reissued): reinstall the app at ${APPS} and put the new token in the key source.`,
  token_expired:
    'The token expired (token rotation is on for this app): get a new access token with oauth.v2.access and the refresh token, and update the key source.',
  account_inactive:
    'The user or bot behind this token was deactivated, or its workspace deleted: reinstall the app in an active workspace and update the key source.',
  missing_scope: `The token works but lacks a scope this method needs: add it under OAuth & Permissions at ${APPS}, reinstall the app, and update the key source with the new token.`,
  not_allowed_token_type:
    'This method does not accept this kind of token: use a user token (xoxp-…) or a bot token (xoxb-…) as the method requires.',
  ekm_access_denied:
    "Your workspace's administrators suspended this app's access through Enterprise Key Management: ask them to restore it.",
  no_permission: `The token has no permission for this method in this workspace or organization: check the app's scopes and the workspace's app settings at ${APPS}.`,
  team_access_not_granted:
    'The token was not granted access to this workspace: an org admin must add the app to the workspace.',
};

/** A Slack error code, when `value` looks like one (a bad body's text is not). */
function errorCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z0-9_.]{1,64}$/.test(value) ? value : undefined;
}

/**
 * What an answer says went wrong: an `ok: false` body's `error` code (with the scopes for
 * `missing_scope`), or `invalid_response` for a body that is not a JSON object.
 * `undefined` when the body is a success.
 */
function failureFromResult(
  status: number | undefined,
  body: unknown,
  requestId: string | undefined,
): ProviderFailure | undefined {
  const result = asObject(body);
  if (result === undefined) return { status, code: 'invalid_response', requestId };
  if (result['ok'] !== false) return undefined;
  const needed = typeof result['needed'] === 'string' ? result['needed'] : undefined;
  const provided = typeof result['provided'] === 'string' ? result['provided'] : undefined;
  const message =
    needed === undefined
      ? undefined
      : `it needs ${needed}; the token has ${provided === undefined || provided === '' ? 'no scopes' : provided}`;
  return { status, code: errorCode(result['error']) ?? 'unknown_error', message, requestId };
}

function classify(failure: ProviderFailure): FailureClass {
  const code = failure.code ?? '';
  if (UNAUTHORIZED.has(code) || failure.status === 401) {
    return {
      outcome: 'unauthorized',
      reason: 'unauthorized',
      hint: HINTS[code] ?? HINTS['invalid_auth'],
    };
  }
  if (FORBIDDEN.has(code) || failure.status === 403) {
    const hint = HINTS[code] ?? HINTS['missing_scope'] ?? '';
    return {
      outcome: 'forbidden',
      reason: 'forbidden',
      hint: failure.message === undefined ? hint : `${hint} (${failure.message})`,
    };
  }
  if (failure.status === 429 || RATE_LIMITED.has(code)) return { outcome: 'rate_limited' };
  return { outcome: 'error' };
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** keycard's (redacted) logger in the shape of Slack's `Logger`, with Slack's level filter. */
function slackLogger(logger: SdkLogger, initial: string): Logger {
  let level = initial;
  let name = 'web-api:WebClient';
  const at =
    (method: (typeof LEVELS)[number]) =>
    (...message: unknown[]) => {
      if (LEVELS.indexOf(method) < LEVELS.indexOf(level as (typeof LEVELS)[number])) return;
      const text = message
        .map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 4, breakLength: Infinity })))
        .join(' ');
      logger[method](`[${name}] ${text}`);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (next) => {
      level = String(next).toLowerCase();
    },
    getLevel: () => level as LogLevel,
    setName: (next) => {
      name = next;
    },
  };
}

/** The API root as the SDK uses it (with a trailing `/`). */
function apiRootOf(baseURL: string | undefined): URL {
  const root = new URL(baseURL ?? SLACK_API_URL);
  if (!root.pathname.endsWith('/')) root.pathname += '/';
  root.search = '';
  root.hash = '';
  return root;
}

/** The SDK's `timeout`: keycard's default, with "none" as the SDK's `0`. */
function timeoutOf(timeout: number | undefined): number {
  const value = timeout ?? DEFAULT_SLACK_TIMEOUT_MS;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new KeycardError(
      `createClient: timeout must be a number of milliseconds (0 or more, or Infinity), not ${String(timeout)}.`,
    );
  }
  return value > MAX_TIMER_MS ? 0 : Math.ceil(value);
}

/** Whether a failed attempt is one no retry can fix: a rejected key, or keycard's own error. */
function isFinal(error: unknown): boolean {
  const fields = error as { code?: unknown; statusCode?: unknown; cause?: unknown };
  if (fields.code === 'slack_webapi_http_error')
    return fields.statusCode === 401 || fields.statusCode === 403;
  return KeycardError.is(fields.cause);
}

type RetryConfig = NonNullable<WebClientOptions['retryConfig']>;

/** The SDK's `retryConfig`: `maxRetries` attempts more, a short backoff, no retry for final failures. */
function retryConfigOf(user: RetryConfig | undefined, maxRetries: number | undefined): RetryConfig {
  const base: RetryConfig = user ?? { factor: 2, minTimeout: 500, maxTimeout: 8_000, randomize: true };
  const retries = maxRetries ?? user?.retries ?? DEFAULT_SLACK_RETRIES;
  const onFailedAttempt = (base as { onFailedAttempt?: (error: unknown) => unknown }).onFailedAttempt;
  // p-retry (which the SDK calls with this object) stops when `onFailedAttempt` throws.
  return {
    ...base,
    retries,
    onFailedAttempt: async (error: unknown) => {
      if (isFinal(error)) throw error;
      await onFailedAttempt?.(error);
    },
  } as RetryConfig;
}

function refusePerCallToken(method: string, options: unknown): void {
  const token = asObject(options)?.['token'];
  if (token === undefined || token === null || token === '') return;
  throw new KeycardError(
    `keycard: ${method} was given a per-call \`token\`. A keycard Slack client sends its own key with every call (rotation and the ledger depend on it), so it refuses another token: create one client per token, e.g. createClient('slack', keys.literal(token)).`,
  );
}

/**
 * The `fetch` the SDK gets: marks requests under the API root with their method, so that
 * `authorize` puts the key on them and on nothing else.
 */
function rootedFetch(fetch: typeof globalThis.fetch, root: URL): typeof globalThis.fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.delete(METHOD_HEADER);
    if (url.origin === root.origin && url.pathname.startsWith(root.pathname)) {
      headers.set(METHOD_HEADER, url.pathname.slice(root.pathname.length));
    }
    return fetch(input, { ...init, headers });
  };
}

/** The method a request calls, from the mark `rootedFetch` set. */
function operationOf(request: OutgoingRequest): string {
  const path = request.headers.get(METHOD_HEADER);
  if (path === null) return UPLOAD_OPERATION;
  try {
    return decodeURIComponent(path) || 'unknown';
  } catch {
    return path;
  }
}

/** What the `sdk` option takes for Slack: the SDK's `WebClient` class, or its module. */
export type SlackSdkSource = typeof WebClient | typeof import('@slack/web-api');

/** The Slack adapter. */
export const slack: ProviderAdapter<
  WebClient,
  typeof import('@slack/web-api'),
  SlackSdkOptions,
  SlackSdkSource
> = {
  id: 'slack',
  packageName: '@slack/web-api',
  load: () => importOptional<typeof import('@slack/web-api')>('@slack/web-api'),
  fromUser: (given) =>
    sdkFromUser(given, {
      provider: 'slack',
      packageName: '@slack/web-api',
      exportName: 'WebClient',
      isExport: (value) => isClassWith(value, [], ['apiCall', 'paginate', 'filesUploadV2']),
      alsoNeeds: ['LogLevel'],
      // `create` uses `LogLevel.INFO` only: the enum's value, for a class given alone.
      fromExport: (WebClientClass) =>
        ({
          WebClient: WebClientClass,
          LogLevel: { INFO: 'info' },
        }) as unknown as typeof import('@slack/web-api'),
    }),

  create(module, context) {
    const { logLevel, headers, retryConfig, rejectRateLimitedCalls, ...user } = context.sdkOptions;
    const root = apiRootOf(context.baseURL);
    const retry = retryConfigOf(retryConfig, context.maxRetries);

    // A subclass only to refuse per-call tokens before any request: the SDK binds every method
    // (`chat.postMessage`, …) to `apiCall` at construction, and `paginate` and `filesUploadV2`
    // go through it too. It is still a `WebClient`, with the same name and types.
    const WebClientClass = module.WebClient;
    const Client = class WebClient extends WebClientClass {
      override apiCall(method: string, options?: Record<string, unknown>) {
        try {
          refusePerCallToken(method, options);
        } catch (error) {
          return Promise.reject(error);
        }
        return super.apiCall(method, options);
      }
    };

    return new Client(undefined, {
      ...user,
      logger: slackLogger(context.logger, logLevel ?? module.LogLevel.INFO),
      retryConfig: retry,
      rejectRateLimitedCalls: rejectRateLimitedCalls ?? retry.retries === 0,
      // A copy: the SDK writes the token into the object it is given (none is given here).
      headers: { ...headers },
      slackApiUrl: root.href,
      allowAbsoluteUrls: false,
      fetch: rootedFetch(context.fetch, root) as NonNullable<WebClientOptions['fetch']>,
      timeout: timeoutOf(context.timeout),
    });
  },

  http: {
    authorize(request, secret) {
      const underRoot = request.headers.has(METHOD_HEADER);
      request.headers.delete(METHOD_HEADER);
      if (underRoot) request.headers.set('authorization', `Bearer ${secret.reveal()}`);
      // Outside the API root no credential goes out, not even one set in `headers`.
      else request.headers.delete('authorization');
    },

    plan(request): RequestPlan {
      const operation = operationOf(request);
      if (
        request.bodyText !== undefined &&
        request.headers.get('content-type')?.includes('x-www-form-urlencoded') === true
      ) {
        const form = new URLSearchParams(request.bodyText);
        if (form.has('token')) {
          // Only the SDK's internal `makeRequest` gets here: `apiCall` refuses a per-call token.
          form.delete('token');
          return { operation, model: null, bodyText: form.toString() };
        }
      }
      return { operation, model: null };
    },

    usage: noUsage,

    failureFromResponse(status, body, headers) {
      const requestId = headers.get('x-slack-req-id') ?? undefined;
      const failure = failureFromResult(status, body, requestId);
      return failure === undefined || failure.code === 'invalid_response' ? { status, requestId } : failure;
    },

    failureInBody(body, headers) {
      return failureFromResult(200, body, headers.get('x-slack-req-id') ?? undefined);
    },
  },

  failureFromError(error) {
    if (!(error instanceof Error)) return undefined;
    const fields = error as Error & {
      code?: unknown;
      data?: unknown;
      statusCode?: unknown;
      body?: unknown;
      headers?: unknown;
    };
    switch (fields.code) {
      case 'slack_webapi_platform_error':
        // The answer's request id is not on the error: the SDK keeps only the body.
        return failureFromResult(200, fields.data, undefined);
      case 'slack_webapi_http_error': {
        if (typeof fields.statusCode !== 'number') return undefined;
        const requestId = asObject(fields.headers)?.['x-slack-req-id'];
        const id = typeof requestId === 'string' ? requestId : undefined;
        const failure = failureFromResult(fields.statusCode, fields.body, id);
        return failure === undefined || failure.code === 'invalid_response'
          ? { status: fields.statusCode, requestId: id }
          : failure;
      }
      case 'slack_webapi_rate_limited_error':
        return { status: 429, code: 'ratelimited' };
      default:
        return undefined;
    }
  },

  classify,

  async verify(sdk): Promise<KeyIdentity> {
    // auth.test needs a valid token, costs nothing, and says whose token it is; the granted
    // scopes come from its `x-oauth-scopes` header.
    const result = await sdk.auth.test();
    const identity: KeyIdentity = {
      team: result.team,
      teamId: result.team_id,
      user: result.user,
      userId: result.user_id,
      botId: result.bot_id,
      url: result.url,
      scopes: result.response_metadata?.scopes?.join(','),
    };
    if (result.enterprise_id !== undefined && result.enterprise_id !== '') {
      identity['enterpriseId'] = result.enterprise_id;
    }
    return identity;
  },
};
