/**
 * The Slack adapter, end to end: the real `@slack/web-api` WebClient through keycard against the
 * simulator over HTTP. Where a test needs to see the exact bytes on the wire, it passes keycard a
 * `fetch` that records each request and then sends it for real.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ErrorCode, type Logger, LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError, KeycardError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { slack } from '../../src/providers/slack.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection, rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'slack'>;
beforeEach(async () => {
  fixture = await clientFixture('slack');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

/** What left the process: method, URL, headers and text body of every request. */
interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A `fetch` for `createClient` that records each request, then sends it for real. */
function recordingFetch(): { fetch: typeof globalThis.fetch; sent: WireRequest[] } {
  const sent: WireRequest[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    sent.push({
      url,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    return globalThis.fetch(input, init);
  };
  return { fetch, sent };
}

/** A client of the fixture's simulator and ledger with other options. */
function clientWith(options: Parameters<typeof createClient<'slack'>>[2] = {}) {
  return createClient('slack', keys.literal(fixture.key), {
    baseURL: fixture.simulator.baseURL('slack'),
    ledger: fixture.ledger,
    logger: fixture.logger,
    ...options,
  });
}

/** A local HTTP server that answers every request with `status` and `body`, and counts them. */
async function fixedServer(
  status: number,
  body: string,
): Promise<{ url: string; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/`, hits: () => hits, server };
}

const summary = (events: UsageEvent[]) => events.map((event) => [event.operation, event.outcome]);

describe('calls', () => {
  it('records one request per API call, named after the method, with no model and no tokens', async () => {
    const sdk = fixture.client.sdk;
    const posted = await sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'hello' });
    expect(posted).toMatchObject({ ok: true, channel: 'C0GENERAL', message: { text: 'hello' } });
    expect(posted.ts).toMatch(/^\d+\.\d{6}$/);
    const listed = await sdk.conversations.list();
    expect(listed.channels?.map((channel) => channel.name)).toEqual(['general', 'alerts', 'deploys']);
    expect(listed.response_metadata?.scopes).toEqual([
      'chat:write',
      'channels:read',
      'users:read',
      'files:write',
    ]);
    const events = await fixture.events();
    expect(events).toHaveLength(2);
    expect(events.map((event) => [event.provider, event.operation, event.outcome, event.status])).toEqual([
      ['slack', 'chat.postMessage', 'ok', 200],
      ['slack', 'conversations.list', 'ok', 200],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        model: null,
        inputTokens: null,
        cachedInputTokens: null,
        cacheWriteTokens: null,
        outputTokens: null,
        reasoningTokens: null,
        requests: 1,
        // Slack's Web API is free: priced at 0 unless requestPriceUsd says otherwise.
        costUsd: 0,
        pricing: 'free',
        stream: false,
        keyFingerprint: fixture.client.fingerprint,
      });
    }
    expect(fixture.simulator.tally().total.requests).toBe(2);
  });

  it('works for any method: apiCall, paginate (one event per page) and methods the simulator only acknowledges', async () => {
    const sdk = fixture.client.sdk;
    expect(await sdk.apiCall('users.info', { user: 'U0ANY' })).toMatchObject({
      ok: true,
      user: { id: 'U0ANY' },
    });
    const pages: string[][] = [];
    for await (const page of sdk.paginate('conversations.list', { limit: 2 })) {
      pages.push(((page as { channels?: { id: string }[] }).channels ?? []).map((channel) => channel.id));
    }
    expect(pages).toEqual([['C0GENERAL', 'C0ALERTS'], ['C0DEPLOYS']]);
    expect(
      await sdk.reactions.add({ channel: 'C0GENERAL', timestamp: '1.000001', name: 'tada' }),
    ).toMatchObject({
      ok: true,
    });
    expect(summary(await fixture.events())).toEqual([
      ['users.info', 'ok'],
      ['conversations.list', 'ok'],
      ['conversations.list', 'ok'],
      ['reactions.add', 'ok'],
    ]);
    expect(fixture.simulator.tally().total.requests).toBe(4);
  });

  it('sends the key as a Bearer header only, and never stores it on the client', async () => {
    const wire = recordingFetch();
    const client = await clientWith({ fetch: wire.fetch });
    expect(client.sdk).toBeInstanceOf(WebClient);
    expect(client.sdk.constructor.name).toBe('WebClient');
    expect(client.sdk.token).toBeUndefined();
    await client.sdk.auth.test();
    await client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' });
    expect(fixture.simulator.requests.every((request) => request.keyAccepted)).toBe(true);
    for (const request of wire.sent) {
      expect(request.headers['authorization']).toBe(`Bearer ${fixture.key}`);
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      // keycard's internal mark never reaches the wire, and the body never holds a token.
      expect(Object.keys(request.headers).filter((name) => name.startsWith('x-keycard'))).toEqual([]);
      expect(request.body ?? '').not.toContain('token');
    }
    for (const output of [
      inspect(client, { depth: 20, showHidden: true }),
      inspect(client.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(client),
      JSON.stringify(client.sdk),
    ]) {
      expect(output.includes(fixture.key)).toBe(false);
    }
  });

  it('leaves the caller’s headers object untouched and still sends its headers', async () => {
    const headers = Object.freeze({ 'x-team': 'ops' });
    const client = await clientWith({ sdkOptions: { headers } });
    await client.sdk.auth.test();
    expect(headers).toEqual({ 'x-team': 'ops' });
    expect(fixture.simulator.requests.at(-1)?.headers['x-team']).toBe('ops');
  });

  it('never sends the key to an absolute URL given to apiCall: it stays under the API root', async () => {
    const elsewhere = await clientFixture('slack', { key: testKey('slack', 'elsewhere') });
    try {
      const target = `${elsewhere.simulator.baseURL('slack')}auth.test`;
      const error = await rejection(fixture.client.sdk.apiCall(target));
      expect(elsewhere.simulator.requests).toHaveLength(0);
      // The SDK appended the URL to the API root, where Slack knows no such method.
      expect(isCredentialError(error)).toBe(false);
      expect((error as { code?: string; data?: unknown }).code).toBe(ErrorCode.PlatformError);
      expect((error as { data?: { error?: string } }).data?.error).toBe('unknown_method');
      expect(fixture.simulator.requests[0]?.path).toBe(`/slack/api/${target}`);
      expect((await fixture.events())[0]).toMatchObject({ operation: target, outcome: 'error' });
    } finally {
      await elsewhere.close();
    }
  });

  it('uploads a file (filesUploadV2) without sending the key to the upload URL', async () => {
    const wire = recordingFetch();
    const client = await clientWith({
      fetch: wire.fetch,
      maxRetries: 0,
      sdkOptions: { headers: { Authorization: 'Bearer not-a-key' } },
    });
    const result = await client.sdk.filesUploadV2({
      channel_id: 'C0GENERAL',
      file: Buffer.from('weekly report'),
      filename: 'report.txt',
      title: 'Report',
    });
    expect(result.ok).toBe(true);
    expect(wire.sent.map((request) => new URL(request.url).pathname)).toEqual([
      '/slack/api/files.getUploadURLExternal',
      expect.stringMatching(/^\/slack\/upload\/v1\/F0[0-9A-F]+$/),
      '/slack/api/files.completeUploadExternal',
    ]);
    expect(wire.sent.map((request) => request.headers['authorization'])).toEqual([
      `Bearer ${fixture.key}`,
      undefined,
      `Bearer ${fixture.key}`,
    ]);
    expect(summary(await fixture.events())).toEqual([
      ['files.getUploadURLExternal', 'ok'],
      ['upload_url', 'ok'],
      ['files.completeUploadExternal', 'ok'],
    ]);
  });

  it('refuses a per-call token before any request, whatever the call style', async () => {
    const other = testKey('slack', 'per-call');
    const sdk = fixture.client.sdk;
    const calls = [
      () => sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x', token: other }),
      () => sdk.apiCall('auth.test', { token: other }),
      async () => {
        for await (const _ of sdk.paginate('conversations.list', { token: other })) break;
      },
      () => sdk.filesUploadV2({ token: other, file: Buffer.from('x'), filename: 'x.txt' }),
    ];
    for (const call of calls) {
      const error = await rejection(call());
      expect(KeycardError.is(error)).toBe(true);
      expect(isCredentialError(error)).toBe(false);
      expect((error as Error).message).toContain('per-call `token`');
      expect((error as Error).message).toContain('one client per token');
      expect((error as Error).message.includes(other)).toBe(false);
    }
    expect(fixture.simulator.requests).toHaveLength(0);
    expect(await fixture.events()).toEqual([]);
    // An empty token is no token.
    expect((await sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x', token: '' })).ok).toBe(true);
  });

  it('logs the SDK’s lines through keycard’s redacted logger, at sdkOptions.logLevel (default info)', async () => {
    const quiet = await clientWith();
    await quiet.sdk.auth.test();
    expect(fixture.logger.lines.some((line) => line.includes('[web-api:WebClient]'))).toBe(false);
    const chatty = await clientWith({ sdkOptions: { logLevel: LogLevel.DEBUG } });
    await chatty.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' });
    const sdkLines = fixture.logger.lines.filter((line) => line.includes('[web-api:WebClient]'));
    expect(sdkLines).toContainEqual(
      expect.stringMatching(/^debug \[web-api:WebClient\] apiCall\('chat.postMessage'\) start/),
    );
    expect(sdkLines.some((line) => line.includes('http request url'))).toBe(true);
    expect(fixture.logger.lines.some((line) => line.includes(fixture.key))).toBe(false);
    // The level can be changed at run time through Slack's Logger interface.
    const logger = (chatty.sdk as unknown as { logger: Logger }).logger;
    expect(logger.getLevel()).toBe('debug');
    logger.setLevel(LogLevel.ERROR);
    expect(logger.getLevel()).toBe('error');
  });
});

describe('retries, rate limits and timeouts', () => {
  const fast = { minTimeout: 0, maxTimeout: 1 };

  it('makes no retry with maxRetries: 0, and rejects a rate-limited call at once', async () => {
    fixture.simulator.failNext('server_error');
    const server = await rejection(fixture.client.sdk.auth.test());
    expect((server as { code?: string }).code).toBe(ErrorCode.HTTPError);
    fixture.simulator.failNext('rate_limit');
    const started = performance.now();
    const limited = await rejection(fixture.client.sdk.auth.test());
    // Not the SDK's wait-then-fail: Retry-After is 1 s.
    expect(performance.now() - started).toBeLessThan(900);
    expect(limited).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 });
    expect(isCredentialError(limited)).toBe(false);
    expect(fixture.simulator.tally().total.requests).toBe(2);
    expect(summary(await fixture.events())).toEqual([
      ['auth.test', 'error'],
      ['auth.test', 'rate_limited'],
    ]);
  });

  it('retries maxRetries times; sdkOptions.retryConfig shapes the backoff but not the number', async () => {
    const client = await clientWith({ maxRetries: 1, sdkOptions: { retryConfig: { ...fast, retries: 9 } } });
    fixture.simulator.failNext('server_error');
    expect((await client.sdk.auth.test()).ok).toBe(true);
    fixture.simulator.failNext('server_error', { times: 2 });
    expect((await rejection(client.sdk.auth.test())) as { code?: string }).toMatchObject({
      code: ErrorCode.HTTPError,
    });
    expect(fixture.simulator.tally().total.requests).toBe(4);
    expect(summary(await fixture.events()).map(([, outcome]) => outcome)).toEqual([
      'error',
      'ok',
      'error',
      'error',
    ]);
  });

  it(`retries ${2} times by default, not the SDK's 10 over 30 minutes`, async () => {
    const client = await clientWith({ maxRetries: undefined, sdkOptions: { retryConfig: fast } });
    fixture.simulator.failNext('server_error', { times: 5 });
    await rejection(client.sdk.auth.test());
    expect(fixture.simulator.tally().total.requests).toBe(3);
  });

  it('waits Retry-After and tries again when retries are allowed', async () => {
    const client = await clientWith({ maxRetries: 1, sdkOptions: { retryConfig: fast } });
    fixture.simulator.failNext('rate_limit');
    const started = performance.now();
    expect((await client.sdk.auth.test()).ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(summary(await fixture.events())).toEqual([
      ['auth.test', 'rate_limited'],
      ['auth.test', 'ok'],
    ]);
  });

  it('does not retry a key a gateway rejects with HTTP 401', async () => {
    const gateway = await fixedServer(401, '{"error":"unauthorized"}');
    try {
      const client = await createClient('slack', keys.literal(fixture.key), {
        baseURL: gateway.url,
        ledger: false,
        sdkOptions: { retryConfig: fast },
      });
      const error = await credentialRejection(client.sdk.auth.test());
      expect(error).toMatchObject({ reason: 'unauthorized', status: 401, provider: 'slack' });
      expect(gateway.hits()).toBe(1);
    } finally {
      gateway.server.close();
    }
  });

  it('fails a closed client at once, without retrying', async () => {
    const client = await clientWith({ maxRetries: undefined });
    await client.close();
    const started = performance.now();
    const error = await rejection(client.sdk.auth.test());
    expect(KeycardError.is(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(400);
    expect(fixture.simulator.requests).toHaveLength(0);
  });

  it('ends a call that gets no answer after timeout, and checks the timeout option', async () => {
    const client = await clientWith({ timeout: 200, maxRetries: 0 });
    fixture.simulator.failNext('hang');
    const started = performance.now();
    const error = await rejection(client.sdk.auth.test());
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((error as { code?: string }).code).toBe(ErrorCode.RequestError);
    expect((error as Error).message).toContain('aborted due to timeout');
    expect((await fixture.events())[0]).toMatchObject({
      operation: 'auth.test',
      outcome: 'error',
      status: null,
    });

    expect(KeycardError.is(await rejection(clientWith({ timeout: -1 })))).toBe(true);
    // No timeout at all (the SDK would abort at once above 2^31-1 ms, and throw for Infinity).
    for (const timeout of [0, Number.POSITIVE_INFINITY, 2 ** 40]) {
      expect((await (await clientWith({ timeout })).sdk.auth.test()).ok).toBe(true);
    }
  });
});

describe('failures', () => {
  it('maps invalid_auth (HTTP 200, ok:false) to unauthorized', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await credentialRejection(
      fixture.client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' }),
    );
    expect(error).toMatchObject({
      reason: 'unauthorized',
      provider: 'slack',
      status: 200,
      source: 'literal',
      maskedId: fixture.client.maskedId,
      fingerprint: fixture.client.fingerprint,
    });
    expect(error.message).toContain('invalid_auth');
    expect(error.hint).toContain('Slack does not know this token');
    expect((error.cause as { code?: string }).code).toBe(ErrorCode.PlatformError);
    for (const text of [error.message, error.hint, error.stack ?? '', inspect(error, { depth: 10 })]) {
      expect(text.includes(fixture.key)).toBe(false);
    }
    expect(summary(await fixture.events())).toEqual([['chat.postMessage', 'unauthorized']]);
  });

  it('maps missing_scope to forbidden, naming the needed and the granted scopes', async () => {
    fixture.simulator.failNext('forbidden');
    const error = await credentialRejection(
      fixture.client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' }),
    );
    expect(error).toMatchObject({ reason: 'forbidden', status: 200 });
    expect(error.message).toContain('missing_scope');
    expect(error.hint).toContain('it needs chat:write; the token has channels:read,users:read,files:write');
    expect(summary(await fixture.events())).toEqual([['chat.postMessage', 'forbidden']]);
  });

  it('classifies every Slack key error code, and leaves the others to the SDK', () => {
    const verdict = (code: string, body: Record<string, unknown> = {}) => {
      const failure = slack.http?.failureInBody?.({ ok: false, error: code, ...body }, new Headers());
      return failure === undefined ? undefined : slack.classify(failure);
    };
    for (const code of ['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']) {
      expect(verdict(code)).toMatchObject({ outcome: 'unauthorized', reason: 'unauthorized' });
    }
    for (const code of [
      'missing_scope',
      'not_allowed_token_type',
      'ekm_access_denied',
      'no_permission',
      'team_access_not_granted',
    ]) {
      expect(verdict(code)).toMatchObject({ outcome: 'forbidden', reason: 'forbidden' });
    }
    for (const code of ['ratelimited', 'rate_limited'])
      expect(verdict(code)).toEqual({ outcome: 'rate_limited' });
    for (const code of ['channel_not_found', 'not_in_channel', 'msg_too_long', 'unknown_method']) {
      expect(verdict(code)).toEqual({ outcome: 'error' });
    }
    expect(verdict('token_expired')?.hint).toContain('oauth.v2.access');
    expect(verdict('missing_scope', { needed: 'files:write', provided: '' })?.hint).toContain(
      'it needs files:write; the token has no scopes',
    );
    expect(slack.http?.failureInBody?.({ ok: true }, new Headers())).toBeUndefined();
    expect(slack.http?.failureInBody?.(undefined, new Headers([['x-slack-req-id', 'r1']]))).toEqual({
      status: 200,
      code: 'invalid_response',
      requestId: 'r1',
    });
  });

  it('keeps the SDK’s own errors for what is not about the key; Slack has no quota_exceeded', async () => {
    const sdk = fixture.client.sdk;
    const expectations: Array<[string, () => Promise<unknown>, string]> = [
      ['no channel', () => sdk.chat.postMessage({ text: 'no channel' } as never), ErrorCode.PlatformError],
      ['server_error', () => sdk.auth.test(), ErrorCode.HTTPError],
      ['bad_json', () => sdk.auth.test(), ErrorCode.PlatformError],
      ['reset', () => sdk.auth.test(), ErrorCode.RequestError],
      ['quota', () => sdk.auth.test(), ErrorCode.RateLimitedError],
      ['rate_limit', () => sdk.auth.test(), ErrorCode.RateLimitedError],
    ];
    for (const [fault, call, code] of expectations) {
      if (fault !== 'no channel') fixture.simulator.failNext(fault as 'server_error');
      const error = await rejection(call());
      expect(isCredentialError(error), fault).toBe(false);
      expect((error as { code?: string }).code, fault).toBe(code);
    }
    expect((await fixture.events()).map((event) => event.outcome)).toEqual([
      'error',
      'error',
      'error',
      'error',
      'rate_limited',
      'rate_limited',
    ]);
  });

  it('finds missing, malformed and wrong_provider tokens before any request; SLACK_BOT_TOKEN comes first', async () => {
    vi.stubEnv('SLACK_BOT_TOKEN', undefined);
    vi.stubEnv('SLACK_TOKEN', undefined);
    expect(await rejection(createClient('slack'))).toMatchObject({ reason: 'missing', provider: 'slack' });
    vi.stubEnv('SLACK_TOKEN', fixture.key);
    const fromToken = await createClient('slack', undefined, { ledger: false });
    expect(fromToken.source).toBe('env:SLACK_BOT_TOKEN|SLACK_TOKEN');
    expect(fromToken.maskedId).toBe(fixture.client.maskedId);
    const botToken = testKey('slack', 'bot-env');
    vi.stubEnv('SLACK_BOT_TOKEN', botToken);
    const fromBotToken = await createClient('slack', undefined, { ledger: false });
    expect(fromBotToken.maskedId).not.toBe(fixture.client.maskedId);
    expect(fromBotToken.maskedId.endsWith(botToken.slice(-4))).toBe(true);
    expect(await rejection(createClient('slack', keys.literal(testKey('openai', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    const app = await credentialRejection(createClient('slack', keys.literal(testKey('slack-app', 'x'))));
    expect(app.reason).toBe('malformed');
    expect(app.hint).toContain('xoxb-');
    expect(fixture.simulator.requests).toHaveLength(0);
  });

  it('picks up a rotated token through the ok:false path and replays the call', async () => {
    const oldKey = testKey('slack', 'rotation-old');
    const newKey = testKey('slack', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-slack-')), 'token');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('slack', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      const result = await rotating.client.sdk.chat.postMessage({
        channel: 'C0GENERAL',
        text: 'after rotation',
      });
      expect(result.ok).toBe(true);
      const events = await rotating.events();
      expect(summary(events)).toEqual([
        ['chat.postMessage', 'unauthorized'],
        ['chat.postMessage', 'ok'],
      ]);
      expect(events.map((event) => event.maskedId)).toEqual([
        rotating.simulator.requests[0]?.keyMaskedId,
        rotating.simulator.requests[1]?.keyMaskedId,
      ]);
      expect(rotating.client.maskedId).toBe(rotating.simulator.requests[1]?.keyMaskedId);
      expect((await rotating.client.verify()).ok).toBe(true);

      // Revoked and not replaced: one request, then the CredentialError.
      rotating.simulator.revokeKey(newKey);
      const error = await credentialRejection(rotating.client.sdk.auth.test());
      expect(error.reason).toBe('unauthorized');
      expect(rotating.simulator.requests).toHaveLength(4);
    } finally {
      await rotating.close();
    }
  });
});

describe('verify()', () => {
  it('calls auth.test and returns team, user, bot, url and the granted scopes', async () => {
    const result = await fixture.client.verify();
    expect(result).toMatchObject({
      ok: true,
      provider: 'slack',
      maskedId: fixture.client.maskedId,
      identity: {
        team: 'Simulated Team',
        teamId: 'T0SIMULATED',
        user: 'keycard-bot',
        userId: 'U0SIMULATED',
        botId: 'B0SIMULATED',
        url: 'https://simulated.slack.com/',
        scopes: 'chat:write,channels:read,users:read,files:write',
      },
    });
    expect(summary(await fixture.events())).toEqual([['auth.test', 'ok']]);
  });

  it('tells a user token (xoxp-…) by the missing bot id', async () => {
    const user = await clientFixture('slack', { key: testKey('slack-user', 'verify') });
    try {
      const { identity } = await user.client.verify();
      expect(identity).toMatchObject({ user: 'simulated-user', userId: 'U0SIMUSER', botId: undefined });
    } finally {
      await user.close();
    }
  });

  it('rejects with unauthorized for a revoked token', async () => {
    fixture.simulator.revokeKey(fixture.key);
    expect(await credentialRejection(fixture.client.verify())).toMatchObject({ reason: 'unauthorized' });
  });
});

describe('ledger', () => {
  it('adds up to what the simulator served', async () => {
    const ledger = new MemoryLedger();
    const client = await clientWith({ ledger, maxRetries: 0 });
    await client.sdk.auth.test();
    await client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'a' });
    fixture.simulator.failNext('forbidden');
    await rejection(client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'b' }));
    const totals = await ledger.totals({ by: ['operation'] });
    const requests = Object.fromEntries(totals.map((row) => [row.operation, [row.requests, row.errors]]));
    expect(requests).toEqual({ 'auth.test': [1, 0], 'chat.postMessage': [2, 1] });
    expect(fixture.simulator.tally().total.requests).toBe(3);
  });
});
