/**
 * Slack, through the official `@slack/web-api` (8.x) `WebClient`. `createClient('slack')` returns
 * a `WebClient`; every Web API method works through it. Wire facts: shared/research/sdks.md §3.5.
 *
 * - The client is built without a token: keycard's `fetch` puts the key on each request as
 *   `Authorization: Bearer`, so the SDK neither stores the token nor writes it into a headers
 *   object you pass (it does so by default).
 * - `allowAbsoluteUrls: false`: the SDK would otherwise send the token to any absolute URL given
 *   to `apiCall`.
 * - A per-call `token` argument is removed (body and header) and keycard's key is used, with a
 *   warning: the ledger and rotation are about the client's key.
 * - Retries: the SDK retries 10 times over about 30 minutes by default. keycard passes
 *   `maxRetries` (default 2) with a backoff of 0.5 s doubling up to 8 s; `retryConfig` in
 *   `sdkOptions` overrides it.
 * - Slack reports errors as HTTP 200 with `ok: false`; keycard reads them from the body.
 *   Slack has no billing quota, so it never yields `quota_exceeded`.
 * @module
 */
import type { WebClient, WebClientOptions } from '@slack/web-api';
import { asObject } from './json.js';
import type {
  FailureClass,
  KeyIdentity,
  ProviderAdapter,
  ProviderFailure,
  RequestPlan,
  SdkLogger,
} from './types.js';

/** What `sdkOptions` may hold for Slack: everything but the transport and the API root. */
export type SlackSdkOptions = Omit<
  WebClientOptions,
  'fetch' | 'slackApiUrl' | 'timeout' | 'allowAbsoluteUrls'
>;

const UNAUTHORIZED = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);
const FORBIDDEN = new Set(['missing_scope', 'not_allowed_token_type', 'ekm_access_denied', 'no_permission']);

const HINTS = {
  unauthorized:
    "The token is wrong, revoked or expired, or its workspace is gone: reinstall the app or copy the Bot User OAuth Token from your app's OAuth & Permissions page at https://api.slack.com/apps, and update the key source.",
  forbidden:
    'The token works but lacks a permission for this method: add the scope to the app and reinstall it.',
};

/** What an `ok: false` body says: its `error` code, and the scopes for `missing_scope`. */
function failureFromResult(
  status: number | undefined,
  body: unknown,
  requestId?: string,
): ProviderFailure | undefined {
  const result = asObject(body);
  if (result === undefined || result['ok'] !== false) return undefined;
  const code = typeof result['error'] === 'string' ? result['error'] : 'unknown_error';
  const needed = typeof result['needed'] === 'string' ? result['needed'] : undefined;
  const provided = typeof result['provided'] === 'string' ? result['provided'] : undefined;
  const message =
    needed === undefined ? undefined : `needs ${needed}; the token has ${provided ?? 'no scopes'}`;
  return { status, code, message, requestId };
}

function classify(failure: ProviderFailure): FailureClass {
  const code = failure.code ?? '';
  if (UNAUTHORIZED.has(code) || failure.status === 401) {
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.unauthorized };
  }
  if (FORBIDDEN.has(code) || failure.status === 403) {
    const scopes = failure.message === undefined ? '' : ` (${failure.message})`;
    return { outcome: 'forbidden', reason: 'forbidden', hint: `${HINTS.forbidden}${scopes}` };
  }
  if (failure.status === 429 || code === 'ratelimited') return { outcome: 'rate_limited' };
  return { outcome: 'error' };
}

/** keycard's logger in the shape Slack's `Logger` interface wants, with a level filter. */
function slackLogger(logger: SdkLogger): NonNullable<WebClientOptions['logger']> {
  const order = ['debug', 'info', 'warn', 'error'];
  let level = 'warn';
  let name = 'web-api';
  const at =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...message: unknown[]) => {
      if (order.indexOf(method) >= order.indexOf(level))
        logger[method](`[${name}] ${message.map(String).join(' ')}`);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level as ReturnType<NonNullable<WebClientOptions['logger']>['getLevel']>,
    setName: (next) => {
      name = next;
    },
  };
}

let warnedPerCallToken = false;

/** The Slack adapter. */
export const slack: ProviderAdapter<WebClient, typeof import('@slack/web-api'), SlackSdkOptions> = {
  id: 'slack',
  packageName: '@slack/web-api',
  load: () => import('@slack/web-api'),

  create(module, context) {
    const retries = context.maxRetries ?? 2;
    return new module.WebClient(undefined, {
      logger: slackLogger(context.logger),
      logLevel: module.LogLevel.WARN,
      retryConfig: { retries, factor: 2, minTimeout: 500, maxTimeout: 8_000, randomize: true },
      ...context.sdkOptions,
      // A fresh object: the SDK writes into the headers it is given.
      headers: { ...context.sdkOptions.headers },
      slackApiUrl: context.baseURL ?? 'https://slack.com/api/',
      allowAbsoluteUrls: false,
      fetch: context.fetch as NonNullable<WebClientOptions['fetch']>,
      ...(context.timeout === undefined ? {} : { timeout: context.timeout }),
    });
  },

  http: {
    authorize(request, secret) {
      request.headers.set('authorization', `Bearer ${secret.reveal()}`);
    },

    plan(request): RequestPlan {
      const method = decodeURIComponent(request.url.pathname.split('/').filter(Boolean).at(-1) ?? 'unknown');
      if (
        request.bodyText !== undefined &&
        request.headers.get('content-type')?.includes('x-www-form-urlencoded')
      ) {
        const form = new URLSearchParams(request.bodyText);
        if (form.has('token')) {
          // A per-call token would bypass the client's key, its rotation and its ledger entry.
          form.delete('token');
          if (!warnedPerCallToken) {
            warnedPerCallToken = true;
            process.emitWarning(
              'keycard: a per-call `token` argument to a Slack method is ignored; the client uses its own key.',
              'KeycardWarning',
            );
          }
          return { operation: method, model: null, bodyText: form.toString() };
        }
      }
      return { operation: method, model: null };
    },

    usage() {
      return {
        model: null,
        inputTokens: null,
        cachedInputTokens: null,
        cacheWriteTokens: null,
        outputTokens: null,
        reasoningTokens: null,
      };
    },

    failureFromResponse(status, body, headers) {
      return (
        failureFromResult(status, body, headers.get('x-slack-req-id') ?? undefined) ?? {
          status,
          requestId: headers.get('x-slack-req-id') ?? undefined,
        }
      );
    },

    failureInBody(body, headers) {
      return failureFromResult(200, body, headers.get('x-slack-req-id') ?? undefined);
    },
  },

  failureFromError(error) {
    if (!(error instanceof Error)) return undefined;
    const fields = error as Error & { code?: unknown; data?: unknown; statusCode?: unknown; body?: unknown };
    switch (fields.code) {
      case 'slack_webapi_platform_error':
        return failureFromResult(200, fields.data);
      case 'slack_webapi_http_error':
        return typeof fields.statusCode === 'number'
          ? (failureFromResult(fields.statusCode, fields.body) ?? { status: fields.statusCode })
          : undefined;
      case 'slack_webapi_rate_limited_error':
        return { status: 429, code: 'ratelimited' };
      default:
        return undefined;
    }
  },

  classify,

  async verify(sdk): Promise<KeyIdentity> {
    // auth.test needs a valid token, costs nothing, and says whose token it is.
    const result = await sdk.auth.test();
    return {
      team: result.team,
      teamId: result.team_id,
      user: result.user,
      userId: result.user_id,
      botId: result.bot_id,
      url: result.url,
      scopes: result.response_metadata?.scopes?.join(','),
    };
  },
};
