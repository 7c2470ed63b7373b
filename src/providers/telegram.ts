/**
 * Telegram, through telegraf's `Telegram` API client (4.16; not the bot framework).
 * `createClient('telegram')` returns a `Telegram`. Wire facts: shared/research/sdks.md §3.6.
 *
 * telegraf has no `fetch` option (node-fetch 2 is hard-wired) and puts the token in the URL
 * path (`/bot<TOKEN>/<method>`), so keycard meters it at the method level: every typed method
 * (`getMe`, `sendMessage`, …) goes through `callApi`, which keycard wraps to
 * - run telegraf's `callApi` on an object made for that call alone (see {@link callReceivers}),
 *   which gives it the current token (so a rotated token is picked up) while the client itself
 *   keeps {@link TELEGRAM_TOKEN_PLACEHOLDER},
 * - time and record the call (one ledger event per method, named after it, no tokens),
 * - end it after `timeout` (default {@link DEFAULT_TELEGRAM_TIMEOUT_MS}, plus the long-poll wait of
 *   `getUpdates`) with a `TimeoutError`: telegraf itself waits up to 500 s, and a body cut short
 *   after its `content-length` hangs until then. A caller's own `callApi(…, { signal })` still
 *   applies. `timeout: Infinity` leaves only telegraf's 500 s, which keycard then enforces in its
 *   place: node-fetch is told to start no timers of its own for keycard's calls
 *   (`telegram-fetch.ts`), because the one for the body outlives a failed call by up to 500 s.
 *
 * Errors: 401, and the 404 Telegram answers for a path that holds no valid token (or for a method
 * that does not exist), are `unauthorized`. A 403 ("bot was blocked by the user", "not enough
 * rights") is about a chat, not the token: it keeps telegraf's `TelegramError`, as does a 429
 * (outcome `rate_limited`, `parameters.retry_after` kept). Telegram is free: it never yields
 * `quota_exceeded`.
 *
 * Where the token is: never on the client. `sdk.token` reads the placeholder (assigning it
 * throws), and `sdk.options.agent` is empty: keycard keeps the HTTP agent (the caller's
 * `sdkOptions.agent`, else telegraf's keep-alive one) to itself, because an agent's sockets lead
 * to the request in flight, whose path holds the token. The clear token exists only in telegraf's
 * call frames, the URL it builds and the request node-fetch sends; every error is redacted
 * (telegraf leaves the token in the URL of its body-phase errors, and of connection errors for
 * tokens that do not look like Telegram's). telegraf's `debug` output (`DEBUG=telegraf:*`) is
 * redacted too (`src/redact/debug-output.ts`).
 *
 * Known limits:
 * - `getFileLink()` returns a download URL that holds the token: that is what the URL is for;
 * - `NODE_DEBUG=http` makes Node itself print request URLs, token included;
 * - telegraf makes no retries, so `maxRetries` does not apply.
 * @module
 */
import type { Telegram } from 'telegraf';
import { KeycardError } from '../errors.js';
import { importOptional } from '../import-optional.js';
import { redactDebugOutputOf } from '../redact/debug-output.js';
import { registerSecret } from '../redact/registry.js';
import type { Secret } from '../secret.js';
import { CallDeadline } from './call-deadline.js';
import { asObject } from './json.js';
import { isClassWith, sdkFromUser } from './load.js';
import { TELEGRAF_FETCH_TIMEOUT_MS, telegrafAgent, useKeycardFetchFor } from './telegram-fetch.js';
import { withTelegrafTimers } from './telegram-timers.js';
import type { FailureClass, KeyIdentity, ProviderAdapter, ProviderFailure } from './types.js';

/** What `sdkOptions` may hold for Telegram: telegraf's client options but the API root. */
export type TelegramSdkOptions = Omit<Partial<Telegram['options']>, 'apiRoot'>;

/** What the client holds instead of the token: calls get the real one (see {@link callReceivers}). */
export const TELEGRAM_TOKEN_PLACEHOLDER = 'keycard-managed-token';

/** How long one call may take when no `timeout` is set, in milliseconds. */
export const DEFAULT_TELEGRAM_TIMEOUT_MS = 60_000;

/** The longest delay a Node timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

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

/** The call's time limit in whole milliseconds, or `undefined` for none. */
function limitOf(timeout: number | undefined): number | undefined {
  const limit = timeout ?? DEFAULT_TELEGRAM_TIMEOUT_MS;
  if (Number.isNaN(limit) || limit < 0) {
    throw new KeycardError(
      `createClient: timeout must be a number of milliseconds (0 or more, or Infinity), not ${String(timeout)}.`,
    );
  }
  return limit === Number.POSITIVE_INFINITY ? undefined : Math.ceil(limit);
}

/** Extra time for `getUpdates`, which waits up to `timeout` seconds on the server (long polling). */
function longPollMs(method: string, payload: unknown): number {
  const wait = asObject(payload)?.['timeout'];
  return method === 'getUpdates' && typeof wait === 'number' && Number.isFinite(wait) && wait > 0
    ? Math.ceil(wait * 1000)
    : 0;
}

function timeoutError(method: string, limitMs: number, cause: unknown, keycards: boolean): Error {
  const whose = keycards
    ? "keycard's timeout; set createClient's timeout option to change it"
    : "telegraf's own limit, which applies when keycard's timeout is Infinity";
  const error = new Error(`Telegram did not answer ${method} within ${limitMs} ms (${whose}).`, { cause });
  error.name = 'TimeoutError';
  return error;
}

/**
 * Registers a token as it appears in a URL path, when that differs from the token and from its
 * `encodeURIComponent` form (which the redactor already knows): URLs escape `{` or a space but
 * keep `:`, and telegraf's errors quote the URL. Only tokens of no Telegram shape are concerned.
 */
function redactAsInPath(secret: Secret): void {
  const token = secret.reveal();
  if (/^[\w:.~-]*$/.test(token)) return;
  const inPath = new URL(`./bot${token}/`, 'http://telegram.invalid/').pathname.slice(4, -1);
  if (inPath !== token && inPath !== encodeURIComponent(token))
    registerSecret(inPath, `[REDACTED telegram ${secret.maskedId}]`);
}

/**
 * Makes `this` for each telegraf call: an object made for that call alone, whose prototype is the
 * client (so telegraf reads its methods and settings as usual), with its own `token` (a getter
 * over the `Secret`) and `options` (the client's, with `agent`, the agent keycard keeps). telegraf
 * reads both as the call starts; nothing the caller holds refers to this object.
 */
function callReceivers(client: Telegram, agent: unknown): (secret: Secret) => Telegram {
  // The client's options as they stand at each read (a caller may change them), but `agent`.
  const options: Record<string, unknown> = Object.create(client.options);
  options['agent'] = agent;
  class CallReceiver {
    readonly #secret: Secret;
    readonly options = options;
    constructor(secret: Secret) {
      this.#secret = secret;
    }
    get token(): string {
      return this.#secret.reveal();
    }
  }
  Object.setPrototypeOf(CallReceiver.prototype, client);
  return (secret) => new CallReceiver(secret) as unknown as Telegram;
}

/** Makes `client.token` the placeholder for good: reading it gives the placeholder, assigning throws. */
function placeholderToken(client: Telegram): void {
  Object.defineProperty(client, 'token', {
    get: () => TELEGRAM_TOKEN_PLACEHOLDER,
    set: () => {
      throw new KeycardError(
        'keycard: the Telegram bot token is set by keycard from the key source; it cannot be assigned on the client.',
      );
    },
    enumerable: false,
    configurable: true,
  });
}

/** Replaces `client[name]` with `value`, as a non-enumerable own method. */
function defineMethod(client: Telegram, name: string, value: unknown): void {
  Object.defineProperty(client, name, { value, enumerable: false, configurable: true, writable: true });
}

/** The adapter's `failureFromError`: a `TelegramError` carries the API's answer in `response`. */
function failureFromError(error: unknown): ProviderFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const response = asObject((error as Error & { response?: unknown }).response);
  const status = response?.['error_code'];
  if (typeof status !== 'number') return undefined;
  const description = response?.['description'];
  return { status, message: typeof description === 'string' ? description : undefined };
}

/** What the `sdk` option takes for Telegram: telegraf's `Telegram` class, or the telegraf module. */
export type TelegramSdkSource = typeof Telegram | typeof import('telegraf');

/** The Telegram adapter. */
export const telegram: ProviderAdapter<
  Telegram,
  typeof import('telegraf'),
  TelegramSdkOptions,
  TelegramSdkSource
> = {
  id: 'telegram',
  packageName: 'telegraf',
  load: async () => {
    const module = await importOptional<typeof import('telegraf')>('telegraf');
    // telegraf logs through `debug` (`DEBUG=telegraf:*`): its lines are redacted from now on.
    redactDebugOutputOf('telegraf');
    return module;
  },
  fromUser: (given) => {
    const module = sdkFromUser(given, {
      provider: 'telegram',
      packageName: 'telegraf',
      exportName: 'Telegram',
      isExport: (value) =>
        isClassWith(value, [], ['callApi', 'getMe']) && !isClassWith(value, [], ['launch']),
      fromExport: (TelegramClass) => ({ Telegram: TelegramClass }) as typeof import('telegraf'),
      explainWrong: (value) =>
        isClassWith(value, [], ['launch', 'handleUpdate'])
          ? "the Telegraf class (the bot); keycard's client is a Telegram (import { Telegram } from 'telegraf')"
          : undefined,
    });
    redactDebugOutputOf('telegraf');
    return module;
  },

  create(module, context) {
    const limitMs = limitOf(context.timeout);
    // telegraf resolves `./bot<TOKEN>/<method>` against apiRoot: a root with a path needs its
    // trailing slash, or its last segment is dropped.
    const root = context.baseURL ?? 'https://api.telegram.org';
    const client = new module.Telegram(TELEGRAM_TOKEN_PLACEHOLDER, {
      ...context.sdkOptions,
      apiRoot: new URL(root).pathname === '/' || root.endsWith('/') ? root : `${root}/`,
    });
    placeholderToken(client);
    // The agent's sockets lead to the request in flight (its path holds the token): keycard keeps
    // it (telegraf has already dropped it for an `http:` root).
    const agent: unknown = client.options.agent;
    Reflect.deleteProperty(client.options, 'agent');
    const original = client.callApi as CallApi;
    const originalFileLink = client.getFileLink as (this: Telegram, fileId: unknown) => Promise<URL>;
    // Every call gets keycard's time limit; telegraf's own 500 s one then has nothing to do, and
    // node-fetch is told so (`telegram-fetch.ts`), unless this telegraf is a bundled copy.
    const ownFetch = useKeycardFetchFor(module.Telegram);
    const receiverFor = callReceivers(client, ownFetch ? telegrafAgent(agent) : agent);
    const callApi: CallApi = (method, payload, options = {}) => {
      const callerSignal = options.signal;
      const callLimit = limitMs === undefined ? undefined : limitMs + longPollMs(method, payload);
      const ownLimit = callLimit !== undefined && callLimit <= MAX_TIMER_MS;
      return context.meter({
        operation: method,
        model: null,
        signal: callerSignal,
        run: async (secret) => {
          const deadline =
            ownLimit || ownFetch
              ? new CallDeadline(ownLimit ? callLimit : TELEGRAF_FETCH_TIMEOUT_MS, callerSignal)
              : undefined;
          const signal = deadline?.signal ?? callerSignal;
          redactAsInPath(secret);
          const receiver = receiverFor(secret);
          const call = () => original.call(receiver, method, payload, signal === undefined ? {} : { signal });
          try {
            return await (ownFetch ? call() : withTelegrafTimers(call));
          } catch (error) {
            if (deadline?.expired === true && callerSignal?.aborted !== true)
              throw timeoutError(method, deadline.ms, error, ownLimit);
            throw error;
          } finally {
            deadline?.end();
          }
        },
      });
    };
    defineMethod(client, 'callApi', callApi);
    // The download URL holds the token by design; it is built on a call's own object too.
    const fileLinkReceiverFor = callReceivers(client, agent);
    defineMethod(client, 'getFileLink', (fileId: unknown) =>
      originalFileLink.call(fileLinkReceiverFor(context.currentKey()), fileId),
    );
    return client;
  },

  failureFromError,
  classify,

  async verify(sdk): Promise<KeyIdentity> {
    // getMe needs a valid token, costs nothing, and describes the bot.
    const me = await sdk.getMe();
    return {
      id: me.id,
      username: me.username,
      firstName: me.first_name,
      isBot: me.is_bot,
      canJoinGroups: me.can_join_groups,
      canReadAllGroupMessages: me.can_read_all_group_messages,
      supportsInlineQueries: me.supports_inline_queries,
    };
  },
};
