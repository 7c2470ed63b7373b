/**
 * The Slack simulator: the Web API's `POST /api/<method>` (form-encoded or JSON bodies; `GET`
 * with query arguments too), with Slack's HTTP 200 `{"ok":false,"error":…}` failures,
 * `x-oauth-scopes` / `x-accepted-oauth-scopes` headers and `x-slack-req-id` request ids.
 *
 * Implemented: `auth.test` (a bot token gets a bot identity, a user token `xoxp-…` a user one),
 * `chat.postMessage`, `conversations.list` (paged with `limit` and `cursor`), `users.info`, and
 * the external file upload of `filesUploadV2`: `files.getUploadURLExternal` hands out an
 * `upload_url` on this server, outside the API root, which takes the bytes without a token (as
 * Slack's pre-signed upload URLs do; the `unauthorized` fault does not apply there), and
 * `files.completeUploadExternal`. Any other well-formed method name answers `{"ok":true}`;
 * anything else `unknown_method`.
 *
 * The token is read from `Authorization: Bearer`, else from a `token` argument (body or query).
 * None → `not_authed`; one the simulator does not accept → `invalid_auth`.
 *
 * Faults: `unauthorized` → `invalid_auth` (`not_authed` without a token); `forbidden` →
 * `missing_scope` naming the method's scope as `needed` and the token's others as `provided`;
 * `rate_limit` → HTTP 429 `ratelimited` with `Retry-After: 1`; `quota` → the same 429, since
 * Slack has no billing quota and its clients never see `quota_exceeded`; `server_error` → an
 * HTML 500; `bad_json` → a 200 JSON body cut short.
 * @module
 */
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';
import { argumentsOf, json } from './wire.js';

/** The scopes every simulated Slack token has. */
export const SIMULATED_SLACK_SCOPES: readonly string[] = [
  'chat:write',
  'channels:read',
  'users:read',
  'files:write',
];

/** The channels `conversations.list` pages through. */
const CHANNELS = [
  { id: 'C0GENERAL', name: 'general', is_general: true },
  { id: 'C0ALERTS', name: 'alerts', is_general: false },
  { id: 'C0DEPLOYS', name: 'deploys', is_general: false },
].map((channel, index) => ({
  ...channel,
  is_channel: true,
  is_group: false,
  is_im: false,
  is_private: false,
  is_archived: false,
  is_member: true,
  created: 1_700_000_000 + index,
  creator: 'U0SIMULATED',
  num_members: 3,
}));

/** Where the upload URLs `files.getUploadURLExternal` hands out live, under the prefix. */
const UPLOAD_PATH = '/upload/v1/';

/** Well-formed method names: `chat.postMessage`, `oauth.v2.access`, `admin.apps.approved.list`. */
const METHOD_NAME = /^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)+$/;

const failure = (error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  json(200, { ok: false, error, ...extra }, headers);

function methodOf(request: SimulatorRequest): string {
  return request.path.startsWith('/api/') ? request.path.slice('/api/'.length) : '';
}

/** Arguments from the query and the body (the body wins), as Slack reads them. */
function argumentsFrom(request: SimulatorRequest): Record<string, unknown> {
  return { ...Object.fromEntries(request.query), ...argumentsOf(request) };
}

/** The scope a method needs, as Slack names it in `missing_scope`: read for reads, write otherwise. */
function scopeFor(method: string): string {
  const [family = 'chat', ...rest] = method.split('.');
  const action = rest.at(-1) ?? '';
  if (family === 'conversations' && /^(list|info|history|members|replies)$/.test(action)) {
    return 'channels:read,groups:read,im:read,mpim:read';
  }
  const read = /^(list|info|get|history|lookup|search|test)/i.test(action);
  return `${family}:${read ? 'read' : 'write'}`;
}

/** Slack's `ts`: seconds, a dot, six digits, unique per request. */
function timestampOf(context: SimulatorContext): string {
  const sequence = Number.parseInt(context.requestId.replace(/^\D+/, ''), 16) % 1_000_000;
  return `${Math.floor(Date.now() / 1000)}.${String(sequence).padStart(6, '0')}`;
}

/** Whether the token is a user token (`xoxp-…` or `xoxe.xoxp-…`), from its masked id. */
function isUserToken(context: SimulatorContext): boolean {
  return /^(xoxe\.)?xoxp-/.test(context.key?.maskedId ?? '');
}

function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
      // Pre-signed upload URLs take no token: a request without one, or with any, is served.
      if (request.path.startsWith(UPLOAD_PATH)) return upload(request);
      return failure(context.key === null ? 'not_authed' : 'invalid_auth');
    case 'forbidden': {
      const needed = scopeFor(methodOf(request));
      const provided = SIMULATED_SLACK_SCOPES.filter((scope) => !needed.split(',').includes(scope)).join(',');
      return failure(
        'missing_scope',
        { needed, provided },
        { 'x-oauth-scopes': provided, 'x-accepted-oauth-scopes': needed },
      );
    }
    case 'quota':
    case 'rate_limit':
      return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    case 'server_error':
      return {
        status: 500,
        headers: { 'content-type': 'text/html' },
        body: '<html><body><h1>500 Internal Server Error</h1></body></html>',
      };
    case 'bad_json':
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"ok":true,"channel":"C0',
      };
  }
}

/** What Slack's upload host answers when it has the bytes. */
function upload(request: SimulatorRequest): SimulatedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: `OK - ${Buffer.byteLength(request.bodyText)}`,
  };
}

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  if (request.path.startsWith(UPLOAD_PATH)) return upload(request);
  const method = methodOf(request);
  const args = argumentsFrom(request);
  const scopes = { 'x-oauth-scopes': SIMULATED_SLACK_SCOPES.join(','), 'x-accepted-oauth-scopes': '' };
  const answer = (body: Record<string, unknown>, accepted = '') =>
    json(200, { ok: true, ...body }, { ...scopes, 'x-accepted-oauth-scopes': accepted });
  switch (method) {
    case 'auth.test':
      return answer({
        url: 'https://simulated.slack.com/',
        team: 'Simulated Team',
        user: isUserToken(context) ? 'simulated-user' : 'keycard-bot',
        team_id: 'T0SIMULATED',
        user_id: isUserToken(context) ? 'U0SIMUSER' : 'U0SIMULATED',
        ...(isUserToken(context) ? {} : { bot_id: 'B0SIMULATED' }),
        is_enterprise_install: false,
      });
    case 'chat.postMessage': {
      if (args['channel'] === undefined || args['channel'] === '') return failure('channel_not_found');
      const text = typeof args['text'] === 'string' ? args['text'] : '';
      if (text === '' && args['blocks'] === undefined && args['attachments'] === undefined) {
        return failure('no_text');
      }
      const ts = timestampOf(context);
      return answer(
        {
          channel: args['channel'],
          ts,
          message: {
            type: 'message',
            text,
            user: 'U0SIMULATED',
            bot_id: 'B0SIMULATED',
            app_id: 'A0SIMULATED',
            team: 'T0SIMULATED',
            ts,
          },
        },
        'chat:write',
      );
    }
    case 'conversations.list': {
      const limit = Math.min(Math.max(Number(args['limit'] ?? 100) || 100, 1), 1000);
      const cursor = typeof args['cursor'] === 'string' ? args['cursor'] : '';
      const offset = cursor === '' ? 0 : Number(Buffer.from(cursor, 'base64').toString().split(':')[1]);
      if (!Number.isInteger(offset) || offset < 0) return failure('invalid_cursor');
      const page = CHANNELS.slice(offset, offset + limit);
      const next = offset + limit < CHANNELS.length ? `offset:${offset + limit}` : '';
      return answer(
        {
          channels: page,
          response_metadata: { next_cursor: next === '' ? '' : Buffer.from(next).toString('base64') },
        },
        'channels:read,groups:read,im:read,mpim:read',
      );
    }
    case 'users.info':
      if (typeof args['user'] !== 'string' || args['user'] === '') return failure('user_not_found');
      return answer(
        {
          user: {
            id: args['user'],
            team_id: 'T0SIMULATED',
            name: 'simulated-user',
            real_name: 'Simulated User',
            is_bot: false,
            deleted: false,
          },
        },
        'users:read',
      );
    case 'files.getUploadURLExternal': {
      const length = Number(args['length']);
      if (typeof args['filename'] !== 'string' || args['filename'] === '')
        return failure('invalid_arguments');
      if (!Number.isInteger(length) || length < 1) return failure('invalid_arguments');
      const fileId = `F0${context.requestId.slice(-8).toUpperCase()}`;
      const host = request.headers.host ?? '127.0.0.1';
      return answer(
        { upload_url: `http://${host}/slack${UPLOAD_PATH}${fileId}`, file_id: fileId },
        'files:write',
      );
    }
    case 'files.completeUploadExternal': {
      let files: unknown;
      try {
        files = typeof args['files'] === 'string' ? JSON.parse(args['files']) : args['files'];
      } catch {
        return failure('invalid_json');
      }
      if (!Array.isArray(files) || files.length === 0) return failure('invalid_arguments');
      return answer(
        {
          files: files.map((file: { id?: unknown; title?: unknown }) => ({
            id: file.id,
            title: file.title ?? '',
            name: file.title ?? '',
            user: 'U0SIMULATED',
          })),
        },
        'files:write',
      );
    }
    default:
      return METHOD_NAME.test(method)
        ? answer({})
        : failure('unknown_method', { req_method: method.slice(0, 100) });
  }
}

/** The Slack side of the simulator. */
export const slackSimulator: ProviderSimulator = {
  id: 'slack',
  apiPath: '/api/',

  credential(request) {
    if (request.path.startsWith(UPLOAD_PATH)) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
    if (match?.[1] !== undefined) return match[1];
    const token = argumentsFrom(request)['token'];
    return typeof token === 'string' && token !== '' ? token : undefined;
  },

  modelOf() {
    return null;
  },

  commonHeaders(context) {
    return { 'x-slack-req-id': context.requestId };
  },

  fail,
  handle,
};
