/**
 * The Slack simulator, driven by the real `@slack/web-api` WebClient (and raw `fetch` where the
 * SDK would hide the wire), without keycard in between.
 */
import { inspect } from 'node:util';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintKey, maskKey } from '../../src/secret.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { SIMULATED_SLACK_SCOPES } from '../../src/testing/slack.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const key = testKey('slack', 'simulator-slack');
let sim: Simulator;
let slack: WebClient;

/** A WebClient on the simulator that neither retries nor waits on a rate limit. */
const clientFor = (token: string | undefined, options: { timeout?: number } = {}) =>
  new WebClient(token, {
    slackApiUrl: sim.baseURL('slack'),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
    ...options,
  });

beforeAll(async () => {
  sim = await startSimulator({ keys: [key] });
  slack = clientFor(key);
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

/** A raw request to a method; `init` may set another verb, headers or body. */
async function call(method: string, init: RequestInit & { bearer?: string | null } = {}) {
  const { bearer = key, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (bearer !== null) headers.set('authorization', `Bearer ${bearer}`);
  const response = await fetch(`${sim.baseURL('slack')}${method}`, { method: 'POST', ...rest, headers });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('wire', () => {
  it('serves under /slack/api/, like https://slack.com/api/', () => {
    expect(sim.baseURL('slack')).toBe(`${sim.url}/slack/api/`);
  });

  it('auth.test: a bot identity, the scopes in x-oauth-scopes, a request id in x-slack-req-id', async () => {
    const result = await slack.auth.test();
    expect(result).toMatchObject({
      ok: true,
      url: 'https://simulated.slack.com/',
      team: 'Simulated Team',
      user: 'keycard-bot',
      team_id: 'T0SIMULATED',
      user_id: 'U0SIMULATED',
      bot_id: 'B0SIMULATED',
      is_enterprise_install: false,
    });
    expect(result.response_metadata?.scopes).toEqual([...SIMULATED_SLACK_SCOPES]);
    expect(sim.requests[0]).toMatchObject({
      provider: 'slack',
      method: 'POST',
      path: '/slack/api/auth.test',
      status: 200,
      fault: null,
      keyAccepted: true,
      keyFingerprint: fingerprintKey(key),
      keyMaskedId: maskKey(key),
      model: null,
      stream: false,
      usage: null,
    });
    expect(sim.requests[0]?.headers['authorization']).toBe('[redacted]');
    const raw = await call('auth.test');
    expect(raw.headers.get('x-slack-req-id')).toBe(sim.requests[1]?.id);
    expect(raw.headers.get('x-oauth-scopes')).toBe(SIMULATED_SLACK_SCOPES.join(','));
  });

  it('auth.test: a user token (xoxp-…) is a user, without a bot id', async () => {
    const userKey = testKey('slack-user', 'simulator');
    sim.addKey(userKey);
    const result = await clientFor(userKey).auth.test();
    expect(result).toMatchObject({ user: 'simulated-user', user_id: 'U0SIMUSER' });
    expect(result.bot_id).toBeUndefined();
  });

  it('chat.postMessage: the message, from form or JSON bodies; channel_not_found and no_text', async () => {
    const first = await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'hello' });
    const second = await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'again' });
    expect(first).toMatchObject({
      ok: true,
      channel: 'C0GENERAL',
      message: { type: 'message', text: 'hello', bot_id: 'B0SIMULATED', user: 'U0SIMULATED' },
    });
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(first.message?.ts).toBe(first.ts);
    expect(second.ts).not.toBe(first.ts);
    expect(sim.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const json = await call('chat.postMessage', {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0ALERTS', text: 'from json' }),
    });
    expect(json.body).toMatchObject({ ok: true, channel: 'C0ALERTS', message: { text: 'from json' } });
    expect(json.headers.get('x-accepted-oauth-scopes')).toBe('chat:write');
    expect((await call('chat.postMessage', form({ text: 'x' }))).body).toEqual({
      ok: false,
      error: 'channel_not_found',
    });
    expect((await call('chat.postMessage', form({ channel: 'C0GENERAL' }))).body).toEqual({
      ok: false,
      error: 'no_text',
    });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    expect((await slack.chat.postMessage({ channel: 'C0GENERAL', blocks, text: '' })).ok).toBe(true);
  });

  it('conversations.list: channels paged with limit and cursor', async () => {
    const all = await slack.conversations.list();
    expect(all.channels?.map((channel) => channel.id)).toEqual(['C0GENERAL', 'C0ALERTS', 'C0DEPLOYS']);
    expect(all.response_metadata?.next_cursor).toBe('');
    const ids: string[] = [];
    for await (const page of slack.paginate('conversations.list', { limit: 2 })) {
      for (const channel of (page as { channels?: { id: string }[] }).channels ?? []) ids.push(channel.id);
    }
    expect(ids).toEqual(['C0GENERAL', 'C0ALERTS', 'C0DEPLOYS']);
    expect(sim.requests).toHaveLength(3);
    expect((await call('conversations.list', form({ cursor: 'bm90LWEtY3Vyc29y' }))).body).toEqual({
      ok: false,
      error: 'invalid_cursor',
    });
  });

  it('users.info: the user asked for; user_not_found without one', async () => {
    expect(await slack.users.info({ user: 'U0SOMEONE' })).toMatchObject({
      ok: true,
      user: { id: 'U0SOMEONE', name: 'simulated-user', real_name: 'Simulated User' },
    });
    expect((await call('users.info')).body).toEqual({ ok: false, error: 'user_not_found' });
  });

  it('any other well-formed method answers ok; a malformed name is unknown_method', async () => {
    expect(
      await slack.reactions.add({ channel: 'C0GENERAL', timestamp: '1.000001', name: 'tada' }),
    ).toMatchObject({
      ok: true,
    });
    expect((await slack.apiCall('admin.apps.approved.list')).ok).toBe(true);
    expect((await call('oauth.v2.access', form({}))).body).toMatchObject({ ok: true });
    expect((await call('not-a-method')).body).toEqual({
      ok: false,
      error: 'unknown_method',
      req_method: 'not-a-method',
    });
    expect((await call('')).body).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('filesUploadV2: an upload URL outside the API root that takes the bytes without a token', async () => {
    const result = await slack.filesUploadV2({
      channel_id: 'C0GENERAL',
      file: Buffer.from('report body'),
      filename: 'report.txt',
      title: 'Report',
    });
    expect(result.ok).toBe(true);
    expect(result.files[0]?.files?.[0]).toMatchObject({ title: 'Report' });
    const [ask, upload, complete] = sim.requests;
    expect(ask?.path).toBe('/slack/api/files.getUploadURLExternal');
    expect(upload?.path).toMatch(/^\/slack\/upload\/v1\/F0[0-9A-F]{8}$/);
    expect(upload).toMatchObject({ status: 200, keyFingerprint: null, keyAccepted: false });
    expect(complete?.path).toBe('/slack/api/files.completeUploadExternal');
    const asked = await call('files.getUploadURLExternal', form({ filename: 'a.txt', length: '3' }));
    const uploadUrl = String(asked.body?.['upload_url']);
    expect(uploadUrl.startsWith(`${sim.url}/slack/upload/v1/`)).toBe(true);
    const bytes = await fetch(uploadUrl, { method: 'POST', body: 'abc' });
    expect([bytes.status, await bytes.text()]).toEqual([200, 'OK - 3']);
    expect((await call('files.getUploadURLExternal', form({ filename: 'a.txt' }))).body).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
    });
  });
});

describe('tokens', () => {
  it('reads the token from Authorization, else from a token argument in the body or the query', async () => {
    expect((await call('auth.test', { bearer: null, ...form({ token: key }) })).body).toMatchObject({
      ok: true,
    });
    const viaQuery = await call(`auth.test?token=${encodeURIComponent(key)}`, {
      method: 'GET',
      bearer: null,
    });
    expect(viaQuery.body).toMatchObject({ ok: true, team_id: 'T0SIMULATED' });
    expect(sim.requests.map((request) => request.keyAccepted)).toEqual([true, true]);
    // The log masks a token in the query.
    expect(sim.requests[1]?.path).toBe(`/slack/api/auth.test?token=${maskKey(key)}`);
  });

  it('answers not_authed without a token, invalid_auth for one it does not accept or revoked', async () => {
    expect((await call('auth.test', { bearer: null })).body).toEqual({ ok: false, error: 'not_authed' });
    const other = testKey('slack', 'simulator-other');
    expect(await call('auth.test', { bearer: other })).toMatchObject({
      status: 200,
      body: { ok: false, error: 'invalid_auth' },
    });
    sim.revokeKey(key);
    try {
      const error = await rejection(slack.auth.test());
      expect(error).toMatchObject({
        code: ErrorCode.PlatformError,
        data: { ok: false, error: 'invalid_auth' },
      });
      expect((error as Error).message).toBe('An API error occurred: invalid_auth');
    } finally {
      sim.addKey(key);
    }
    expect((await slack.auth.test()).ok).toBe(true);
  });
});

describe('faults', () => {
  it('unauthorized: invalid_auth even for a good token', async () => {
    sim.failNext('unauthorized');
    expect(await rejection(slack.auth.test())).toMatchObject({ data: { error: 'invalid_auth' } });
    expect(sim.requests[0]).toMatchObject({ fault: 'unauthorized', keyAccepted: true, status: 200 });
  });

  it('forbidden: missing_scope with the method’s scope needed and the token’s others provided', async () => {
    sim.failNext('forbidden');
    const error = await rejection(slack.chat.postMessage({ channel: 'C0GENERAL', text: 'x' }));
    expect(error).toMatchObject({
      code: ErrorCode.PlatformError,
      data: {
        ok: false,
        error: 'missing_scope',
        needed: 'chat:write',
        provided: 'channels:read,users:read,files:write',
        response_metadata: {
          scopes: ['channels:read', 'users:read', 'files:write'],
          acceptedScopes: ['chat:write'],
        },
      },
    });
    sim.failNext('forbidden');
    expect((await call('reactions.add')).body).toMatchObject({ needed: 'reactions:write' });
    sim.failNext('forbidden');
    expect((await call('conversations.history')).body).toMatchObject({
      needed: 'channels:read,groups:read,im:read,mpim:read',
    });
  });

  it('rate_limit and quota: HTTP 429 ratelimited with Retry-After (Slack has no billing quota)', async () => {
    for (const fault of ['rate_limit', 'quota'] as const) {
      sim.failNext(fault);
      const raw = await call('auth.test');
      expect([raw.status, raw.headers.get('retry-after'), raw.body]).toEqual([
        429,
        '1',
        { ok: false, error: 'ratelimited' },
      ]);
      sim.failNext(fault);
      expect(await rejection(slack.auth.test())).toMatchObject({
        code: ErrorCode.RateLimitedError,
        retryAfter: 1,
      });
    }
  });

  it('server_error: an HTML 500; bad_json: a 200 cut short; reset and hang: no answer', async () => {
    sim.failNext('server_error');
    expect(await rejection(slack.auth.test())).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500 });
    sim.failNext('bad_json');
    const bad = await rejection(slack.auth.test());
    expect(bad).toMatchObject({
      code: ErrorCode.PlatformError,
      data: { ok: false, error: '{"ok":true,"channel":"C0' },
    });
    sim.failNext('reset');
    expect(await rejection(slack.auth.test())).toMatchObject({ code: ErrorCode.RequestError });
    sim.failNext('hang');
    const hung = await rejection(clientFor(key, { timeout: 100 }).auth.test());
    expect((hung as Error).message).toContain('aborted due to timeout');
    expect(sim.requests.map((request) => [request.fault, request.status])).toEqual([
      ['server_error', 500],
      ['bad_json', 200],
      ['reset', null],
      ['hang', null],
    ]);
  });
});

describe('tally and log', () => {
  it('counts one request per method call, by key, without a model or tokens', async () => {
    const other = testKey('slack', 'simulator-tally');
    await slack.auth.test();
    await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'x' });
    sim.failNext('rate_limit');
    await rejection(slack.auth.test());
    sim.failNext('server_error');
    await rejection(slack.auth.test());
    await call('auth.test', { bearer: other });
    await call('auth.test', { bearer: null });
    const tally = sim.tally();
    expect(tally.total).toEqual({
      requests: 6,
      unanswered: 0,
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      errors: { 429: 1, 500: 1 },
    });
    expect(tally.byKey[fingerprintKey(key)]?.requests).toBe(4);
    expect(tally.byKey[fingerprintKey(other)]?.requests).toBe(1);
    expect(tally.byModel).toEqual({});
    expect(tally.rows.every((row) => row.provider === 'slack' && row.model === null)).toBe(true);
  });

  it('never holds a clear token', async () => {
    await slack.auth.test();
    await call('auth.test', { bearer: null, ...form({ token: key }) });
    await call(`auth.test?token=${key}`, { method: 'GET', bearer: null });
    for (const output of [
      JSON.stringify(sim.requests),
      inspect(sim.requests, { depth: 10 }),
      JSON.stringify(sim.tally()),
      inspect(sim, { depth: 10, showHidden: true }),
    ]) {
      expect(output.includes(key)).toBe(false);
    }
  });
});
