/**
 * The Anthropic adapter, end to end: the real `@anthropic-ai/sdk` through keycard against the
 * simulator over HTTP.
 */
import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { startSimulator } from '../../src/testing/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'anthropic'>;
beforeEach(async () => {
  fixture = await clientFixture('anthropic');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const model = 'claude-haiku-4-5';
const request = {
  model,
  max_tokens: 512,
  system: 'You triage support tickets carefully. '.repeat(12),
  messages: [{ role: 'user' as const, content: 'Classify: the printer is on fire.' }],
};

describe('usage', () => {
  it('records a message with input, cache and output tokens, equal to what was served', async () => {
    const message = await fixture.client.sdk.messages.create(request);
    const [event] = await fixture.events();
    const usage = message.usage;
    expect(event).toMatchObject({
      provider: 'anthropic',
      operation: 'messages',
      model,
      inputTokens:
        usage.input_tokens + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0),
      cachedInputTokens: usage.cache_read_input_tokens,
      cacheWriteTokens: usage.cache_creation_input_tokens,
      outputTokens: usage.output_tokens,
      outcome: 'ok',
      status: 200,
    });
    expect(event?.cachedInputTokens).toBeGreaterThan(0);
    expect(fixture.simulator.tally().total).toMatchObject({
      inputTokens: event?.inputTokens,
      outputTokens: event?.outputTokens,
    });
  });

  it('records cache writes, then cache reads, with cache_control', async () => {
    const cached = {
      ...request,
      system: [
        { type: 'text' as const, text: request.system, cache_control: { type: 'ephemeral' as const } },
      ],
    };
    await fixture.client.sdk.messages.create(cached);
    await fixture.client.sdk.messages.create({
      ...cached,
      messages: [
        ...request.messages,
        { role: 'assistant', content: 'Urgent.' },
        { role: 'user', content: 'Why?' },
      ],
    });
    const [first, second] = await fixture.events();
    expect(first?.cacheWriteTokens).toBeGreaterThan(0);
    expect(first?.cachedInputTokens).toBe(0);
    expect(second?.cachedInputTokens).toBeGreaterThan(0);
    expect(second?.cacheWriteTokens).toBe(0);
  });

  it('records a raw stream from message_start and message_delta', async () => {
    let text = '';
    for await (const event of await fixture.client.sdk.messages.create({ ...request, stream: true })) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toMatch(/^Simulated reply/);
    const [event] = await fixture.events();
    const served = fixture.simulator.tally().total;
    expect(event).toMatchObject({
      stream: true,
      outcome: 'ok',
      inputTokens: served.inputTokens,
      outputTokens: served.outputTokens,
    });
    expect(event?.outputTokens).toBeGreaterThan(1);
  });

  it('meters the messages.stream() helper', async () => {
    const final = await fixture.client.sdk.messages.stream(request).finalMessage();
    const [event] = await fixture.events();
    expect(event?.outputTokens).toBe(final.usage.output_tokens);
  });

  it('records counting tokens and listing models without tokens', async () => {
    const counted = await fixture.client.sdk.messages.countTokens({ model, messages: request.messages });
    expect(counted.input_tokens).toBeGreaterThan(0);
    await fixture.client.sdk.models.list();
    const events = await fixture.events();
    expect(events.map((event) => [event.operation, event.inputTokens])).toEqual([
      ['messages.count_tokens', null],
      ['models.list', null],
    ]);
  });

  it('makes the ledger totals equal what the simulator served', async () => {
    await fixture.client.sdk.messages.create(request);
    for await (const _event of await fixture.client.sdk.messages.create({ ...request, stream: true })) {
      // drain
    }
    await fixture.client.sdk.messages.stream(request).finalMessage();
    fixture.simulator.failNext('forbidden');
    await rejection(fixture.client.sdk.messages.create(request));
    const [totals] = await fixture.ledger.totals();
    const served = fixture.simulator.tally().total;
    expect(totals).toMatchObject({
      requests: served.requests,
      inputTokens: served.inputTokens,
      cachedInputTokens: served.cachedInputTokens,
      outputTokens: served.outputTokens,
      errors: 1,
    });
  });
});

describe('failures', () => {
  it('maps 401 authentication_error to unauthorized', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(fixture.client.sdk.messages.create(request));
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'anthropic', status: 401 });
    expect((error as CredentialError).requestId).toMatch(/^req_/);
    expect((error as CredentialError).cause).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as CredentialError).hint).toContain('console.anthropic.com');
  });

  it('maps 403 permission_error to forbidden', async () => {
    fixture.simulator.failNext('forbidden');
    expect(await rejection(fixture.client.sdk.messages.create(request))).toMatchObject({
      reason: 'forbidden',
      status: 403,
    });
  });

  it('maps the credit-balance 400 to quota_exceeded', async () => {
    fixture.simulator.failNext('quota');
    const error = await rejection(fixture.client.sdk.messages.create(request));
    expect(error).toMatchObject({ reason: 'quota_exceeded', status: 400 });
    expect((error as CredentialError).cause).toBeInstanceOf(Anthropic.BadRequestError);
    expect((await fixture.events())[0]?.outcome).toBe('quota_exceeded');
  });

  it('keeps the SDK errors for a rate limit and a server error', async () => {
    fixture.simulator.failNext('rate_limit');
    const limited = await rejection(fixture.client.sdk.messages.create(request));
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(isCredentialError(limited)).toBe(false);
    fixture.simulator.failNext('server_error');
    expect(await rejection(fixture.client.sdk.messages.create(request))).toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['rate_limited', 'error']);
  });

  it('finds missing, malformed and wrong_provider keys before any request', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', undefined);
    expect(await rejection(createClient('anthropic'))).toMatchObject({
      reason: 'missing',
      source: 'env:ANTHROPIC_API_KEY',
    });
    expect(await rejection(createClient('anthropic', keys.literal(testKey('openai', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    expect(await rejection(createClient('anthropic', keys.literal('sk-ant-api03-short')))).toMatchObject({
      reason: 'malformed',
    });
  });
});

describe('verify()', () => {
  it('lists models and names the organisation', async () => {
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'anthropic',
      identity: { organization: 'org-simulated-anthropic', models: 3 },
    });
  });

  it('rejects with unauthorized for a revoked key', async () => {
    fixture.simulator.revokeKey(fixture.key);
    await expect(fixture.client.verify()).rejects.toSatisfy(
      (error: unknown) => isCredentialError(error) && error.reason === 'unauthorized',
    );
  });
});

describe('isolation', () => {
  it('ignores ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY and ANTHROPIC_CUSTOM_HEADERS', async () => {
    const decoy = await startSimulator({ keys: [] });
    vi.stubEnv('ANTHROPIC_BASE_URL', decoy.baseURL('anthropic'));
    vi.stubEnv('ANTHROPIC_API_KEY', testKey('anthropic', 'env-decoy'));
    vi.stubEnv('ANTHROPIC_CUSTOM_HEADERS', 'X-Injected: yes');
    const isolated = await clientFixture('anthropic', { key: testKey('anthropic', 'isolated') });
    try {
      await isolated.client.sdk.messages.create(request);
      const [sent] = isolated.simulator.requests;
      expect(sent?.keyAccepted).toBe(true);
      expect(sent?.headers['x-injected']).toBeUndefined();
      expect(decoy.requests).toHaveLength(0);
    } finally {
      await isolated.close();
      await decoy.close();
    }
  });

  it('shows no key in util.inspect or JSON of the client and the SDK', async () => {
    await fixture.client.sdk.messages.create(request);
    for (const output of [
      inspect(fixture.client, { depth: 20, showHidden: true }),
      inspect(fixture.client.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(fixture.client),
      JSON.stringify(fixture.client.sdk),
    ]) {
      expect(output.includes(fixture.key)).toBe(false);
    }
  });

  it('is accepted by the simulator with x-api-key (older SDKs) as with Bearer', async () => {
    const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
    const body = JSON.stringify({ model, max_tokens: 16, messages: request.messages });
    const url = `${fixture.simulator.baseURL('anthropic')}/v1/messages`;
    const viaHeader = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'x-api-key': fixture.key },
      body,
    });
    const viaBearer = await fetch(url, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${fixture.key}` },
      body,
    });
    expect([viaHeader.status, viaBearer.status]).toEqual([200, 200]);
  });
});
