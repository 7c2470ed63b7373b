/**
 * The Discord simulator on the wire (raw `fetch`, as @discordjs/rest would send): Discord's error
 * envelope, its rate-limit headers, webhooks, and the tally.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintKey, maskKey } from '../../src/secret.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';

const key = testKey('discord', 'simulator-discord');
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ keys: [key] });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

/** A raw request to a route under `/api/v10`; `bot` is the token sent (`null`: none). */
async function call(route: string, init: RequestInit & { bot?: string | null } = {}) {
  const { bot = key, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (bot !== null) headers.set('authorization', `Bot ${bot}`);
  if (typeof rest.body === 'string') headers.set('content-type', 'application/json');
  const response = await fetch(`${sim.baseURL('discord')}/v10${route}`, { ...rest, headers });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

const message = (content: string) => ({ method: 'POST', body: JSON.stringify({ content }) });

describe('discord simulator', () => {
  it('serves the bot user (its id from the token), a channel and messages, with bucket headers', async () => {
    const me = await call('/users/@me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: Buffer.from(key.split('.')[0] ?? '', 'base64url').toString(),
      bot: true,
    });
    expect(me.headers.get('x-ratelimit-remaining')).toBe('4');
    expect(me.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
    expect(me.headers.get('cf-ray')).toMatch(/-SIM$/);
    expect((await call('/channels/1100000000000000009')).body).toMatchObject({ type: 0, name: 'general' });
    const posted = await call('/channels/1100000000000000009/messages', message('hi'));
    expect(posted.body).toMatchObject({ content: 'hi', channel_id: '1100000000000000009' });
    expect((await call('/nothing/here')).body).toEqual({ message: '404: Not Found', code: 0 });
  });

  it("answers with Discord's error envelope: 401, 403 50001/50013, 400 with errors", async () => {
    expect(await call('/users/@me', { bot: null })).toMatchObject({
      status: 401,
      body: { message: '401: Unauthorized', code: 0 },
    });
    sim.failNext('forbidden');
    expect((await call('/channels/1100000000000000009')).body).toEqual({
      message: 'Missing Access',
      code: 50001,
    });
    sim.failNext('forbidden');
    expect((await call('/channels/1100000000000000009/messages', message('x'))).body).toEqual({
      message: 'Missing Permissions',
      code: 50013,
    });
    const empty = await call('/channels/1100000000000000009/messages', message(''));
    expect(empty).toMatchObject({ status: 400, body: { code: 50006 } });
    const long = await call('/channels/1100000000000000009/messages', message('x'.repeat(2001)));
    expect(long.body).toMatchObject({
      code: 50035,
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } },
    });
  });

  it('rate limits per route and globally, with retry-after, x-ratelimit-* and the JSON fields', async () => {
    sim.failNext('rate_limit');
    const route = await call('/users/@me');
    expect(route.status).toBe(429);
    expect(route.body).toEqual({ message: 'You are being rate limited.', retry_after: 1, global: false });
    expect(route.headers.get('retry-after')).toBe('1');
    expect(route.headers.get('x-ratelimit-scope')).toBe('user');
    expect(route.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(route.headers.get('x-ratelimit-global')).toBeNull();
    sim.failNext('quota');
    const global = await call('/users/@me');
    expect(global.status).toBe(429);
    expect(global.body).toMatchObject({ global: true });
    expect(global.headers.get('x-ratelimit-global')).toBe('true');
    expect(global.headers.get('x-ratelimit-scope')).toBe('global');
  });

  it('answers a 5xx in HTML and a cut JSON body', async () => {
    sim.failNext('server_error');
    const broken = await call('/users/@me');
    expect(broken.status).toBe(500);
    expect(broken.headers.get('content-type')).toContain('text/html');
    sim.failNext('bad_json');
    const cut = await call('/users/@me');
    expect(cut.status).toBe(200);
    expect(cut.body).toBeUndefined();
  });

  it('creates webhooks and executes them with their own token, no bot token needed', async () => {
    const hook = await call('/channels/1100000000000000009/webhooks', {
      method: 'POST',
      body: JSON.stringify({ name: 'alerts' }),
    });
    const { id, token } = hook.body as { id: string; token: string };
    expect(token).toMatch(/^[A-Za-z0-9_-]{68}$/);
    const executed = await call(`/webhooks/${id}/${token}`, { ...message('hook'), bot: null });
    expect(executed.status).toBe(204);
    const waited = await call(`/webhooks/${id}/${token}?wait=true`, { ...message('hook'), bot: null });
    expect(waited.body).toMatchObject({ content: 'hook', webhook_id: id });
    const wrong = await call(`/webhooks/${id}/${token.slice(0, -1)}x`, { ...message('hook'), bot: null });
    expect(wrong).toMatchObject({ status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } });
  });

  it('tallies by key, and logs requests with the key masked', async () => {
    await call('/users/@me');
    await call('/users/@me', { bot: testKey('discord', 'unknown') });
    const tally = sim.tally();
    expect(tally.byProvider.discord).toMatchObject({ requests: 2, errors: { 401: 1 } });
    expect(tally.byKey[fingerprintKey(key)]).toMatchObject({ requests: 1 });
    expect(sim.requests[0]).toMatchObject({
      keyMaskedId: maskKey(key),
      keyAccepted: true,
      provider: 'discord',
    });
    expect(JSON.stringify(sim.requests)).not.toContain(key);
  });
});
