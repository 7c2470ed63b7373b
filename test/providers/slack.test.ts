/**
 * The Slack adapter, end to end: the real `@slack/web-api` WebClient through keycard against the
 * simulator over HTTP.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ErrorCode, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'slack'>;
beforeEach(async () => {
  fixture = await clientFixture('slack');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

describe('calls', () => {
  it('records one request per method call, named after the method, without tokens', async () => {
    const posted = await fixture.client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'hello' });
    expect(posted.ok).toBe(true);
    await fixture.client.sdk.conversations.list();
    const events = await fixture.events();
    expect(
      events.map((event) => [event.provider, event.operation, event.outcome, event.inputTokens]),
    ).toEqual([
      ['slack', 'chat.postMessage', 'ok', null],
      ['slack', 'conversations.list', 'ok', null],
    ]);
    expect(fixture.simulator.tally().total.requests).toBe(2);
  });

  it('sends the key as a Bearer header and never stores it on the client', async () => {
    expect(fixture.client.sdk).toBeInstanceOf(WebClient);
    expect(fixture.client.sdk.token).toBeUndefined();
    await fixture.client.sdk.auth.test();
    expect(fixture.simulator.requests[0]?.keyAccepted).toBe(true);
    for (const output of [
      inspect(fixture.client, { depth: 20, showHidden: true }),
      inspect(fixture.client.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(fixture.client),
      JSON.stringify(fixture.client.sdk),
    ]) {
      expect(output.includes(fixture.key)).toBe(false);
    }
  });

  it('leaves the caller’s headers object untouched', async () => {
    const headers = { 'x-team': 'ops' };
    const client = await createClient('slack', keys.literal(fixture.key), {
      baseURL: fixture.simulator.baseURL('slack'),
      ledger: false,
      sdkOptions: { headers },
    });
    await client.sdk.auth.test();
    expect(headers).toEqual({ 'x-team': 'ops' });
    expect(fixture.simulator.requests.at(-1)?.headers['x-team']).toBe('ops');
  });

  it('does not send the key to an absolute URL given to apiCall', async () => {
    const elsewhere = await clientFixture('slack', { key: testKey('slack', 'elsewhere') });
    try {
      await rejection(fixture.client.sdk.apiCall(`${elsewhere.simulator.baseURL('slack')}auth.test`));
      expect(elsewhere.simulator.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('replaces a per-call token with the client key', async () => {
    await fixture.client.sdk.chat.postMessage({
      channel: 'C0GENERAL',
      text: 'x',
      token: testKey('slack', 'per-call'),
    });
    const [sent] = fixture.simulator.requests;
    expect(sent?.keyAccepted).toBe(true);
  });
});

describe('failures', () => {
  it('maps invalid_auth (HTTP 200, ok:false) to unauthorized', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(fixture.client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' }));
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'slack', status: 200 });
    expect((error as CredentialError).message).toContain('invalid_auth');
    expect(((error as CredentialError).cause as { code?: string }).code).toBe(ErrorCode.PlatformError);
    expect((await fixture.events())[0]?.outcome).toBe('unauthorized');
  });

  it('maps missing_scope to forbidden, naming the needed and granted scopes', async () => {
    fixture.simulator.failNext('forbidden');
    const error = await rejection(fixture.client.sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' }));
    expect(error).toMatchObject({ reason: 'forbidden' });
    expect((error as CredentialError).hint).toContain('needs chat:write.customize; the token has chat:write');
  });

  it('keeps the SDK error for a channel that does not exist, a rate limit and a server error', async () => {
    const missing = await rejection(fixture.client.sdk.chat.postMessage({ text: 'no channel' } as never));
    expect(isCredentialError(missing)).toBe(false);
    const limited = await createClient('slack', keys.literal(fixture.key), {
      baseURL: fixture.simulator.baseURL('slack'),
      maxRetries: 0,
      ledger: fixture.ledger,
      sdkOptions: { rejectRateLimitedCalls: true },
    });
    fixture.simulator.failNext('rate_limit');
    const rateLimited = await rejection(limited.sdk.auth.test());
    expect((rateLimited as { code?: string }).code).toBe(ErrorCode.RateLimitedError);
    fixture.simulator.failNext('server_error');
    const server = await rejection(fixture.client.sdk.auth.test());
    expect((server as { code?: string }).code).toBe(ErrorCode.HTTPError);
    expect((await fixture.events()).map((event) => event.outcome)).toEqual([
      'error',
      'rate_limited',
      'error',
    ]);
  });

  it('finds missing, malformed and wrong_provider tokens before any request', async () => {
    vi.stubEnv('SLACK_BOT_TOKEN', undefined);
    vi.stubEnv('SLACK_TOKEN', undefined);
    expect(await rejection(createClient('slack'))).toMatchObject({ reason: 'missing' });
    vi.stubEnv('SLACK_TOKEN', fixture.key);
    expect((await createClient('slack', undefined, { ledger: false })).maskedId).toBe(
      fixture.client.maskedId,
    );
    expect(await rejection(createClient('slack', keys.literal(testKey('openai', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    expect(await rejection(createClient('slack', keys.literal(testKey('slack-app', 'x'))))).toMatchObject({
      reason: 'malformed',
    });
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
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
    } finally {
      await rotating.close();
    }
  });
});

describe('verify()', () => {
  it('calls auth.test and returns team, user, bot and scopes', async () => {
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'slack',
      identity: {
        team: 'Simulated Team',
        teamId: 'T0SIMULATED',
        user: 'keycard-bot',
        botId: 'B0SIMULATED',
        scopes: 'chat:write,channels:read,users:read',
      },
    });
  });
});
