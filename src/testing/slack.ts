/**
 * The Slack simulator: the Web API's `POST /api/<method>` (form-encoded or JSON bodies), with
 * Slack's HTTP 200 `{"ok":false,"error":…}` failures, `x-oauth-scopes` headers and
 * `x-slack-req-id` request ids. Implemented: `auth.test`, `chat.postMessage`,
 * `conversations.list`, `users.info`; any other well-formed method answers `{"ok":true}`.
 *
 * Slack has no billing quota: the `quota` fault answers like `rate_limit` (a 429), since that is
 * the closest thing Slack has, and Slack clients never see `quota_exceeded`.
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
export const SIMULATED_SLACK_SCOPES = ['chat:write', 'channels:read', 'users:read'];

const failure = (error: string, extra: Record<string, unknown> = {}) =>
  json(200, { ok: false, error, ...extra });

function fail(fault: HttpFault, _request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
      return failure(context.key === null ? 'not_authed' : 'invalid_auth');
    case 'forbidden':
      return failure('missing_scope', {
        needed: 'chat:write.customize',
        provided: SIMULATED_SLACK_SCOPES.join(','),
      });
    case 'quota':
    case 'rate_limit':
      return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    case 'server_error':
      return {
        status: 500,
        headers: { 'content-type': 'text/html' },
        body: '<html><body>Internal Server Error</body></html>',
      };
    case 'bad_json':
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"ok":true,"channel":"C0',
      };
  }
}

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const method = request.path.replace(/^\/api\//, '');
  if (request.method !== 'POST' && request.method !== 'GET')
    return failure('method_not_supported_for_channel_type');
  const args = argumentsOf(request);
  const scopes = { 'x-oauth-scopes': SIMULATED_SLACK_SCOPES.join(','), 'x-accepted-oauth-scopes': '' };
  switch (method) {
    case 'auth.test':
      return json(
        200,
        {
          ok: true,
          url: 'https://simulated.slack.com/',
          team: 'Simulated Team',
          user: 'keycard-bot',
          team_id: 'T0SIMULATED',
          user_id: 'U0SIMULATED',
          bot_id: 'B0SIMULATED',
          is_enterprise_install: false,
        },
        scopes,
      );
    case 'chat.postMessage': {
      if (args['channel'] === undefined) return failure('channel_not_found');
      const ts = `${Math.floor(Date.now() / 1000)}.${context.requestId.slice(-6)}`;
      return json(
        200,
        {
          ok: true,
          channel: args['channel'],
          ts,
          message: {
            type: 'message',
            text: args['text'] ?? '',
            user: 'U0SIMULATED',
            bot_id: 'B0SIMULATED',
            ts,
          },
        },
        { ...scopes, 'x-accepted-oauth-scopes': 'chat:write' },
      );
    }
    case 'conversations.list':
      return json(
        200,
        {
          ok: true,
          channels: [
            { id: 'C0GENERAL', name: 'general', is_channel: true, is_member: true },
            { id: 'C0ALERTS', name: 'alerts', is_channel: true, is_member: true },
          ],
          response_metadata: { next_cursor: '' },
        },
        { ...scopes, 'x-accepted-oauth-scopes': 'channels:read' },
      );
    case 'users.info':
      if (args['user'] === undefined) return failure('user_not_found');
      return json(
        200,
        { ok: true, user: { id: args['user'], name: 'simulated-user', real_name: 'Simulated User' } },
        scopes,
      );
    default:
      return /^[a-zA-Z]+(\.[a-zA-Z]+)+$/.test(method)
        ? json(200, { ok: true }, scopes)
        : failure('unknown_method');
  }
}

/** The Slack side of the simulator. */
export const slackSimulator: ProviderSimulator = {
  id: 'slack',
  apiPath: '/api/',

  credential(request) {
    const match = /^Bearer\s+(\S.*)$/i.exec(request.headers.authorization?.trim() ?? '');
    if (match?.[1] !== undefined) return match[1].trim();
    const token = argumentsOf(request)['token'];
    return typeof token === 'string' ? token : undefined;
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
