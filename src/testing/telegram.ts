/**
 * The Telegram simulator: the Bot API's `POST /bot<TOKEN>/<method>` (JSON, form-encoded or
 * multipart bodies; `/bot<TOKEN>/test/<method>` for telegraf's `testEnv`), with Telegram's
 * `{"ok":true,"result":…}` / `{"ok":false,"error_code":…,"description":…}` envelope.
 * Implemented: `getMe` (the bot id is the token's prefix), `sendMessage`, the media `send*`
 * methods (`sendPhoto`, `sendDocument`, … with an uploaded file or a file id), `getChat`,
 * `getFile` with its download path `GET /file/bot<TOKEN>/<file_path>`, `getUpdates` (no updates)
 * and `getWebhookInfo`; any other method name answers `{"ok":true,"result":true}`.
 *
 * The credential is whatever sits between `/bot` and the next `/`, so that the request log masks
 * it whatever it looks like; a path that is not `/bot<id>:<secret>/…` gets Telegram's 404.
 *
 * Faults: `unauthorized` is Telegram's 401 (404 for a path without a bot token); `forbidden` is
 * the 403 "bot was blocked by the user" (about a chat, not the token); Telegram is free, so
 * `quota` answers like `rate_limit`, the closest it has: a 429 "Too Many Requests: retry after 1"
 * with `parameters.retry_after`. `server_error` is a 502 with an HTML body (telegraf ignores 5xx
 * bodies); `bad_json` is a 200 whose JSON is cut short, on which telegraf fails with the token
 * in the URL of its error.
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

/** `/bot<token>/<method>`, `/bot<token>/test/<method>` (test environment). */
const BOT_PATH = /^\/bot(\d+:[^/]+)(?:\/test)?\/([^/]+)$/;
/** `/file/bot<token>/<file_path>`: file downloads. */
const FILE_PATH = /^\/file\/bot(\d+:[^/]+)(?:\/test)?\/(.+)$/;
/** Any token-like segment, for masking and tallying: whatever follows `/bot`. */
const ANY_TOKEN = /^(?:\/file)?\/bot([^/]+)(?:\/|$)/;

/** Media `send*` methods and the field that carries their file. */
const MEDIA_FIELDS: Readonly<Record<string, string>> = {
  sendPhoto: 'photo',
  sendDocument: 'document',
  sendAudio: 'audio',
  sendVideo: 'video',
  sendVoice: 'voice',
  sendAnimation: 'animation',
  sendSticker: 'sticker',
  sendVideoNote: 'video_note',
};

const failure = (status: number, description: string, extra: Record<string, unknown> = {}) =>
  json(status, { ok: false, error_code: status, description, ...extra });

const ok = (result: unknown) => json(200, { ok: true, result });

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The bot id: the digits before the colon of the (masked) token. */
function botIdOf(context: SimulatorContext): number {
  const id = /^(\d+):/.exec(context.key?.maskedId ?? '')?.[1];
  return id === undefined ? 0 : Number(id);
}

/** A file sent in a multipart body. */
interface UploadedFile {
  filename: string;
  size: number;
}

/**
 * The fields of a `multipart/form-data` body, as telegraf writes it for uploads: text fields as
 * strings, files as their name and size. `undefined` for any other body.
 */
function multipartFields(request: SimulatorRequest): Record<string, string | UploadedFile> | undefined {
  const type = request.headers['content-type'] ?? '';
  const match = /^multipart\/form-data;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(type);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return undefined;
  const fields: Record<string, string | UploadedFile> = {};
  for (const raw of request.bodyText.split(`--${boundary}`).slice(1)) {
    if (raw.startsWith('--')) break;
    const part = raw.replace(/^\r\n/, '');
    const end = part.indexOf('\r\n\r\n');
    if (end === -1) continue;
    const head = part.slice(0, end);
    const body = part.slice(end + 4).replace(/\r\n$/, '');
    const name = /(?:^|;)\s*name="([^"]*)"/im.exec(head)?.[1];
    if (name === undefined) continue;
    const filename = /;\s*filename="([^"]*)"/i.exec(head)?.[1];
    fields[name] = filename === undefined ? body : { filename, size: Buffer.byteLength(body) };
  }
  return fields;
}

/** A method's arguments from a JSON, form-encoded or multipart body. */
function argumentsOfCall(request: SimulatorRequest): Record<string, unknown> {
  return multipartFields(request) ?? argumentsOf(request);
}

function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
      return (BOT_PATH.test(request.path) || FILE_PATH.test(request.path)) && context.key !== null
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
        body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
      };
    case 'bad_json':
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"ok":true,"result":{"id":',
      };
  }
}

/** The file object of a media message: from an upload (its name) or an existing file id. */
function fileOf(field: string, value: unknown, fileId: string): Record<string, unknown> {
  const upload = typeof value === 'object' && value !== null ? (value as UploadedFile) : undefined;
  const file: Record<string, unknown> = {
    file_id: upload === undefined && typeof value === 'string' ? value : fileId,
    file_unique_id: `u${fileId}`,
    file_size: upload?.size ?? 1024,
  };
  if (field === 'document' || field === 'audio' || field === 'video' || field === 'animation')
    file['file_name'] = upload?.filename ?? `${field}.dat`;
  return file;
}

function message(
  context: SimulatorContext,
  bot: Record<string, unknown>,
  chatId: number,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  return {
    message_id: Number(context.requestId.replace(/\D/g, '').slice(-6)) || 1,
    from: bot,
    chat: { id: chatId, type: chatId < 0 ? 'group' : 'private', first_name: 'Simulated User' },
    date: Math.floor(Date.now() / 1000),
    ...fields,
  };
}

function handle(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  const file = FILE_PATH.exec(request.path);
  if (file !== null) {
    return {
      status: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: `simulated file ${file[2] ?? ''}`,
    };
  }
  const method = BOT_PATH.exec(request.path)?.[2];
  if (method === undefined || !/^[a-zA-Z]+$/.test(method)) return failure(404, 'Not Found');
  const args = argumentsOfCall(request);
  const bot = { id: botIdOf(context), is_bot: true, first_name: 'Simulated Bot', username: 'simulated_bot' };
  const fileId = `file_${context.requestId.replace(/\D/g, '').slice(-8)}`;
  const media = MEDIA_FIELDS[method];
  if (media !== undefined) {
    if (args['chat_id'] === undefined) return failure(400, 'Bad Request: chat_id is empty');
    const value = args[media];
    if (value === undefined || value === '')
      return failure(400, `Bad Request: there is no ${media} in the request`);
    const sent = fileOf(media, value, fileId);
    const caption = typeof args['caption'] === 'string' ? { caption: args['caption'] } : {};
    return ok(
      message(context, bot, Number(args['chat_id']), {
        [media]: media === 'photo' ? [{ ...sent, width: 90, height: 90 }] : sent,
        ...caption,
      }),
    );
  }
  switch (method) {
    case 'getMe':
      return ok({
        ...bot,
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
      });
    case 'sendMessage':
      if (args['chat_id'] === undefined) return failure(400, 'Bad Request: chat_id is empty');
      if (args['text'] === undefined || args['text'] === '')
        return failure(400, 'Bad Request: message text is empty');
      return ok(message(context, bot, Number(args['chat_id']), { text: String(args['text']) }));
    case 'getChat':
      if (args['chat_id'] === undefined) return failure(400, 'Bad Request: chat not found');
      return ok({ id: Number(args['chat_id']), type: 'private', first_name: 'Simulated User' });
    case 'getFile': {
      const id = args['file_id'];
      if (typeof id !== 'string' || id === '') return failure(400, 'Bad Request: file_id is empty');
      return ok({ file_id: id, file_unique_id: `u${id}`, file_size: 1024, file_path: `documents/${id}.dat` });
    }
    case 'getUpdates':
      return ok([]);
    case 'getWebhookInfo':
      return ok({ url: '', has_custom_certificate: false, pending_update_count: 0 });
    default:
      return ok(true);
  }
}

/** The Telegram side of the simulator. */
export const telegramSimulator: ProviderSimulator = {
  id: 'telegram',
  // With a trailing slash: telegraf resolves `./bot<TOKEN>/<method>` against its apiRoot, and a
  // root without one loses its last segment (keycard's adapter adds it either way).
  apiPath: '/',

  credential(request) {
    const raw = ANY_TOKEN.exec(request.path)?.[1];
    if (raw === undefined) return undefined;
    const token = decoded(raw);
    // The log masks a key as given and URL-encoded. A token only partly encoded in the path (URLs
    // escape a quote or `{` but keep `:`) is taken as it travels, so that the log masks it too.
    return token === raw || encodeURIComponent(token) === raw ? token : raw;
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
