/**
 * The Telegram adapter, end to end: telegraf's real `Telegram` client through keycard against the
 * simulator over HTTP (and, for bodies the simulator does not cut, a raw `node:http` server). The
 * token travels in the URL path, so every error is checked for it.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Telegram } from 'telegraf';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError, isKeycardError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { DEFAULT_TELEGRAM_TIMEOUT_MS, TELEGRAM_TOKEN_PLACEHOLDER } from '../../src/providers/telegram.js';
import { safeJson } from '../helpers/capture.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection, thrownBy } from '../helpers/rejections.js';

let fixture: ClientFixture<'telegram'>;
beforeEach(async () => {
  fixture = await clientFixture('telegram');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

/** Every printable form of an error: none may hold the token or its secret part. */
function printed(error: unknown): string {
  const parts = [inspect(error, { depth: 20, showHidden: true }), safeJson(error)];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, String(current.stack));
    current = current.cause;
  }
  return parts.join('\n');
}

function secretPart(token: string): string {
  return token.split(':')[1] ?? token;
}

/** telegraf types `callApi`'s signal as the `abort-controller` polyfill's; Node's own works at run time. */
const telegrafSignal = (signal: AbortSignal) =>
  signal as unknown as Exclude<NonNullable<Parameters<Telegram['callApi']>[2]>['signal'], undefined>;

/** A token no Telegram regex recognises (telegraf redacts nothing of it): keycard must. */
function oddToken(seed: string): string {
  return `custom-${secretPart(testKey('telegram', seed))}`;
}

describe('calls', () => {
  it('records one request per method, named after it, without tokens', async () => {
    const message = await fixture.client.sdk.sendMessage(42, 'hello');
    expect(message.text).toBe('hello');
    await fixture.client.sdk.getChat(42);
    await fixture.client.sdk.callApi('getWebhookInfo', {});
    const events = await fixture.events();
    expect(
      events.map((event) => [
        event.provider,
        event.operation,
        event.model,
        event.outcome,
        event.status,
        event.requests,
        event.inputTokens,
        event.outputTokens,
      ]),
    ).toEqual([
      ['telegram', 'sendMessage', null, 'ok', 200, 1, null, null],
      ['telegram', 'getChat', null, 'ok', 200, 1, null, null],
      ['telegram', 'getWebhookInfo', null, 'ok', 200, 1, null, null],
    ]);
    expect(events.every((event) => event.keyFingerprint === fixture.client.fingerprint)).toBe(true);
    expect(fixture.simulator.tally().total.requests).toBe(3);
  });

  it('uploads a file as multipart, recorded as its method', async () => {
    const sent = await fixture.client.sdk.sendPhoto(
      42,
      { source: Buffer.from('not really a jpeg'), filename: 'pic.jpg' },
      { caption: 'look' },
    );
    expect(sent.caption).toBe('look');
    expect(sent.chat.id).toBe(42);
    expect(sent.photo[0]?.file_size).toBe('not really a jpeg'.length);
    expect(fixture.simulator.requests[0]?.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect((await fixture.events()).map((event) => event.operation)).toEqual(['sendPhoto']);
  });

  it('is telegraf’s Telegram, with the token out of inspect, JSON, keys, logs and the request log', async () => {
    expect(fixture.client.sdk).toBeInstanceOf(Telegram);
    await fixture.client.sdk.getMe();
    expect(Object.keys(fixture.client.sdk)).not.toContain('token');
    for (const output of [
      inspect(fixture.client, { depth: 20, showHidden: true }),
      inspect(fixture.client.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(fixture.client),
      JSON.stringify(fixture.client.sdk),
      safeJson({ ...fixture.client.sdk }),
      JSON.stringify(fixture.simulator.requests),
      fixture.logger.lines.join('\n'),
      safeJson(await fixture.events()),
    ]) {
      expect(output.includes(secretPart(fixture.key))).toBe(false);
    }
    expect(fixture.simulator.requests[0]?.path).toMatch(/^\/telegram\/bot\d+:\*{4}\w{4}\/getMe$/);
  });

  it('keeps a placeholder as the token: reading gives it, assigning throws; getFileLink still links', async () => {
    const sdk = fixture.client.sdk;
    expect(sdk.token).toBe(TELEGRAM_TOKEN_PLACEHOLDER);
    expect(sdk.options.agent).toBeUndefined();
    expect(isKeycardError(thrownBy(() => Object.assign(sdk, { token: fixture.key })))).toBe(true);
    const link = await sdk.getFileLink('BQACAgIAAx');
    // The download link is the one place the token is meant to be: it is what the link is for.
    expect(link.pathname).toBe(`/telegram/file/bot${fixture.key}/documents/BQACAgIAAx.dat`);
    const download = await fetch(link);
    expect(download.status).toBe(200);
    expect((await fixture.events()).map((event) => event.operation)).toEqual(['getFile']);
  });

  it('passes a caller’s signal through callApi: its abort stays an abort', async () => {
    fixture.simulator.failNext('hang');
    const controller = new AbortController();
    const pending = rejection(
      fixture.client.sdk.callApi('getMe', {}, { signal: telegrafSignal(controller.signal) }),
    );
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect((error as Error).name).toBe('AbortError');
    expect((await fixture.events())[0]).toMatchObject({ operation: 'getMe', outcome: 'error', status: null });
  });
});

describe('timeout', () => {
  it('ends a call that hangs, with a TimeoutError naming the method', async () => {
    const slow = await clientFixture('telegram', {
      key: testKey('telegram', 'slow'),
      client: { timeout: 200 },
    });
    try {
      slow.simulator.failNext('hang');
      const started = Date.now();
      const error = await rejection(slow.client.sdk.getMe());
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(isCredentialError(error)).toBe(false);
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect((error as Error).message).toContain('getMe within 200 ms');
      expect(printed(error).includes(secretPart(slow.key))).toBe(false);
      expect((await slow.events())[0]).toMatchObject({ outcome: 'error', status: null });
      // The client still works afterwards.
      expect((await slow.client.sdk.getMe()).is_bot).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('ends a body cut short after its content-length (telegraf alone waits 500 s)', async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      res.write('{"ok":true,"result":{"id":1,');
    });
    const token = oddToken('body-hang');
    const client = await createClient('telegram', keys.literal(token), {
      baseURL: server.url,
      ledger: false,
      checkKeyShape: false,
      timeout: 200,
    });
    try {
      const started = Date.now();
      const error = await rejection(client.sdk.getMe());
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(printed(error).includes(secretPart(token))).toBe(false);
    } finally {
      await server.close();
    }
  });

  /** Runs `call` and returns the node timers of telegraf's 500 s made meanwhile, and which were cleared. */
  async function fiveHundredSecondTimers(call: () => Promise<unknown>) {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    try {
      await call();
      const made = setTimeoutSpy.mock.calls.flatMap((args, index) =>
        args[1] === 500_000 ? [setTimeoutSpy.mock.results[index]?.value] : [],
      );
      const cleared = new Set(clearTimeoutSpy.mock.calls.map((args) => args[0]));
      return { made: made.length, leftBehind: made.filter((timer) => !cleared.has(timer)).length };
    } finally {
      setTimeoutSpy.mockRestore();
      clearTimeoutSpy.mockRestore();
    }
  }

  it('leaves no timer behind after a body cut short; a bundled telegraf (another class) too', async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      res.write('{"ok":true,"result":{"id":1,');
    });
    // Another Telegram class than the installed one, as a bundle would give: keycard cannot tell
    // its node-fetch to skip the 500 s timers, so it clears them (telegram-timers.ts).
    class BundledTelegram extends Telegram {}
    try {
      for (const sdk of [undefined, BundledTelegram]) {
        const client = await createClient('telegram', keys.literal(oddToken('timers')), {
          baseURL: server.url,
          ledger: false,
          checkKeyShape: false,
          timeout: 150,
          ...(sdk === undefined ? {} : { sdk }),
        });
        const timers = await fiveHundredSecondTimers(async () => {
          expect(await rejection(client.sdk.getMe())).toMatchObject({ name: 'TimeoutError' });
        });
        // The installed telegraf's node-fetch starts none; the bundled one's are cleared.
        expect(timers, sdk === undefined ? 'installed' : 'bundled').toEqual(
          sdk === undefined ? { made: 0, leftBehind: 0 } : { made: 2, leftBehind: 0 },
        );
      }
    } finally {
      await server.close();
    }
  });

  it('changes nothing for other users of node-fetch: their timeout and exports stay', async () => {
    const require = createRequire(import.meta.url);
    const nodeFetch = require(require.resolve('node-fetch', { paths: [require.resolve('telegraf')] })) as {
      default: (url: string, init: { timeout: number }) => Promise<unknown>;
      Headers: unknown;
    };
    // The wrap is in place once a Telegram client exists.
    await createClient('telegram', keys.literal(testKey('telegram', 'other-fetch')), { ledger: false });
    expect(nodeFetch.default).not.toBe(nodeFetch);
    expect((nodeFetch.default as unknown as { Headers: unknown }).Headers).toBe(nodeFetch.Headers);
    const server = await rawServer(() => {
      // never answers
    });
    try {
      const error = await rejection(nodeFetch.default(server.url, { timeout: 100 }));
      expect(error).toMatchObject({ type: 'request-timeout' });
    } finally {
      await server.close();
    }
  });

  it('adds the long-poll wait of getUpdates to the timeout', async () => {
    const slow = await clientFixture('telegram', {
      key: testKey('telegram', 'long-poll'),
      client: { timeout: 100 },
    });
    try {
      expect(await slow.client.sdk.getUpdates(1, 100, 0, [])).toEqual([]);
      slow.simulator.failNext('hang');
      const started = Date.now();
      const error = await rejection(slow.client.sdk.getUpdates(1, 100, 0, []));
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect((error as Error).message).toContain('getUpdates within 1100 ms');
    } finally {
      await slow.close();
    }
  });

  it('defaults to one minute, and refuses a timeout that is not a duration', async () => {
    expect(DEFAULT_TELEGRAM_TIMEOUT_MS).toBe(60_000);
    for (const timeout of [-1, Number.NaN]) {
      const error = await rejection(
        createClient('telegram', keys.literal(fixture.key), { ledger: false, timeout }),
      );
      expect(isKeycardError(error)).toBe(true);
      expect((error as Error).message).toContain('timeout');
    }
    // Fractions and Infinity (telegraf's own 500 s) are fine.
    for (const timeout of [1_500.5, Number.POSITIVE_INFINITY]) {
      const client = await createClient('telegram', keys.literal(fixture.key), {
        baseURL: fixture.simulator.baseURL('telegram'),
        ledger: false,
        timeout,
      });
      expect((await client.sdk.getMe()).is_bot).toBe(true);
    }
  });
});

describe('failures', () => {
  it('maps 401 to unauthorized', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(fixture.client.sdk.getMe());
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'telegram', status: 401 });
    expect((error as CredentialError).hint).toContain('@BotFather');
    expect((error as CredentialError).maskedId).toBe(fixture.client.maskedId);
    expect(printed(error).includes(secretPart(fixture.key))).toBe(false);
    expect((await fixture.events())[0]).toMatchObject({ outcome: 'unauthorized', status: 401 });
  });

  it('maps the 404 for a path that is no bot token to unauthorized, with the path masked in the log', async () => {
    const shapeless = oddToken('shapeless');
    const client = await createClient('telegram', keys.literal(shapeless), {
      baseURL: fixture.simulator.baseURL('telegram'),
      ledger: fixture.ledger,
      checkKeyShape: false,
    });
    const error = await rejection(client.sdk.getMe());
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'telegram', status: 404 });
    expect(fixture.simulator.requests[0]?.status).toBe(404);
    expect(JSON.stringify(fixture.simulator.requests).includes(secretPart(shapeless))).toBe(false);
    expect(printed(error).includes(secretPart(shapeless))).toBe(false);
  });

  it('lets a 403 from a chat through as the SDK error, redacted to its payload', async () => {
    fixture.simulator.failNext('forbidden');
    // A message that quotes the token: telegraf keeps the payload on the error (`on.payload`).
    const error = await rejection(fixture.client.sdk.sendMessage(42, `the token is ${fixture.key}`));
    expect(isCredentialError(error)).toBe(false);
    expect((error as Error).message).toBe('403: Forbidden: bot was blocked by the user');
    expect(error).toMatchObject({
      code: 403,
      description: 'Forbidden: bot was blocked by the user',
      response: { ok: false, error_code: 403 },
      on: { method: 'sendMessage', payload: { chat_id: 42 } },
    });
    const payload = (error as { on: { payload: { text: string } } }).on.payload;
    expect(payload.text).toMatch(/^the token is \[REDACTED telegram \d+:\*{4}\w{4}\]$/);
    expect(printed(error).includes(secretPart(fixture.key))).toBe(false);
    expect((await fixture.events())[0]).toMatchObject({ outcome: 'error', status: 403 });
  });

  it('keeps the SDK error for a rate limit, with retry_after', async () => {
    fixture.simulator.failNext('rate_limit');
    const error = await rejection(fixture.client.sdk.sendMessage(42, 'x'));
    expect(isCredentialError(error)).toBe(false);
    expect((error as Error).message).toBe('429: Too Many Requests: retry after 1');
    expect((error as { parameters?: unknown }).parameters).toEqual({ retry_after: 1 });
    expect((await fixture.events())[0]).toMatchObject({ outcome: 'rate_limited', status: 429 });
  });

  it('never says quota_exceeded: Telegram is free, the quota fault is a rate limit', async () => {
    fixture.simulator.failNext('quota');
    const error = await rejection(fixture.client.sdk.sendMessage(42, 'x'));
    expect(isCredentialError(error)).toBe(false);
    expect((await fixture.events())[0]?.outcome).toBe('rate_limited');
  });

  it('keeps the SDK error for a 502', async () => {
    fixture.simulator.failNext('server_error');
    const error = await rejection(fixture.client.sdk.getMe());
    expect(isCredentialError(error)).toBe(false);
    expect((error as Error).message).toBe('502: Bad Gateway');
    expect((await fixture.events())[0]).toMatchObject({ outcome: 'error', status: 502 });
  });

  it('redacts the token from errors that carry it: invalid JSON, reset, refused connection', async () => {
    fixture.simulator.failNext('bad_json');
    const badJson = await rejection(fixture.client.sdk.getMe());
    expect((badJson as Error).message).toContain('invalid json response body');
    expect((badJson as Error).message).toContain('[REDACTED telegram');
    fixture.simulator.failNext('reset');
    const reset = await rejection(fixture.client.sdk.getMe());
    expect((reset as Error).name).toBe('FetchError');
    const port = await closedPort();
    const refusedClient = await createClient('telegram', keys.literal(fixture.key), {
      baseURL: `http://127.0.0.1:${port}`,
      ledger: false,
    });
    const refused = await rejection(refusedClient.sdk.getMe());
    expect(refused).toMatchObject({ name: 'FetchError', code: 'ECONNREFUSED' });
    for (const error of [badJson, reset, refused])
      expect(printed(error).includes(secretPart(fixture.key))).toBe(false);
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['error', 'error']);
  });

  it('redacts tokens telegraf does not recognise: refused connection and a body closed early', async () => {
    const token = oddToken('odd-shape');
    const port = await closedPort();
    const refusedClient = await createClient('telegram', keys.literal(token), {
      baseURL: `http://127.0.0.1:${port}`,
      ledger: false,
      checkKeyShape: false,
    });
    const refused = await rejection(refusedClient.sdk.getMe());
    expect((refused as Error).message).toContain('ECONNREFUSED');
    expect((refused as Error).message).toContain('[REDACTED telegram');

    const server = await rawServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":true,"result":{"id":1,');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const client = await createClient('telegram', keys.literal(token), {
        baseURL: server.url,
        ledger: false,
        checkKeyShape: false,
      });
      const prematureClose = await rejection(client.sdk.sendMessage(42, 'x'));
      expect((prematureClose as Error).message).toContain('Premature close');
      for (const error of [refused, prematureClose])
        expect(printed(error).includes(secretPart(token))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('redacts a token as the URL escapes it (a quote escaped, `:` kept), in errors and in the log', async () => {
    const [bot = '', secret = ''] = testKey('telegram', 'escaped').split(':');
    const token = `${bot}:${secret.slice(0, 12)}"${secret.slice(12)}`;
    const client = await createClient('telegram', keys.literal(token), {
      baseURL: fixture.simulator.baseURL('telegram'),
      ledger: false,
      checkKeyShape: false,
    });
    fixture.simulator.failNext('bad_json');
    const error = await rejection(client.sdk.getMe());
    expect((error as Error).message).toContain('[REDACTED telegram');
    for (const output of [printed(error), JSON.stringify(fixture.simulator.requests)]) {
      expect(output.includes(secret.slice(12))).toBe(false);
    }
  });

  it('finds missing, malformed and wrong_provider tokens before any request', async () => {
    vi.stubEnv('TELEGRAM_BOT_TOKEN', undefined);
    expect(await rejection(createClient('telegram'))).toMatchObject({
      reason: 'missing',
      source: 'env:TELEGRAM_BOT_TOKEN',
    });
    expect(await rejection(createClient('telegram', keys.literal(testKey('slack', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    expect(await rejection(createClient('telegram', keys.literal(`${fixture.key}x`)))).toMatchObject({
      reason: 'malformed',
    });
    vi.stubEnv('TELEGRAM_BOT_TOKEN', fixture.key);
    const fromEnv = await createClient('telegram', undefined, {
      baseURL: fixture.simulator.baseURL('telegram'),
      ledger: false,
    });
    expect(fromEnv.source).toBe('env:TELEGRAM_BOT_TOKEN');
    expect((await fromEnv.sdk.getMe()).is_bot).toBe(true);
    expect(fixture.simulator.requests).toHaveLength(1);
  });

  it('picks up a rotated token and replays the call', async () => {
    const oldKey = testKey('telegram', 'rotation-old');
    const newKey = testKey('telegram', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-telegram-')), 'token');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('telegram', { key: oldKey, source: keys.file(path) });
    try {
      expect((await rotating.client.sdk.getMe()).is_bot).toBe(true);
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      expect((await rotating.client.sdk.sendMessage(42, 'after rotation')).text).toBe('after rotation');
      expect((await rotating.events()).map((event) => [event.operation, event.outcome])).toEqual([
        ['getMe', 'ok'],
        ['sendMessage', 'unauthorized'],
        ['sendMessage', 'ok'],
      ]);
      expect(rotating.client.maskedId.endsWith(newKey.slice(-4))).toBe(true);
      expect(rotating.simulator.requests.map((request) => request.keyAccepted)).toEqual([true, false, true]);
      // Later calls use the new token straight away.
      await rotating.client.sdk.getChat(42);
      expect(rotating.simulator.requests.at(-1)?.keyAccepted).toBe(true);
    } finally {
      await rotating.close();
    }
  });
});

describe('verify()', () => {
  it('calls getMe and returns the bot', async () => {
    const botId = Number(fixture.key.split(':')[0]);
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'telegram',
      maskedId: fixture.client.maskedId,
      identity: {
        id: botId,
        username: 'simulated_bot',
        firstName: 'Simulated Bot',
        isBot: true,
        canJoinGroups: true,
        canReadAllGroupMessages: false,
        supportsInlineQueries: false,
      },
    });
    expect((await fixture.events()).map((event) => event.operation)).toEqual(['getMe']);
  });

  it('rejects a revoked token with unauthorized', async () => {
    fixture.simulator.revokeKey(fixture.key);
    expect(await rejection(fixture.client.verify())).toMatchObject({ reason: 'unauthorized', status: 401 });
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}

/** A raw HTTP server on 127.0.0.1 that answers every request with `answer`. */
async function rawServer(
  answer: (res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    req.resume();
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
