/**
 * The Telegram simulator: the Bot API's `POST /bot<TOKEN>/<method>` (JSON or form bodies), with
 * Telegram's `{"ok":true,"result":…}` / `{"ok":false,"error_code":…,"description":…}` envelope.
 * Implemented: `getMe` (the bot id is the token's prefix), `sendMessage`, `getChat`; any other
 * method name answers `{"ok":true,"result":true}`. A path that is not `/bot<id>:<secret>/…`
 * gets Telegram's 404.
 *
 * Telegram is free: the `quota` fault answers like `rate_limit` (a 429), the closest it has.
 * `server_error` is a 502 with an HTML body (telegraf ignores 5xx bodies); `bad_json` is an HTML
 * page with status 200, on which telegraf fails with the token in the URL of its error.
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

const BOT_PATH = /^\/bot(\d+:[^/]+)\/([^/]+)$/;

const failure = (status: number, description: string, extra: Record<string, unknown> = {}) =>
  json(status, { ok: false, error_code: status, description, ...extra });

/** The bot id: the digits before the colon of the (masked) token. */
function botIdOf(context: SimulatorContext): number {
  const id = /^(\d+):/.exec(context.key?.maskedId ?? '')?.[1];
  return id === undefined ? 0 : Number(id);
}

function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
      return BOT_PATH.test(request.path) && context.key !== null
        ? failure(401, 'Unauthorized')
        : failure(404, 'Not Found');
    case 'forbidden':
      return failure(403, 'Forbidden: bot was blocked by the user');
    case 'quota':
    case 'rate_limit':
      return failure(429, 'Too Many Requests: retry after 1', { parameters: { retry_after: 1 } });
    case 'server_error':
      return {
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: '<html><body>502 Bad Gateway</body></html>',
      };
    case 'bad_json':
      return {
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<html><body>Gateway page</body></html>',
      };
  }
}

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const method = BOT_PATH.exec(request.path)?.[2];
  if (method === undefined) return failure(404, 'Not Found');
  const args = argumentsOf(request);
  const bot = { id: botIdOf(context), is_bot: true, first_name: 'Simulated Bot', username: 'simulated_bot' };
  const date = Math.floor(Date.now() / 1000);
  switch (method) {
    case 'getMe':
      return json(200, {
        ok: true,
        result: {
          ...bot,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        },
      });
    case 'sendMessage': {
      if (args['chat_id'] === undefined) return failure(400, 'Bad Request: chat_id is empty');
      if (args['text'] === undefined || args['text'] === '')
        return failure(400, 'Bad Request: message text is empty');
      const chatId = Number(args['chat_id']);
      return json(200, {
        ok: true,
        result: {
          message_id: Number(context.requestId.replace(/\D/g, '').slice(-6)) || 1,
          from: bot,
          chat: { id: chatId, type: chatId < 0 ? 'group' : 'private', first_name: 'Simulated User' },
          date,
          text: String(args['text']),
        },
      });
    }
    case 'getChat':
      if (args['chat_id'] === undefined) return failure(400, 'Bad Request: chat not found');
      return json(200, {
        ok: true,
        result: { id: Number(args['chat_id']), type: 'private', first_name: 'Simulated User' },
      });
    default:
      return /^[a-zA-Z]+$/.test(method) ? json(200, { ok: true, result: true }) : failure(404, 'Not Found');
  }
}

/** The Telegram side of the simulator. */
export const telegramSimulator: ProviderSimulator = {
  id: 'telegram',
  // With a trailing slash: telegraf resolves `./bot<TOKEN>/<method>` against its apiRoot.
  apiPath: '/',

  credential(request) {
    const token = BOT_PATH.exec(request.path)?.[1];
    return token === undefined ? undefined : decodeURIComponent(token);
  },

  modelOf() {
    return null;
  },

  commonHeaders() {
    return {};
  },

  fail,
  handle,
};
