/**
 * The Telegram simulator, driven by telegraf's real `Telegram` client (and raw `fetch` where
 * telegraf would hide the wire), without keycard in between.
 */
import { inspect } from 'node:util';
import { Telegram } from 'telegraf';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintKey, maskKey } from '../../src/secret.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const key = testKey('telegram', 'simulator-telegram');
const botId = Number(key.split(':')[0]);
let sim: Simulator;
let bot: Telegram;

beforeAll(async () => {
  sim = await startSimulator({ keys: [key] });
  bot = new Telegram(key, { apiRoot: sim.baseURL('telegram') });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

/** telegraf types `callApi`'s signal as the `abort-controller` polyfill's; Node's own works at run time. */
const telegrafSignal = (signal: AbortSignal) =>
  signal as unknown as Exclude<NonNullable<Parameters<Telegram['callApi']>[2]>['signal'], undefined>;

/** POST to the simulator with a raw fetch; `path` follows the Telegram prefix. */
async function post(path: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${sim.baseURL('telegram')}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('wire', () => {
  it('serves under /telegram/, with a trailing slash for telegraf’s relative URLs', () => {
    expect(sim.baseURL('telegram')).toBe(`${sim.url}/telegram/`);
  });

  it('getMe: the bot whose id is the token’s prefix', async () => {
    expect(await bot.getMe()).toEqual({
      id: botId,
      is_bot: true,
      first_name: 'Simulated Bot',
      username: 'simulated_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    });
    expect(sim.requests[0]).toMatchObject({
      provider: 'telegram',
      method: 'POST',
      status: 200,
      keyAccepted: true,
      keyFingerprint: fingerprintKey(key),
      keyMaskedId: maskKey(key),
      model: null,
    });
  });

  it('sendMessage: a message in Telegram’s envelope, from JSON or form bodies', async () => {
    const sent = await bot.sendMessage(-100, 'hello');
    expect(sent).toMatchObject({ from: { id: botId }, chat: { id: -100, type: 'group' }, text: 'hello' });
    expect(sent.message_id).toBeGreaterThan(0);
    const form = await post(
      `bot${key}/sendMessage`,
      'chat_id=7&text=hi+there',
      'application/x-www-form-urlencoded',
    );
    expect(form).toMatchObject({
      status: 200,
      body: { ok: true, result: { chat: { id: 7 }, text: 'hi there' } },
    });
    expect(await post(`bot${key}/sendMessage`, JSON.stringify({ text: 'x' }))).toEqual({
      status: 400,
      body: { ok: false, error_code: 400, description: 'Bad Request: chat_id is empty' },
    });
    expect(await post(`bot${key}/sendMessage`, JSON.stringify({ chat_id: 1, text: '' }))).toMatchObject({
      status: 400,
      body: { description: 'Bad Request: message text is empty' },
    });
  });

  it('media: multipart uploads and file ids, getFile and the download path', async () => {
    const document = await bot.sendDocument(
      42,
      { source: Buffer.from('report body'), filename: 'report.txt' },
      { caption: 'weekly' },
    );
    expect(document).toMatchObject({
      chat: { id: 42 },
      caption: 'weekly',
      document: { file_name: 'report.txt', file_size: 'report body'.length },
    });
    expect(sim.requests[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const photo = await bot.sendPhoto(42, 'AgACAgExisting');
    expect(photo.photo[0]?.file_id).toBe('AgACAgExisting');
    expect(await post(`bot${key}/sendPhoto`, JSON.stringify({ chat_id: 1 }))).toMatchObject({
      status: 400,
      body: { description: 'Bad Request: there is no photo in the request' },
    });
    const link = await bot.getFileLink('doc-1');
    expect(link.pathname).toBe(`/telegram/file/bot${key}/documents/doc-1.dat`);
    const download = await fetch(link);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('simulated file documents/doc-1.dat');
    expect(sim.requests.at(-1)?.path).toBe(`/telegram/file/bot${maskKey(key)}/documents/doc-1.dat`);
  });

  it('getChat, getUpdates, getWebhookInfo, and true for any other method', async () => {
    expect(await bot.getChat(5)).toMatchObject({ id: 5, type: 'private' });
    expect(await bot.getUpdates(0, 100, 0, [])).toEqual([]);
    expect(await bot.getWebhookInfo()).toMatchObject({ url: '', pending_update_count: 0 });
    expect(await bot.setMyDescription('a bot')).toBe(true);
    expect(await bot.callApi('sendChatAction', { chat_id: 1, action: 'typing' })).toBe(true);
  });

  it('serves telegraf’s test environment path', async () => {
    const test = new Telegram(key, { apiRoot: sim.baseURL('telegram'), testEnv: true });
    expect((await test.getMe()).id).toBe(botId);
    expect(sim.requests[0]?.path).toBe(`/telegram/bot${maskKey(key)}/test/getMe`);
  });
});

describe('tokens', () => {
  it('answers a token it does not accept with 401, and revokeKey() does the same', async () => {
    const other = testKey('telegram', 'simulator-other');
    expect(await post(`bot${other}/getMe`, '{}')).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    sim.revokeKey(key);
    try {
      const error = await rejection(bot.getMe());
      expect((error as Error).message).toBe('401: Unauthorized');
    } finally {
      sim.addKey(key);
    }
    expect((await bot.getMe()).id).toBe(botId);
  });

  it('answers a path without a bot token with 404 Not Found', async () => {
    const notFound = { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    expect(await post('getMe', '{}')).toEqual(notFound);
    expect(await post('botnot-a-token/getMe', '{}')).toEqual(notFound);
    const shapeless = new Telegram('not-a-token', { apiRoot: sim.baseURL('telegram') });
    expect((await rejection(shapeless.getMe())) as Error).toMatchObject({ message: '404: Not Found' });
    // Even an accepted key gets 404 when its path is not a bot path.
    sim.addKey('not-a-token');
    expect((await rejection(shapeless.getMe())) as Error).toMatchObject({ message: '404: Not Found' });
    expect(await post(`bot${key}/get-me`, '{}')).toEqual(notFound);
  });

  it('logs paths with every token masked, whatever its shape, and never a clear token', async () => {
    const wrong = testKey('telegram', 'simulator-wrong');
    const shapeless = `custom-${wrong.split(':')[1]}`;
    await bot.getMe();
    await rejection(new Telegram(wrong, { apiRoot: sim.baseURL('telegram') }).getMe());
    await rejection(new Telegram(shapeless, { apiRoot: sim.baseURL('telegram') }).getMe());
    expect(sim.requests.map((request) => [request.path, request.status, request.keyAccepted])).toEqual([
      [`/telegram/bot${maskKey(key)}/getMe`, 200, true],
      [`/telegram/bot${maskKey(wrong)}/getMe`, 401, false],
      [`/telegram/bot${maskKey(shapeless)}/getMe`, 404, false],
    ]);
    const everything = [
      JSON.stringify(sim.requests),
      JSON.stringify(sim.tally()),
      inspect(sim, { depth: 10 }),
    ];
    for (const token of [key, wrong, shapeless])
      expect(everything.join('\n').includes(token.split(':').at(-1) ?? token)).toBe(false);
    expect(sim.tally().byProvider.telegram).toMatchObject({ requests: 3, errors: { 401: 1, 404: 1 } });
  });

  it('takes a token only partly escaped in the path as it travels, so that the log masks it', async () => {
    const [id = '', secret = ''] = testKey('telegram', 'simulator-escaped').split(':');
    const token = `${id}:${secret.slice(0, 12)}"${secret.slice(12)}`;
    const escaped = new Telegram(token, { apiRoot: sim.baseURL('telegram') });
    await rejection(escaped.getMe());
    const path = sim.requests[0]?.path ?? '';
    expect(path).toMatch(/^\/telegram\/bot\d+:\*{4}\w{4}\/getMe$/);
    expect(path.includes(secret.slice(12))).toBe(false);
  });
});

describe('faults', () => {
  it('unauthorized: a 401 even for a good token', async () => {
    sim.failNext('unauthorized');
    expect(await rejection(bot.getMe())).toMatchObject({ message: '401: Unauthorized', code: 401 });
  });

  it('forbidden: 403 "bot was blocked by the user"', async () => {
    sim.failNext('forbidden');
    expect(await rejection(bot.sendMessage(1, 'x'))).toMatchObject({
      message: '403: Forbidden: bot was blocked by the user',
      code: 403,
    });
  });

  it('rate_limit and quota (Telegram has none): 429 with parameters.retry_after', async () => {
    for (const fault of ['rate_limit', 'quota'] as const) {
      sim.failNext(fault);
      expect(await rejection(bot.sendMessage(1, 'x'))).toMatchObject({
        message: '429: Too Many Requests: retry after 1',
        code: 429,
        parameters: { retry_after: 1 },
      });
    }
  });

  it('server_error: a 502 whose HTML body telegraf ignores', async () => {
    sim.failNext('server_error');
    expect(await rejection(bot.getMe())).toMatchObject({ message: '502: Bad Gateway', code: 502 });
  });

  it('bad_json: a 200 cut short, which telegraf reports as invalid JSON', async () => {
    sim.failNext('bad_json');
    const error = await rejection(bot.getMe());
    expect(error).toMatchObject({ name: 'FetchError', type: 'invalid-json' });
    expect(sim.requests[0]).toMatchObject({ status: 200, fault: 'bad_json' });
  });

  it('reset and hang: no answer', async () => {
    sim.failNext('reset');
    expect(await rejection(bot.getMe())).toMatchObject({ name: 'FetchError', type: 'system' });
    sim.failNext('hang');
    const error = await rejection(
      bot.callApi('getMe', {}, { signal: telegrafSignal(AbortSignal.timeout(100)) }),
    );
    expect((error as Error).name).toBe('AbortError');
    expect(sim.requests.map((request) => [request.fault, request.status])).toEqual([
      ['reset', null],
      ['hang', null],
    ]);
    expect(sim.tally().total.unanswered).toBe(2);
  });
});
