/**
 * The Discord adapter, end to end: the real `@discordjs/rest` REST client through keycard against
 * the simulator over HTTP. Where a test needs the exact bytes on the wire, it passes keycard a
 * `fetch` that records each request and then sends it for real.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DiscordAPIError, HTTPError, RateLimitError, REST } from '@discordjs/rest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError, KeycardError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { detectProvider } from '../../src/keys/shapes.js';
import { discord, operationOf, TOKEN_PLACEHOLDER } from '../../src/providers/discord.js';
import { redactText } from '../../src/redact/redactor.js';
import { fakeKey } from '../../src/testing/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection, rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'discord'>;
beforeEach(async () => {
  fixture = await clientFixture('discord');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const CHANNEL = '1100000000000000009';
const messages = `/channels/${CHANNEL}/messages` as const;
const post = (content = 'hello') => fixture.client.sdk.post(messages, { body: { content } });

/** What left the process: URL, headers and text body of every request. */
interface WireRequest {
  url: string;
  headers: Record<string, string>;
}

/** A `fetch` for `createClient` that records each request, then sends it for real. */
function recordingFetch(): { fetch: typeof globalThis.fetch; sent: WireRequest[] } {
  const sent: WireRequest[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    sent.push({
      url: input instanceof Request ? input.url : String(input),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
    });
    return globalThis.fetch(input, init);
  };
  return { fetch, sent };
}

/** A client of the fixture's simulator and ledger with other options. */
function clientWith(options: Parameters<typeof createClient<'discord'>>[2] = {}) {
  return createClient('discord', keys.literal(fixture.key), {
    baseURL: fixture.simulator.baseURL('discord'),
    ledger: fixture.ledger,
    logger: fixture.logger,
    ...options,
  });
}

const outcomes = async () => (await fixture.events()).map((event) => [event.operation, event.outcome]);

describe('discord client', () => {
  it('is the REST client at discord.com/api, reading DISCORD_BOT_TOKEN, then DISCORD_TOKEN', async () => {
    vi.stubEnv('DISCORD_BOT_TOKEN', fixture.key);
    const client = await createClient('discord', undefined, { ledger: false });
    expect(client.sdk).toBeInstanceOf(REST);
    expect(client.sdk.constructor.name).toBe('REST');
    expect(client.sdk.options.api).toBe('https://discord.com/api');
    expect(client.sdk.options.version).toBe('10');
    expect(client.source).toBe('env:DISCORD_BOT_TOKEN|DISCORD_TOKEN');
    const [botId] = fixture.key.split('.');
    expect(client.maskedId).toBe(`${botId}.****${fixture.key.slice(-4)}`);
    await client.close();

    vi.stubEnv('DISCORD_BOT_TOKEN', '');
    vi.stubEnv('DISCORD_TOKEN', fixture.key);
    const second = await createClient('discord', undefined, { ledger: false });
    expect(second.maskedId).toBe(client.maskedId);
    await second.close();

    vi.stubEnv('DISCORD_TOKEN', '');
    const missing = await credentialRejection(createClient('discord', undefined, { ledger: false }));
    expect(missing).toMatchObject({ reason: 'missing', provider: 'discord' });
    expect(missing.hint).toContain('DISCORD_BOT_TOKEN');
  });

  it('knows its tokens: shape, detection, wrong provider both ways, malformed, the Bot prefix, webhook URLs', async () => {
    expect(detectProvider(fixture.key)).toBe('discord');
    expect(detectProvider(fakeKey('discord'))).toBe('discord');
    for (const other of ['slack', 'telegram', 'openai'] as const) {
      const given = await credentialRejection(
        createClient('discord', keys.literal(testKey(other, 'to-discord'))),
      );
      expect(given).toMatchObject({ reason: 'wrong_provider', provider: 'discord' });
      expect(given.hint).toContain(`createClient('${other}', …)`);
      const taken = await credentialRejection(createClient(other, keys.literal(fixture.key)));
      expect(taken).toMatchObject({ reason: 'wrong_provider', provider: other });
      expect(taken.hint).toContain("createClient('discord', …)");
      expect(`${taken.message} ${taken.hint}`).not.toContain(fixture.key.split('.')[0]);
    }
    const cut = fixture.key.slice(0, -20);
    const malformed = await credentialRejection(createClient('discord', keys.literal(cut)));
    expect(malformed.reason).toBe('malformed');
    expect(malformed.message).toContain('right prefix');
    expect(malformed.message).not.toContain(cut.slice(10));
    // Copied from a header: the `Bot ` prefix is cleaned off.
    const prefixed = await createClient('discord', keys.literal(`Bot ${fixture.key}`), {
      baseURL: fixture.simulator.baseURL('discord'),
      ledger: false,
    });
    expect(prefixed.fingerprint).toBe(fixture.client.fingerprint);
    expect((await prefixed.verify()).ok).toBe(true);
    await prefixed.close();
    // A webhook URL is no bot token.
    const hook = `https://discord.com/api/webhooks/1100000000000000042/${fakeKey('discord').replace(/\./g, '_')}`;
    const webhook = await credentialRejection(createClient('discord', keys.literal(hook)));
    expect(webhook.reason).toBe('malformed');
    expect(webhook.message).toContain('webhook URL');
    expect(webhook.message).not.toContain(hook.slice(-20));

    const line = `Authorization: Bot ${fixture.key} then ${fixture.key} and ${hook.replace('discord.com', 'canary.discordapp.com')}`;
    const redacted = redactText(line);
    expect(redacted).not.toContain(fixture.key.split('.')[2]);
    expect(redacted).not.toContain(hook.slice(-30));
    expect(redacted).toContain('https://canary.discordapp.com/api/webhooks/[REDACTED discord ');
  });

  it('sends the key as Authorization: Bot on each request and nowhere else; the SDK holds a placeholder', async () => {
    const wire = recordingFetch();
    const client = await clientWith({ fetch: wire.fetch });
    await client.sdk.get('/users/@me');
    await client.sdk.post(messages, { body: { content: 'x' } });
    for (const request of wire.sent) {
      expect(request.headers['authorization']).toBe(`Bot ${fixture.key}`);
      expect(request.url).not.toContain(fixture.key);
    }
    expect(fixture.simulator.requests.every((request) => request.keyAccepted)).toBe(true);
    for (const output of [
      inspect(client, { depth: 20, showHidden: true }),
      inspect(client.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(client),
      JSON.stringify(client.sdk.options),
    ]) {
      expect(output.includes(fixture.key)).toBe(false);
      expect(output.includes(fixture.key.split('.')[2] ?? '')).toBe(false);
    }
    // The token REST holds is the placeholder; a real one is refused (it would sit on the object).
    const seen: unknown[] = [];
    client.sdk.on('response', (request) => seen.push(request.options.headers));
    await client.sdk.get('/users/@me');
    expect(seen).toEqual([expect.objectContaining({ Authorization: `Bot ${TOKEN_PLACEHOLDER}` })]);
    const refused = (() => {
      try {
        client.sdk.setToken(fixture.key);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(KeycardError);
    expect(String((refused as Error).message)).not.toContain(fixture.key);
    expect((await client.sdk.get('/users/@me')) as object).toMatchObject({ bot: true });
  });

  it('records one event per request, named after the route, with no model and no tokens, equal to the tally', async () => {
    const sdk = fixture.client.sdk;
    expect(await sdk.get('/users/@me')).toMatchObject({ username: 'keycard-bot', bot: true });
    expect(await sdk.get(`/channels/${CHANNEL}`)).toMatchObject({ id: CHANNEL, name: 'general' });
    expect(await post('hello')).toMatchObject({ channel_id: CHANNEL, content: 'hello' });
    const withFile = await sdk.post(messages, {
      body: { content: 'a file' },
      files: [{ name: 'report.txt', data: Buffer.from('report') }],
    });
    expect(withFile).toMatchObject({ content: 'a file', attachments: [expect.any(Object)] });
    const events = await fixture.events();
    expect(events.map((event) => [event.provider, event.operation, event.outcome, event.status])).toEqual([
      ['discord', 'GET /users/@me', 'ok', 200],
      ['discord', 'GET /channels/:id', 'ok', 200],
      ['discord', 'POST /channels/:id/messages', 'ok', 200],
      ['discord', 'POST /channels/:id/messages', 'ok', 200],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        model: null,
        inputTokens: null,
        outputTokens: null,
        requests: 1,
        costUsd: 0,
        pricing: 'free',
        keyFingerprint: fixture.client.fingerprint,
      });
    }
    const [totals] = await fixture.ledger.totals();
    expect(totals?.requests).toBe(fixture.simulator.tally().total.requests);
  });

  it('executes a webhook with its own token (auth: false): no bot key sent, the token never recorded', async () => {
    const wire = recordingFetch();
    const client = await clientWith({ fetch: wire.fetch });
    const hook = (await client.sdk.post(`/channels/${CHANNEL}/webhooks`, { body: { name: 'alerts' } })) as {
      id: string;
      token: string;
    };
    expect(hook.token).toHaveLength(68);
    const route = `/webhooks/${hook.id}/${hook.token}` as const;
    expect(await client.sdk.post(route, { body: { content: 'deployed' }, auth: false })).toBeInstanceOf(
      ArrayBuffer,
    );
    const waited = await client.sdk.post(route, {
      body: { content: 'deployed' },
      auth: false,
      query: new URLSearchParams({ wait: 'true' }),
    });
    expect(waited).toMatchObject({ content: 'deployed', webhook_id: hook.id });
    expect(wire.sent.slice(1).map((request) => request.headers['authorization'])).toEqual([
      undefined,
      undefined,
    ]);
    // A wrong webhook token is Discord's 401 50027: about the webhook, not the bot token.
    const bad = await rejection(
      // Another last character (the token is random: it may end in x already).
      client.sdk.post(
        `/webhooks/${hook.id}/${hook.token.slice(0, -1)}${hook.token.endsWith('x') ? 'y' : 'x'}`,
        {
          body: { content: 'x' },
          auth: false,
        },
      ),
    );
    expect(bad).toBeInstanceOf(DiscordAPIError);
    expect(isCredentialError(bad)).toBe(false);
    expect((bad as DiscordAPIError).code).toBe(50027);
    expect(inspect(bad)).not.toContain(hook.token.slice(0, -1));
    expect(await outcomes()).toEqual([
      ['POST /channels/:id/webhooks', 'ok'],
      ['POST /webhooks/:id/:token', 'ok'],
      ['POST /webhooks/:id/:token', 'ok'],
      ['POST /webhooks/:id/:token', 'error'],
    ]);
    const stored = JSON.stringify(await fixture.events());
    expect(stored).not.toContain(hook.token.slice(0, 20));
  });

  it('names operations after the route, without ids or tokens', () => {
    const root = new URL('https://discord.com/api');
    const at = (path: string) => new URL(`https://discord.com/api${path}`);
    expect(operationOf('post', at('/v10/channels/1100000000000000009/messages'), root)).toBe(
      'POST /channels/:id/messages',
    );
    expect(
      operationOf(
        'PUT',
        at('/v10/channels/11000000000000000/messages/1100000000000000001/reactions/%F0%9F%91%8D/@me'),
        root,
      ),
    ).toBe('PUT /channels/:id/messages/:id/reactions/:emoji/@me');
    expect(operationOf('POST', at('/webhooks/1100000000000000042/abc_DEF-123'), root)).toBe(
      'POST /webhooks/:id/:token',
    );
    expect(operationOf('POST', at('/v10/interactions/1100000000000000042/tok_en/callback'), root)).toBe(
      'POST /interactions/:id/:token/callback',
    );
    expect(operationOf('GET', at('/v10/invites/abcdef'), root)).toBe('GET /invites/:code');
  });

  it('verifies through GET /users/@me and GET /applications/@me', async () => {
    const result = await fixture.client.verify();
    const botId = Buffer.from(fixture.key.split('.')[0] ?? '', 'base64url').toString();
    expect(result).toMatchObject({
      ok: true,
      provider: 'discord',
      identity: { bot: 'keycard-bot', botId, application: 'keycard-bot', applicationId: botId, guilds: 3 },
    });
    expect(await outcomes()).toEqual([
      ['GET /users/@me', 'ok'],
      ['GET /applications/@me', 'ok'],
    ]);
  });

  it('can be handed the REST class the user imported', async () => {
    const client = await clientWith({ sdk: REST });
    expect(client.sdk).toBeInstanceOf(REST);
    expect((await client.verify()).ok).toBe(true);
    expect(await rejection(clientWith({ sdk: {} as never }))).toBeInstanceOf(KeycardError);
    // What keycard sets itself is refused in sdkOptions, with what to use instead.
    for (const [name, instead] of [
      ['api', 'baseURL'],
      ['makeRequest', 'fetch'],
      ['authPrefix', 'Bot'],
      ['retries', 'maxRetries'],
    ] as const) {
      const refused = await rejection(clientWith({ sdkOptions: { [name]: 'x' } as never }));
      expect(refused).toBeInstanceOf(KeycardError);
      expect((refused as Error).message).toContain(instead);
    }
    expect(discord.packageName).toBe('@discordjs/rest');
  });
});

describe('failures', () => {
  it('maps a bad token (401) to unauthorized, keeps DiscordAPIError, and keeps working once the key is good', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(post());
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'discord', status: 401, code: 0 });
    expect((error as CredentialError).hint).toContain('https://discord.com/developers/applications');
    await expect(fixture.client.verify()).rejects.toSatisfy(
      (failure: unknown) => isCredentialError(failure) && failure.reason === 'unauthorized',
    );
    // The SDK drops its token after a 401; keycard keeps the placeholder, so a good key works.
    fixture.simulator.addKey(fixture.key);
    expect(await post('again')).toMatchObject({ content: 'again' });
    expect(await outcomes()).toEqual([
      ['POST /channels/:id/messages', 'unauthorized'],
      ['GET /users/@me', 'unauthorized'],
      ['POST /channels/:id/messages', 'ok'],
    ]);
  });

  it('maps 403 Missing Permissions (50013) and Missing Access (50001) to forbidden, naming the usual permission', async () => {
    fixture.simulator.failNext('forbidden');
    const permissions = await rejection(post());
    expect(permissions).toBeInstanceOf(DiscordAPIError);
    expect(permissions).toMatchObject({ reason: 'forbidden', status: 403, code: 50013 });
    expect((permissions as CredentialError).hint).toContain('Missing Permissions');
    expect((permissions as CredentialError).hint).toContain(
      'POST /channels/:id/messages usually needs Send Messages and View Channel',
    );
    fixture.simulator.failNext('forbidden');
    const access = await rejection(fixture.client.sdk.get(`/channels/${CHANNEL}`));
    expect(access).toMatchObject({ reason: 'forbidden', status: 403, code: 50001 });
    expect((access as CredentialError).hint).toContain('Missing Access');
    expect((access as CredentialError).hint).toContain('View Channel');
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['forbidden', 'forbidden']);
  });

  it('classifies only what is about the bot token as a key problem', () => {
    const classify = discord.classify;
    expect(classify({ status: 401, code: '0' })).toMatchObject({
      outcome: 'unauthorized',
      reason: 'unauthorized',
    });
    // Invalid Webhook Token: the webhook's URL, not the bot token.
    expect(classify({ status: 401, code: '50027' })).toEqual({ outcome: 'error' });
    for (const code of ['50001', '50013', '20001', '20002']) {
      expect(classify({ status: 403, code }), code).toMatchObject({
        outcome: 'forbidden',
        reason: 'forbidden',
      });
    }
    // Cannot send messages to this user (DMs closed); a 403 page from Discord's edge.
    expect(classify({ status: 403, code: '50007' })).toEqual({ outcome: 'error' });
    expect(classify({ status: 403 })).toEqual({ outcome: 'error' });
    expect(classify({ status: 429, type: 'global' })).toEqual({ outcome: 'rate_limited' });
    expect(classify({ status: 502 })).toEqual({ outcome: 'error' });
  });

  it('leaves other 4xx to the SDK: an empty message (400 50006), with Discord’s flattened errors', async () => {
    const empty = await rejection(fixture.client.sdk.post(messages, { body: {} }));
    expect(empty).toBeInstanceOf(DiscordAPIError);
    expect(isCredentialError(empty)).toBe(false);
    expect(empty).toMatchObject({ status: 400, code: 50006 });
    const long = await rejection(post('x'.repeat(2001)));
    expect((long as Error).message).toContain(
      'content[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.',
    );
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['error', 'error']);
  });

  it('with maxRetries: 0, a per-route or a global 429 is the SDK’s RateLimitError at once, not a key problem', async () => {
    fixture.simulator.failNext('rate_limit');
    const route = await rejection(post());
    expect(route).toBeInstanceOf(RateLimitError);
    expect(isCredentialError(route)).toBe(false);
    expect(route).toMatchObject({ global: false, scope: 'user', route: '/channels/:id/messages' });
    fixture.simulator.failNext('quota');
    const global = await rejection(fixture.client.sdk.get('/users/@me'));
    expect(global).toBeInstanceOf(RateLimitError);
    expect(global).toMatchObject({ global: true });
    expect(isCredentialError(global)).toBe(false);
    expect((await fixture.events()).map((event) => [event.outcome, event.status])).toEqual([
      ['rate_limited', 429],
      ['rate_limited', 429],
    ]);
    expect(fixture.simulator.tally().total.errors).toEqual({ 429: 2 });
  });

  it('with retries, REST waits a 429 out (retry-after) and tries again, per route and globally', async () => {
    const client = await clientWith({ maxRetries: undefined });
    fixture.simulator.failNext('rate_limit');
    const started = performance.now();
    expect(await client.sdk.post(messages, { body: { content: 'later' } })).toMatchObject({
      content: 'later',
    });
    expect(performance.now() - started).toBeGreaterThan(900);
    fixture.simulator.failNext('quota');
    expect(await client.sdk.get('/users/@me')).toMatchObject({ bot: true });
    expect(await outcomes()).toEqual([
      ['POST /channels/:id/messages', 'rate_limited'],
      ['POST /channels/:id/messages', 'ok'],
      ['GET /users/@me', 'rate_limited'],
      ['GET /users/@me', 'ok'],
    ]);
    expect(fixture.simulator.tally().total.requests).toBe(4);
  });

  it('keeps HTTPError for a 5xx with an HTML body, retried maxRetries times', async () => {
    fixture.simulator.failNext('server_error');
    const broken = await rejection(post());
    expect(broken).toBeInstanceOf(HTTPError);
    expect(isCredentialError(broken)).toBe(false);
    expect(broken).toMatchObject({ status: 500 });
    const retrying = await clientWith({ maxRetries: 1 });
    fixture.simulator.failNext('server_error');
    expect(await retrying.sdk.get('/users/@me')).toMatchObject({ bot: true });
    fixture.simulator.failNext('server_error', { times: 2 });
    expect(await rejection(retrying.sdk.get('/users/@me'))).toBeInstanceOf(HTTPError);
    expect((await fixture.events()).map((event) => [event.outcome, event.status])).toEqual([
      ['error', 500],
      ['error', 500],
      ['ok', 200],
      ['error', 500],
      ['error', 500],
    ]);
  });

  it('fails a cut JSON body and a hung answer without a key problem; timeout 0 is no timeout', async () => {
    fixture.simulator.failNext('bad_json');
    expect(await rejection(fixture.client.sdk.get('/users/@me'))).toBeInstanceOf(SyntaxError);
    // REST retries an attempt it aborted at its timeout (`retries`, here none).
    const hurried = await clientWith({ timeout: 200, maxRetries: 0 });
    fixture.simulator.failNext('hang');
    const hung = await rejection(hurried.sdk.get('/users/@me'));
    expect((hung as Error).name).toBe('AbortError');
    expect(isCredentialError(hung)).toBe(false);
    const patient = await clientWith({ timeout: 0 });
    expect(patient.sdk.options.timeout).toBe(2 ** 31 - 1);
    expect(await patient.sdk.get('/users/@me')).toMatchObject({ bot: true });
    await expect(clientWith({ timeout: -1 })).rejects.toThrow(/timeout/);
  });

  it('picks up a rotated token after a 401 and replays the call', async () => {
    const oldKey = testKey('discord', 'rotation-old');
    const newKey = testKey('discord', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-discord-')), 'token');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('discord', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      const message = await rotating.client.sdk.post(messages, { body: { content: 'rotated' } });
      expect(message).toMatchObject({ content: 'rotated' });
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
      expect(rotating.client.fingerprint).not.toBe(fixture.client.fingerprint);
      expect(rotating.client.maskedId.endsWith(newKey.slice(-4))).toBe(true);
      expect(rotating.simulator.tally().total.errors).toEqual({ 401: 1 });
    } finally {
      await rotating.close();
    }
  });

  it("hands the SDK's response event a clone of each answer", async () => {
    const statuses: number[] = [];
    const bodies: unknown[] = [];
    fixture.client.sdk.on('response', async (_request, response) => {
      statuses.push(response.status);
      bodies.push(await response.json());
    });
    expect(await fixture.client.sdk.get('/users/@me')).toMatchObject({ bot: true });
    await vi.waitFor(() => expect(bodies).toHaveLength(1));
    expect(statuses).toEqual([200]);
    expect(bodies[0]).toMatchObject({ username: 'keycard-bot' });
  });
});
