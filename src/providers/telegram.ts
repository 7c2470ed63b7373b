/**
 * Telegram, through telegraf's `Telegram` API client (4.16; not the bot framework).
 * `createClient('telegram')` returns a `Telegram`. Wire facts: shared/research/sdks.md §3.6.
 *
 * telegraf has no `fetch` option (node-fetch 2 is hard-wired) and puts the token in the URL
 * path (`/bot<TOKEN>/<method>`), so keycard meters it at the method level: every typed method
 * (`getMe`, `sendMessage`, …) goes through `callApi`, which keycard wraps to
 * - put the current token on the client before each call (so a rotated token is picked up),
 * - time and record the call (one ledger event per method, no tokens),
 * - end it after `timeout` (default 60 s, plus the long-poll wait of `getUpdates`): telegraf
 *   itself waits up to 500 s, and a body cut short can hang until then.
 *
 * The token has to sit on the client object; `util.inspect` and `JSON.stringify` of `.sdk` show
 * a summary instead, and every error is redacted (telegraf leaves the token in the URL of some
 * of its errors). Known limit: `NODE_DEBUG=http` makes Node itself print request URLs, token
 * included. telegraf makes no retries, so `maxRetries` does not apply. Telegram is free: it
 * never yields `quota_exceeded`.
 * @module
 */
import type { Telegram } from 'telegraf';
import type { FailureClass, KeyIdentity, ProviderAdapter, ProviderFailure } from './types.js';

/** What `sdkOptions` may hold for Telegram: telegraf's client options but the API root. */
export type TelegramSdkOptions = Omit<Partial<Telegram['options']>, 'apiRoot'>;

/** How long one call may take when no `timeout` is set, in milliseconds. */
export const DEFAULT_TELEGRAM_TIMEOUT_MS = 60_000;

type CallApi = (method: string, payload: unknown, options?: { signal?: AbortSignal }) => Promise<unknown>;

const HINTS = {
  unauthorized:
    'The bot token is wrong or was revoked (or the method does not exist): get the current token from @BotFather (/token) and update the key source.',
};

function classify(failure: ProviderFailure): FailureClass {
  // Telegram answers a token it does not know with 401, and a path that is no bot token with 404.
  if (failure.status === 401 || failure.status === 404) {
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.unauthorized };
  }
  // 403 ("bot was blocked by the user", "not enough rights") is about a chat, not the token.
  if (failure.status === 429) return { outcome: 'rate_limited' };
  return { outcome: 'error' };
}

/** The caller's signal (if any) combined with the call's timeout. */
function deadline(timeoutMs: number, signal: AbortSignal | undefined): AbortSignal {
  const timer = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timer : AbortSignal.any([signal, timer]);
}

/** The Telegram adapter. */
export const telegram: ProviderAdapter<Telegram, typeof import('telegraf'), TelegramSdkOptions> = {
  id: 'telegram',
  packageName: 'telegraf',
  load: () => import('telegraf'),

  create(module, context) {
    // telegraf resolves `./bot<TOKEN>/<method>` against apiRoot: a root with a path needs its
    // trailing slash, or its last segment is dropped.
    const root = context.baseURL ?? 'https://api.telegram.org';
    const client = new module.Telegram(context.currentKey().reveal(), {
      ...context.sdkOptions,
      apiRoot: new URL(root).pathname === '/' || root.endsWith('/') ? root : `${root}/`,
    });
    const original = client.callApi.bind(client) as CallApi;
    const timeoutMs = context.timeout ?? DEFAULT_TELEGRAM_TIMEOUT_MS;
    const callApi: CallApi = (method, payload, options = {}) => {
      const wait = (payload as { timeout?: unknown } | undefined)?.timeout;
      const longPoll = method === 'getUpdates' && typeof wait === 'number' ? wait * 1000 : 0;
      return context.meter({
        operation: method,
        model: null,
        run: (secret) => {
          (client as { token: string }).token = secret.reveal();
          return original(method, payload, { signal: deadline(timeoutMs + longPoll, options.signal) });
        },
      });
    };
    Object.defineProperty(client, 'callApi', {
      value: callApi,
      enumerable: false,
      configurable: true,
      writable: true,
    });
    return client;
  },

  failureFromError(error) {
    if (!(error instanceof Error)) return undefined;
    const response = (error as Error & { response?: unknown }).response as
      | { ok?: unknown; error_code?: unknown; description?: unknown }
      | undefined;
    if (typeof response !== 'object' || response === null || typeof response.error_code !== 'number')
      return undefined;
    return {
      status: response.error_code,
      message: typeof response.description === 'string' ? response.description : undefined,
    };
  },

  classify,

  async verify(sdk): Promise<KeyIdentity> {
    // getMe needs a valid token, costs nothing, and describes the bot.
    const me = await sdk.getMe();
    return {
      id: me.id,
      username: me.username,
      firstName: me.first_name,
      canJoinGroups: me.can_join_groups,
      canReadAllGroupMessages: me.can_read_all_group_messages,
    };
  },
};
