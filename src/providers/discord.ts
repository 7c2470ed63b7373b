/**
 * Discord, through the official `@discordjs/rest` (2.x) `REST` client. `createClient('discord')`
 * returns a `REST`: `get`, `post`, `put`, `patch`, `delete` and `request` on any route of the
 * HTTP API (`sdk.post(Routes.channelMessages(id), { body: { content } })`), with its own
 * per-route and global rate-limit queues.
 *
 * What keycard sets, and why:
 * - **No token on the SDK.** `REST` refuses to send an authorised request without a token, so
 *   it is given a placeholder ({@link TOKEN_PLACEHOLDER}), never the key; its `makeRequest`
 *   (the `fetch`-like function it sends every request with) is keycard's `fetch`, which puts
 *   `Authorization: Bot <key>` in place of the placeholder on each request. A request made with
 *   `auth: false` (webhooks, interaction callbacks) carries no `Authorization`, and none is
 *   added. `setToken(token)` is refused with a `KeycardError` (the key would then sit on the
 *   object): create one client per token instead. `REST` drops its token after a 401; keycard
 *   keeps the placeholder, so the next call reads the key source again instead of failing with
 *   "Expected token to be set".
 * - **Rate limits stay the SDK's.** A 429 reaches `REST` untouched (headers and body), so its
 *   per-route buckets, the global limit and `retry-after` work as documented: it waits and
 *   retries. With `maxRetries: 0`, keycard sets `rejectOnRateLimit`, so that a rate limit
 *   throws the SDK's `RateLimitError` at once instead of waiting (`sdkOptions` may override).
 * - **Retries and timeout.** `maxRetries` is the SDK's `retries` (for 5xx answers and reset
 *   connections; default 3, the SDK's own) and `timeout` its per-attempt `timeout` (default
 *   15 s, the SDK's own; `0` or `Infinity` means none).
 *
 * Errors: a 401 is `unauthorized` (the source is read again and the call replayed once when the
 * key changed), except Discord's 50027 Invalid Webhook Token, which is about a webhook's URL and
 * not the bot token; a 403 with 50001 Missing Access or 50013 Missing Permissions (or 20001/20002,
 * an endpoint bots may not use, or only bots may) is `forbidden`,
 * and its hint names the permission the route usually needs (Discord does not say which one is
 * missing). Rate limits (429, global or per route) and every other error keep the SDK's own error
 * (`DiscordAPIError`, `HTTPError`, `RateLimitError`), redacted. Discord bills nothing per call,
 * so it never yields `quota_exceeded`.
 *
 * Ledger: one event per HTTP request, named after its method and route with ids and tokens
 * replaced (`POST /channels/:id/messages`, `POST /webhooks/:id/:token`), model `null`, no tokens.
 * @module
 */
import type { REST, RESTOptions } from '@discordjs/rest';
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
} from './types.js';

/**
 * What `sdkOptions` may hold for Discord: everything but the transport (`makeRequest`), the API
 * root (`baseURL`), the key's place (`authPrefix`), the timeout and the retries.
 */
export type DiscordSdkOptions = Omit<
  Partial<RESTOptions>,
  'makeRequest' | 'api' | 'authPrefix' | 'timeout' | 'retries'
>;

/** What the `sdk` option takes for Discord: the SDK's `REST` class, or its module. */
export type DiscordSdkSource = typeof REST | typeof import('@discordjs/rest');

/** The API root when no `baseURL` is set (the SDK adds `/v10`). */
export const DISCORD_API_URL = 'https://discord.com/api';

/**
 * The token `REST` holds: not a key. keycard's `fetch` replaces it with the key on the wire.
 * @internal
 */
export const TOKEN_PLACEHOLDER = 'keycard-puts-the-bot-token-on-each-request';

/** The longest delay a Node timer honours; beyond it Node fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const PORTAL = 'https://discord.com/developers/applications';

const HINTS = {
  unauthorized: `Discord does not accept this bot token (mistyped, reset, or the bot deleted): copy the token from your application's Bot page at ${PORTAL} (Reset Token makes a new one and voids the old) and update the key source.`,
  missingAccess: `The bot cannot see this channel or server (Discord 50001 Missing Access): invite it to the server (OAuth2 URL Generator with the bot scope at ${PORTAL}) and let its role View Channel there.`,
  missingPermissions:
    "The bot is in the server but lacks a permission for this action (Discord 50013 Missing Permissions; Discord does not say which): give its role the permission in Server Settings, Roles, or in the channel's permission overrides.",
  refused:
    'Discord does not let this kind of token use this endpoint (20001: bots may not; 20002: only bots may): call it with the token it needs, or use another endpoint.',
};

/** Discord's error codes about what the bot may do (HTTP 403). */
const FORBIDDEN_CODES: Readonly<Record<string, string>> = {
  '50001': HINTS.missingAccess,
  '50013': HINTS.missingPermissions,
  // Bots cannot use this endpoint; only bots can use this endpoint.
  '20001': HINTS.refused,
  '20002': HINTS.refused,
};

/** Discord's 401 for a webhook URL's token: about the webhook, not the bot token. */
const INVALID_WEBHOOK_TOKEN = '50027';

/** The permission a route usually needs, for the 50013 hint: method and route, then the names. */
const ROUTE_PERMISSIONS: readonly (readonly [RegExp, string])[] = [
  [
    /^POST \/channels\/:id\/messages$/,
    'Send Messages and View Channel (Embed Links for embeds, Attach Files for files, Send Messages in Threads in a thread)',
  ],
  [/^GET \/channels\/:id\/messages/, 'View Channel and Read Message History'],
  [/^(PUT|DELETE) \/channels\/:id\/messages\/:id\/reactions/, 'Add Reactions and Read Message History'],
  [
    /^(DELETE \/channels\/:id\/messages\/:id|POST \/channels\/:id\/messages\/bulk-delete)$/,
    'Manage Messages',
  ],
  [/^(PUT|DELETE) \/channels\/:id\/(messages\/)?pins/, 'Pin Messages (formerly Manage Messages)'],
  [/^(GET|POST) \/(channels|guilds)\/:id\/webhooks$/, 'Manage Webhooks'],
  [/^POST \/channels\/:id\/invites$/, 'Create Instant Invite'],
  [
    /^POST \/channels\/:id\/(messages\/:id\/)?threads$/,
    'Create Public Threads (Create Private Threads for a private one)',
  ],
  [/^(PATCH|DELETE) \/channels\/:id$/, 'Manage Channels'],
  [/^(PUT|DELETE) \/guilds\/:id\/bans/, 'Ban Members'],
  [/^DELETE \/guilds\/:id\/members\/:id$/, 'Kick Members'],
  [/^(PUT|DELETE) \/guilds\/:id\/members\/:id\/roles|^\w+ \/guilds\/:id\/roles/, 'Manage Roles'],
  [
    /^PATCH \/guilds\/:id\/members\//,
    'Manage Nicknames, Manage Roles, Moderate Members or Move Members, as the fields need',
  ],
  [/^\w+ \/guilds\/:id\/(emojis|stickers)/, 'Manage Expressions'],
  [/^GET \/guilds\/:id\/audit-logs$/, 'View Audit Log'],
  [/^PATCH \/guilds\/:id$/, 'Manage Server'],
];

/** `POST /channels/:id/messages` from a request's method and its path under the API root. */
export function operationOf(method: string, url: URL, root: URL): string {
  let path = url.pathname;
  const rootPath = root.pathname.replace(/\/+$/, '');
  if (path.startsWith(`${rootPath}/`)) path = path.slice(rootPath.length);
  path = path
    .replace(/^\/v\d{1,2}(?=\/)/, '')
    .replace(/\/(webhooks|interactions)\/\d+\/[^/]+/, '/$1/:id/:token')
    .replace(/\/reactions\/[^/]+/, '/reactions/:emoji')
    .replace(/\/(invites|templates)\/[^/]+/, '/$1/:code')
    .replace(/\/\d+(?=\/|$)/g, '/:id');
  return `${method.toUpperCase()} ${path === '' ? '/' : path}`;
}

/** The permission `operation` usually needs, when known. */
function permissionFor(operation: string): string | undefined {
  return ROUTE_PERMISSIONS.find(([route]) => route.test(operation))?.[1];
}

function codeOf(value: unknown): string | undefined {
  return typeof value === 'number' || (typeof value === 'string' && /^\w{1,32}$/.test(value))
    ? String(value)
    : undefined;
}

function classify(failure: ProviderFailure): FailureClass {
  const code = failure.code ?? '';
  if (failure.status === 401) {
    if (code === INVALID_WEBHOOK_TOKEN) return { outcome: 'error' };
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.unauthorized };
  }
  if (failure.status === 403) {
    const hint = FORBIDDEN_CODES[code];
    // Other 403s are about the target (a user who takes no DMs: 50007), not the bot's key; one
    // without Discord's code is an edge's (Cloudflare refusing an address), not Discord's.
    if (hint === undefined) return { outcome: 'error' };
    return {
      outcome: 'forbidden',
      reason: 'forbidden',
      hint: failure.message === undefined ? hint : `${hint} ${failure.message}`,
    };
  }
  if (failure.status === 429) return { outcome: 'rate_limited' };
  return { outcome: 'error' };
}

/** The SDK's per-attempt `timeout`: none (`0`, `Infinity`) as the longest a timer can wait. */
function timeoutOf(timeout: number | undefined): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new KeycardError(
      `createClient: timeout must be a number of milliseconds (0 or more, or Infinity), not ${String(timeout)}.`,
    );
  }
  return timeout === 0 || timeout > MAX_TIMER_MS ? MAX_TIMER_MS : Math.ceil(timeout);
}

/** The API root as a URL, from `baseURL` (without the version the SDK adds). */
function apiRootOf(baseURL: string | undefined): URL {
  const root = new URL(baseURL ?? DISCORD_API_URL);
  root.search = '';
  root.hash = '';
  return root;
}

type DiscordModule = typeof import('@discordjs/rest');

/** The Discord adapter. */
export const discord: ProviderAdapter<REST, DiscordModule, DiscordSdkOptions, DiscordSdkSource> = {
  id: 'discord',
  packageName: '@discordjs/rest',
  load: () => importOptional<DiscordModule>('@discordjs/rest'),
  fromUser: (given) =>
    sdkFromUser(given, {
      provider: 'discord',
      packageName: '@discordjs/rest',
      exportName: 'REST',
      isExport: (value) =>
        isClassWith(value, ['generateRouteData'], ['request', 'queueRequest', 'setToken', 'resolveRequest']),
      // `create` uses the class alone.
      fromExport: (RESTClass) => ({ REST: RESTClass }) as unknown as DiscordModule,
    }),

  create(module, context) {
    const { rejectOnRateLimit, ...user } = context.sdkOptions;
    const root = apiRootOf(context.baseURL);
    const timeout = timeoutOf(context.timeout);
    const fetch = context.fetch;

    // A subclass only to keep the key off the object: it is still a `REST`, with the same name
    // and types.
    const RESTClass = module.REST;
    const Client = class REST extends RESTClass {
      constructor(options: Partial<RESTOptions>) {
        super(options);
        super.setToken(TOKEN_PLACEHOLDER);
      }

      override setToken(token: string | null): this {
        // The SDK's own reaction to a 401 (it drops the token): keycard keeps the placeholder,
        // and reads the key source again on the next 401.
        if (token === null) return this;
        throw new KeycardError(
          "keycard: setToken() was called on a keycard Discord client. It sends its own key with every request (rotation and the ledger depend on it), so it holds no token: create one client per token, e.g. createClient('discord', keys.literal(token)).",
        );
      }
    };

    return new Client({
      ...user,
      ...(rejectOnRateLimit !== undefined
        ? { rejectOnRateLimit }
        : context.maxRetries === 0
          ? { rejectOnRateLimit: () => true }
          : {}),
      api: root.href.replace(/\/+$/, ''),
      authPrefix: 'Bot',
      ...(timeout === undefined ? {} : { timeout }),
      ...(context.maxRetries === undefined ? {} : { retries: context.maxRetries }),
      // keycard's fetch takes a `RequestInit`; the SDK hands undici's (the same fields).
      makeRequest: ((url: string, init: RequestInit) =>
        fetch(url, init)) as unknown as RESTOptions['makeRequest'],
    });
  },

  http: {
    authorize(request: OutgoingRequest, secret) {
      const current = request.headers.get('authorization');
      // `auth: false` (webhooks, interaction callbacks): no key. Another value set by the caller
      // in a request's `headers` (an OAuth2 bearer token) is left as it is.
      if (current === null) return;
      if (current === `Bot ${TOKEN_PLACEHOLDER}` || current === `Bearer ${TOKEN_PLACEHOLDER}`) {
        request.headers.set('authorization', `Bot ${secret.reveal()}`);
      }
    },

    plan(request) {
      // The API root is not known here: the version segment and ids are found in the path.
      const operation = operationOf(request.method, request.url, apiRootFromPath(request.url));
      return { operation, model: null };
    },

    usage: noUsage,

    failureFromResponse(status, body, headers) {
      const error = asObject(body);
      const scope = headers.get('x-ratelimit-scope') ?? (error?.['global'] === true ? 'global' : undefined);
      return {
        status,
        code: codeOf(error?.['code']),
        type: status === 429 ? (scope ?? undefined) : undefined,
        requestId: headers.get('cf-ray') ?? undefined,
      };
    },
  },

  failureFromError(error) {
    if (!(error instanceof Error)) return undefined;
    const fields = error as Error & {
      status?: unknown;
      code?: unknown;
      rawError?: unknown;
      method?: unknown;
      url?: unknown;
      retryAfter?: unknown;
      global?: unknown;
      scope?: unknown;
    };
    // RateLimitError (rejectOnRateLimit): no status of its own.
    if (error.name.startsWith('RateLimitError') && typeof fields.retryAfter === 'number') {
      return { status: 429, type: fields.global === true ? 'global' : String(fields.scope ?? 'user') };
    }
    if (typeof fields.status !== 'number') return undefined;
    // DiscordAPIError (a 4xx with Discord's body) or HTTPError (a 5xx).
    if (!('rawError' in fields) && error.name !== 'HTTPError') return undefined;
    const code = 'rawError' in fields ? codeOf(fields.code) : undefined;
    let message: string | undefined;
    if (fields.status === 403 && code === '50013' && typeof fields.url === 'string') {
      const method = typeof fields.method === 'string' ? fields.method : 'GET';
      try {
        const operation = operationOf(method, new URL(fields.url), apiRootFromPath(new URL(fields.url)));
        const permission = permissionFor(operation);
        if (permission !== undefined) message = `${operation} usually needs ${permission}.`;
      } catch {
        // Not a URL: no route, no permission named.
      }
    }
    return { status: fields.status, code, message };
  },

  classify,

  async verify(sdk): Promise<KeyIdentity> {
    // GET /users/@me needs a valid bot token and says whose it is; GET /applications/@me adds
    // the application and how many servers it is in (`approximate_guild_count`). Two cheap
    // reads, each in its own rate-limit bucket.
    const user = asObject(await sdk.get('/users/@me')) ?? {};
    const application = asObject(await sdk.get('/applications/@me')) ?? {};
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const identity: KeyIdentity = {
      bot: text(user['username']),
      botId: text(user['id']),
      application: text(application['name']),
      applicationId: text(application['id']),
    };
    const guilds = application['approximate_guild_count'];
    if (typeof guilds === 'number') identity['guilds'] = guilds;
    return identity;
  },
};

/**
 * The API root of a request URL: everything before its version segment (`/api/v10/…` →
 * `/api`), or before `/api/` when it has none.
 */
function apiRootFromPath(url: URL): URL {
  const root = new URL(url.href);
  const versioned = /^(.*?)\/v\d{1,2}\//.exec(url.pathname);
  const plain = /^(.*?\/api)\//.exec(url.pathname);
  root.pathname = versioned?.[1] ?? plain?.[1] ?? '';
  root.search = '';
  return root;
}
