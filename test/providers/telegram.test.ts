/**
 * The Telegram adapter, end to end: telegraf's real `Telegram` client through keycard against the
 * simulator over HTTP. The token travels in the URL path, so every error is checked for it.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Telegram } from 'telegraf';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { safeJson } from '../helpers/capture.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

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

describe('calls', () => {
  it('records one request per method, named after it, without tokens', async () => {
    const message = await fixture.client.sdk.sendMessage(42, 'hello');
    expect(message.text).toBe('hello');
    await fixture.client.sdk.getChat(42);
    const events = await fixture.events();
    expect(
      events.map((event) => [event.provider, event.operation, event.outcome, event.inputTokens]),
    ).toEqual([
      ['telegram', 'sendMessage', 'ok', null],
      ['telegram', 'getChat', 'ok', null],
    ]);
    expect(fixture.simulator.tally().total.requests).toBe(2);
  });

  it('is telegraf’s Telegram, with the token out of inspect, JSON and the request log', async () => {
    expect(fixture.client.sdk).toBeInstanceOf(Telegram);
    await fixture.client.sdk.getMe();
    for (const output of [
      inspect(fixture.client, { depth: 20, showHidden: true }),
      inspect(fixture.client.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(fixture.client),
      JSON.stringify(fixture.client.sdk),
      JSON.stringify(fixture.simulator.requests),
    ]) {
      expect(output.includes(secretPart(fixture.key))).toBe(false);
    }
  });

  it('ends a call that hangs with the timeout', async () => {
    const slow = await clientFixture('telegram', {
      key: testKey('telegram', 'slow'),
      client: { timeout: 200 },
    });
    try {
      slow.simulator.failNext('hang');
      const started = Date.now();
      const error = await rejection(slow.client.sdk.getMe());
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(printed(error).includes(secretPart(slow.key))).toBe(false);
      expect((await slow.events())[0]?.outcome).toBe('error');
    } finally {
      await slow.close();
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
    expect(printed(error).includes(secretPart(fixture.key))).toBe(false);
  });

  it('maps the 404 for a path that is no bot token to unauthorized', async () => {
    const shapeless = 'not-a-bot-token-at-all';
    const client = await createClient('telegram', keys.literal(shapeless), {
      baseURL: fixture.simulator.baseURL('telegram'),
      ledger: fixture.ledger,
      checkKeyShape: false,
    });
    const error = await rejection(client.sdk.getMe());
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'telegram', status: 404 });
    expect(fixture.simulator.requests[0]?.status).toBe(404);
  });

  it('lets a 403 from a chat through as the SDK error: it is not about the token', async () => {
    fixture.simulator.failNext('forbidden');
    const error = await rejection(fixture.client.sdk.sendMessage(42, 'x'));
    expect(isCredentialError(error)).toBe(false);
    expect((error as Error).message).toBe('403: Forbidden: bot was blocked by the user');
    expect((await fixture.events())[0]?.outcome).toBe('error');
  });

  it('keeps the SDK error for a rate limit', async () => {
    fixture.simulator.failNext('rate_limit');
    const error = await rejection(fixture.client.sdk.sendMessage(42, 'x'));
    expect(isCredentialError(error)).toBe(false);
    expect((error as Error).message).toContain('429');
    expect((await fixture.events())[0]?.outcome).toBe('rate_limited');
  });

  it('redacts the token from errors that carry it: invalid JSON, reset, refused connection', async () => {
    fixture.simulator.failNext('bad_json');
    const badJson = await rejection(fixture.client.sdk.getMe());
    expect((badJson as Error).message).toContain('invalid json response body');
    expect((badJson as Error).message).toContain('[REDACTED telegram');
    fixture.simulator.failNext('reset');
    const reset = await rejection(fixture.client.sdk.getMe());
    const port = await closedPort();
    const refusedClient = await createClient('telegram', keys.literal(fixture.key), {
      baseURL: `http://127.0.0.1:${port}`,
      ledger: false,
    });
    const refused = await rejection(refusedClient.sdk.getMe());
    for (const error of [badJson, reset, refused])
      expect(printed(error).includes(secretPart(fixture.key))).toBe(false);
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
  });

  it('picks up a rotated token and replays the call', async () => {
    const oldKey = testKey('telegram', 'rotation-old');
    const newKey = testKey('telegram', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-telegram-')), 'token');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('telegram', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      expect((await rotating.client.sdk.sendMessage(42, 'after rotation')).text).toBe('after rotation');
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
      expect(rotating.client.maskedId.endsWith(newKey.slice(-4))).toBe(true);
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
      identity: { id: botId, username: 'simulated_bot', firstName: 'Simulated Bot' },
    });
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}
