/**
 * The Discord simulator: the HTTP API under `/api/v<version>/` (what `@discordjs/rest` calls),
 * with Discord's error envelope `{ "message", "code", "errors"? }` and its rate-limit headers
 * (`x-ratelimit-limit`, `-remaining`, `-reset`, `-reset-after`, `-bucket`, `-scope`, and
 * `x-ratelimit-global` on a global limit).
 *
 * Implemented: `GET /users/@me` (the bot user; its id is the snowflake the token's first part
 * encodes), `GET /applications/@me` and `GET /oauth2/applications/@me` (the bot's application),
 * `GET /channels/:id`, `POST /channels/:id/messages` (JSON or multipart with `payload_json`;
 * an empty message is Discord's 400 50006, content over 2,000 characters its 400 50035 with
 * `errors`), `POST /channels/:id/webhooks` (creates a webhook and hands out its token) and the
 * webhook execute `POST /webhooks/:id/:token` (204, or the message with `?wait=true`). Anything
 * else is Discord's 404 `{"message":"404: Not Found","code":0}`.
 *
 * The bot token is read from `Authorization: Bot <token>`. A webhook's token is in its URL, and
 * needs no bot token: it is checked against the tokens this simulator's process hands out
 * (a bad one is Discord's 401 50027 Invalid Webhook Token); the `unauthorized` fault does not
 * apply to webhooks.
 *
 * Faults: `unauthorized` → 401 `{"message":"401: Unauthorized","code":0}`; `forbidden` → 403
 * 50001 Missing Access for a read (`GET`), 50013 Missing Permissions otherwise; `rate_limit` →
 * a per-route 429 (`x-ratelimit-scope: user`, `retry-after: 1`, body `retry_after`, `global:
 * false`); `quota` → Discord has no billing quota, so the global 429 (`x-ratelimit-global: true`,
 * `x-ratelimit-scope: global`, body `global: true`); `server_error` → an HTML 500, as
 * Discord's edge answers; `bad_json` → a 200 JSON body cut short.
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';
import { json } from './wire.js';

/** `/api/v10/…` or `/api/…` (unversioned): the route after the version. */
const API_PATH = /^\/api(?:\/v\d{1,2})?(\/.*)$/;
const SNOWFLAKE = '(\\d{17,20})';
const CHANNEL = new RegExp(`^/channels/${SNOWFLAKE}$`);
const CHANNEL_MESSAGES = new RegExp(`^/channels/${SNOWFLAKE}/messages$`);
const CHANNEL_WEBHOOKS = new RegExp(`^/channels/${SNOWFLAKE}/webhooks$`);
const WEBHOOK = new RegExp(`^/webhooks/${SNOWFLAKE}/([^/]+)$`);

/** Signs the webhook tokens this process hands out, so that any simulator can check them. */
const WEBHOOK_SECRET = randomBytes(32);
/** Discord's epoch (2015-01-01), from which snowflakes count milliseconds. */
const DISCORD_EPOCH = 1_420_070_400_000n;
/** Used when the token's first part is no snowflake. */
const DEFAULT_BOT_ID = '1234567890123456789';
const GUILD_ID = '1100000000000000001';
const APPLICATION_NAME = 'keycard-bot';

let sequence = 0n;
/** A fresh snowflake: time since Discord's epoch, then a counter. */
function snowflake(): string {
  sequence = (sequence + 1n) % 4096n;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | sequence).toString();
}

/** The token of webhook `id`: 68 URL-safe characters, as Discord's. */
function webhookToken(id: string): string {
  return createHmac('sha512', WEBHOOK_SECRET).update(id).digest('base64url').slice(0, 68);
}

const error = (
  status: number,
  message: string,
  code: number,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => json(status, { message, code, ...extra }, headers);

const notFound = () => error(404, '404: Not Found', 0);

/** The route after `/api/v<version>`, or `undefined` outside the API. */
function routeOf(request: SimulatorRequest): string | undefined {
  return API_PATH.exec(request.path)?.[1];
}

/** The bot's user id: what the token's first part encodes, read from its masked id. */
function botIdOf(context: SimulatorContext): string {
  const encoded = /^([A-Za-z0-9_-]+)\./.exec(context.key?.maskedId ?? '')?.[1];
  const decoded = encoded === undefined ? '' : Buffer.from(encoded, 'base64url').toString('latin1');
  return /^\d{17,20}$/.test(decoded) ? decoded : DEFAULT_BOT_ID;
}

function botUser(context: SimulatorContext) {
  return {
    id: botIdOf(context),
    username: APPLICATION_NAME,
    discriminator: '0',
    global_name: null,
    avatar: null,
    bot: true,
    flags: 0,
  };
}

/** Headers of a bucket with room left: @discordjs/rest reads them after every answer. */
function bucketHeaders(route: string, remaining: number): Record<string, string> {
  const resetAfter = 1;
  return {
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(Date.now() / 1000 + resetAfter),
    'x-ratelimit-reset-after': String(resetAfter),
    'x-ratelimit-bucket': createHmac('sha1', 'bucket').update(route).digest('hex').slice(0, 32),
  };
}

/** The message a request posts: its JSON body, or a multipart body's `payload_json` and files. */
function postedMessage(request: SimulatorRequest): { payload: Record<string, unknown>; files: number } {
  const type = String(request.headers['content-type'] ?? '');
  if (type.startsWith('multipart/form-data')) {
    const parts = request.bodyText.split(/\r?\n--/);
    let payload: Record<string, unknown> = {};
    let files = 0;
    for (const part of parts) {
      if (/name="payload_json"/.test(part)) {
        const body = part
          .split(/\r?\n\r?\n/)
          .slice(1)
          .join('\n\n')
          .trim();
        try {
          payload = JSON.parse(body) as Record<string, unknown>;
        } catch {
          payload = {};
        }
      } else if (/filename="/.test(part)) files += 1;
    }
    return { payload, files };
  }
  const body = request.json;
  return {
    payload: typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {},
    files: 0,
  };
}

/** Discord's answer to a message: the message, or its 400 for an empty or too long one. */
function createMessage(
  request: SimulatorRequest,
  channelId: string,
  author: Record<string, unknown>,
): SimulatedResponse | Record<string, unknown> {
  const { payload, files } = postedMessage(request);
  const content = typeof payload['content'] === 'string' ? payload['content'] : '';
  const embeds = Array.isArray(payload['embeds']) ? payload['embeds'] : [];
  if (content === '' && embeds.length === 0 && files === 0 && payload['sticker_ids'] === undefined) {
    return error(400, 'Cannot send an empty message', 50006);
  }
  if (content.length > 2000) {
    return error(400, 'Invalid Form Body', 50035, {
      errors: {
        content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
      },
    });
  }
  return {
    id: snowflake(),
    type: 0,
    channel_id: channelId,
    content,
    embeds,
    attachments: Array.from({ length: files }, () => ({ id: snowflake() })),
    author,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    pinned: false,
    flags: 0,
  };
}

/** Executes a webhook: 204, or the message with `?wait=true`; 401 50027 for a bad token. */
function executeWebhook(request: SimulatorRequest, id: string, token: string): SimulatedResponse {
  if (request.method !== 'POST') return error(405, '405: Method Not Allowed', 0);
  if (token !== webhookToken(id)) return error(401, 'Invalid Webhook Token', 50027);
  const author = { id, username: 'keycard-webhook', discriminator: '0000', avatar: null, bot: true };
  const message = createMessage(request, '1100000000000000002', author);
  if ('status' in message && typeof message.status === 'number') return message as SimulatedResponse;
  if (request.query.get('wait') !== 'true') return { status: 204, headers: bucketHeaders('/webhooks', 4) };
  return json(200, { ...message, webhook_id: id }, bucketHeaders('/webhooks', 4));
}

function fail(fault: HttpFault, request: SimulatorRequest, _context: SimulatorContext): SimulatedResponse {
  const route = routeOf(request) ?? '';
  switch (fault) {
    case 'unauthorized': {
      const webhook = WEBHOOK.exec(route);
      if (webhook?.[1] !== undefined && webhook[2] !== undefined) {
        return executeWebhook(request, webhook[1], webhook[2]);
      }
      return error(401, '401: Unauthorized', 0);
    }
    case 'forbidden':
      return request.method === 'GET'
        ? error(403, 'Missing Access', 50001)
        : error(403, 'Missing Permissions', 50013);
    case 'rate_limit':
      return json(
        429,
        { message: 'You are being rate limited.', retry_after: 1, global: false },
        { ...bucketHeaders(route, 0), 'retry-after': '1', 'x-ratelimit-scope': 'user' },
      );
    case 'quota':
      // Discord has no billing quota: its global rate limit is the closest.
      return json(
        429,
        { message: 'You are being rate limited.', retry_after: 1, global: true, code: 0 },
        { 'retry-after': '1', 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' },
      );
    case 'server_error':
      return {
        status: 500,
        headers: { 'content-type': 'text/html' },
        body: '<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1></body></html>',
      };
    case 'bad_json':
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"id":"1100000000000000003","username":"keycard',
      };
  }
}

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const route = routeOf(request);
  if (route === undefined) return notFound();
  const ok = (body: unknown, status = 200) => json(status, body, bucketHeaders(route, 4));
  const webhook = WEBHOOK.exec(route);
  if (webhook?.[1] !== undefined && webhook[2] !== undefined) {
    return executeWebhook(request, webhook[1], webhook[2]);
  }
  const get = request.method === 'GET';
  if (get && route === '/users/@me') return ok(botUser(context));
  if (get && (route === '/applications/@me' || route === '/oauth2/applications/@me')) {
    return ok({
      id: botIdOf(context),
      name: APPLICATION_NAME,
      description: 'A bot simulated by keycard.',
      bot_public: false,
      bot_require_code_grant: false,
      flags: 0,
      approximate_guild_count: 3,
      bot: botUser(context),
      owner: { id: '1000000000000000001', username: 'owner', discriminator: '0', avatar: null },
    });
  }
  const channel = CHANNEL.exec(route)?.[1];
  if (get && channel !== undefined) {
    return ok({ id: channel, type: 0, guild_id: GUILD_ID, name: 'general', position: 0, nsfw: false });
  }
  const messages = CHANNEL_MESSAGES.exec(route)?.[1];
  if (request.method === 'POST' && messages !== undefined) {
    const message = createMessage(request, messages, botUser(context));
    if ('status' in message && typeof message.status === 'number') return message as SimulatedResponse;
    return ok(message);
  }
  const hooks = CHANNEL_WEBHOOKS.exec(route)?.[1];
  if (request.method === 'POST' && hooks !== undefined) {
    const id = snowflake();
    const name = (request.json as { name?: unknown } | undefined)?.name;
    return ok({
      id,
      type: 1,
      channel_id: hooks,
      guild_id: GUILD_ID,
      name: typeof name === 'string' ? name : 'keycard',
      avatar: null,
      application_id: botIdOf(context),
      token: webhookToken(id),
    });
  }
  return notFound();
}

/** The Discord side of the simulator. */
export const discordSimulator: ProviderSimulator = {
  id: 'discord',
  apiPath: '/api',

  credential(request) {
    const match = /^Bot\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
    return match?.[1];
  },

  modelOf() {
    return null;
  },

  commonHeaders(context) {
    // Discord's edge (Cloudflare) names each answer with a ray id.
    return { 'cf-ray': `${context.requestId.slice(-16)}-SIM` };
  },

  fail,
  handle,
};
