/**
 * The Mistral AI adapter: the real `openai` SDK with Mistral's base URL, through keycard, against
 * the Mistral simulator over HTTP (flat error bodies, usage in a stream's last chunk,
 * `stream_options` refused).
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { detectProvider } from '../../src/keys/shapes.js';
import { normaliseModel } from '../../src/ledger/pricing.js';
import { mistral } from '../../src/providers/mistral.js';
import { openai } from '../../src/providers/openai.js';
import { redactText } from '../../src/redact/redactor.js';
import { fakeKey } from '../../src/testing/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { randomString, seededRandom, testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'mistral'>;
beforeEach(async () => {
  fixture = await clientFixture('mistral');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const MODEL = 'mistral-small-latest';
const messages = [{ role: 'user' as const, content: 'Route this ticket please.' }];
const chat = () => fixture.client.sdk.chat.completions.create({ model: MODEL, messages });

describe('mistral client', () => {
  it('is the OpenAI SDK pointed at api.mistral.ai by default, reading MISTRAL_API_KEY', async () => {
    vi.stubEnv('MISTRAL_API_KEY', fixture.key);
    const client = await createClient('mistral', undefined, { ledger: false });
    expect(client.sdk).toBeInstanceOf(OpenAI);
    expect(client.sdk.baseURL).toBe('https://api.mistral.ai/v1');
    expect(client.source).toBe('env:MISTRAL_API_KEY');
    expect(client.maskedId).toBe(`****${fixture.key.slice(-4)}`);
    await client.close();
  });

  it('accepts 32 letters and digits, never detects them by shape, and tells other providers’ keys apart', async () => {
    expect(fixture.key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(detectProvider(fixture.key)).toBeUndefined();
    expect(detectProvider(fakeKey('mistral'))).toBeUndefined();
    const made = await createClient('mistral', keys.literal(fakeKey('mistral')), { ledger: false });
    await made.close();
    // Other providers' keys in a Mistral client: named, with the right client to use.
    for (const other of ['groq', 'together', 'openai', 'anthropic'] as const) {
      const error = await rejection(createClient('mistral', keys.literal(testKey(other, 'for-mistral'))));
      expect(error, other).toMatchObject({ reason: 'wrong_provider', provider: 'mistral' });
      expect((error as CredentialError).hint).toContain(`createClient('${other}'`);
    }
    // A Mistral key in other clients is no key of theirs (and not taken for anyone's).
    for (const other of ['openai', 'deepseek', 'together', 'groq'] as const) {
      expect(await rejection(createClient(other, keys.literal(fixture.key))), other).toMatchObject({
        reason: 'malformed',
      });
    }
    // Together's older keys (64 hex digits) and cut-off or padded values are not Mistral keys.
    const hex64 = randomString(seededRandom(3), 64, '0123456789abcdef');
    for (const value of [hex64, fixture.key.slice(0, 20), `${fixture.key}x`]) {
      const malformed = await rejection(createClient('mistral', keys.literal(value)));
      expect(malformed).toMatchObject({ reason: 'malformed' });
      expect(String((malformed as Error).message)).not.toContain(value);
      expect((malformed as CredentialError).hint).toContain('https://console.mistral.ai/api-keys');
    }
  });

  it('redacts a key it read anywhere, and a key it never saw where its variable names it', async () => {
    expect(redactText(`calling with ${fixture.key}`)).toBe(
      `calling with [REDACTED mistral ****${fixture.key.slice(-4)}]`,
    );
    const unseen = testKey('mistral', 'never-read');
    const tail = unseen.slice(-4);
    expect(redactText(`MISTRAL_API_KEY=${unseen}`)).toBe(`MISTRAL_API_KEY=[REDACTED mistral ****${tail}]`);
    expect(redactText(`{"MISTRAL_API_KEY": "${unseen}"}`)).toBe(
      `{"MISTRAL_API_KEY": "[REDACTED mistral ****${tail}]"}`,
    );
    expect(redactText(`mistral_api_key: ${unseen}`)).toBe(`mistral_api_key: [REDACTED mistral ****${tail}]`);
    expect(redactText(`Authorization: Bearer ${unseen}`)).not.toContain(unseen);
    // Bare, 32 letters and digits are not taken for a key: ids and hashes stay readable.
    expect(redactText(`request ${unseen} done`)).toBe(`request ${unseen} done`);
  });

  it('records usage, plain and streamed (usage from the last chunk, no stream_options sent), equal to what the simulator served', async () => {
    const completion = await chat();
    const stream = await fixture.client.sdk.chat.completions.create({ model: MODEL, messages, stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    // The stream as Mistral sends it: every chunk has a choice, the last one also the usage.
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    const [plain, streamed] = await fixture.events();
    expect(plain).toMatchObject({
      provider: 'mistral',
      operation: 'chat.completions',
      model: MODEL,
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      pricing: expect.stringMatching(/^genai-prices/),
    });
    expect(plain?.costUsd).toBeGreaterThan(0);
    expect(streamed).toMatchObject({
      provider: 'mistral',
      stream: true,
      outcome: 'ok',
      outputTokens: chunks.at(-1)?.usage?.completion_tokens,
    });
    expect(streamed?.costUsd).toBeGreaterThan(0);
    const [totals] = await fixture.ledger.totals();
    expect(totals?.inputTokens).toBe(fixture.simulator.tally().total.inputTokens);
    expect(totals?.outputTokens).toBe(fixture.simulator.tally().total.outputTokens);
    expect(normaliseModel('codestral-latest', 'mistral')).toBe('codestral-latest');
  });

  it('leaves a caller’s own stream_options alone: Mistral refuses it (422), not a key problem', async () => {
    const refused = await rejection(
      fixture.client.sdk.chat.completions.create({
        model: MODEL,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(refused).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(isCredentialError(refused)).toBe(false);
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['error']);
  });

  it('verifies through GET /models', async () => {
    const result = await fixture.client.verify();
    expect(result).toMatchObject({ ok: true, provider: 'mistral', identity: { models: 4 } });
  });

  it('maps a bad key (401, a body without OpenAI’s envelope) to unauthorized, with Mistral’s key page', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(chat());
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'mistral', status: 401 });
    expect((error as CredentialError).hint).toContain('https://console.mistral.ai/api-keys');
    // The SDK got Mistral's words, not "401 status code (no body)", and the body's request id.
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ message: 'Unauthorized' });
    expect((error as CredentialError).requestId).toMatch(/\w{8,}/);
    await expect(fixture.client.verify()).rejects.toSatisfy(
      (failure: unknown) => isCredentialError(failure) && failure.reason === 'unauthorized',
    );
  });

  it('maps 402 to quota_exceeded with the billing page, and a 403 to forbidden', async () => {
    fixture.simulator.failNext('quota');
    const quota = await rejection(chat());
    expect(quota).toMatchObject({ reason: 'quota_exceeded', provider: 'mistral', status: 402 });
    expect((quota as CredentialError).hint).toContain('https://admin.mistral.ai');
    fixture.simulator.failNext('forbidden');
    expect(await rejection(chat())).toMatchObject({ reason: 'forbidden', status: 403 });
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['quota_exceeded', 'forbidden']);
  });

  it('maps a 429 that speaks of the monthly limit to quota_exceeded; any other 429 stays a rate limit', async () => {
    // Mistral's wording for a limit reached with a 429 is not documented: one as reported.
    const monthly = JSON.stringify({
      object: 'error',
      message: 'You have reached your monthly usage limit for the API. Raise it in the Admin Console.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    const limitReached: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (response.status !== 429) return response;
      return new Response(monthly, { status: 429, headers: { 'content-type': 'application/json' } });
    };
    const limited = await clientFixture('mistral', { client: { fetch: limitReached } });
    try {
      limited.simulator.failNext('rate_limit');
      const quota = await rejection(limited.client.sdk.chat.completions.create({ model: MODEL, messages }));
      expect(quota).toBeInstanceOf(OpenAI.RateLimitError);
      expect(quota).toMatchObject({ reason: 'quota_exceeded', status: 429 });
      expect((await limited.events()).map((event) => event.outcome)).toEqual(['quota_exceeded']);
    } finally {
      await limited.close();
    }
    fixture.simulator.failNext('rate_limit');
    const rate = await rejection(chat());
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect(isCredentialError(rate)).toBe(false);
    expect(rate).toMatchObject({ code: '1300', type: 'rate_limited' });
    expect((rate as Error).message).toContain('Rate limit exceeded');
    fixture.simulator.failNext('server_error');
    const broken = await rejection(chat());
    expect(broken).toBeInstanceOf(OpenAI.InternalServerError);
    expect(isCredentialError(broken)).toBe(false);
  });

  it('reads failures in both envelopes: OpenAI’s, and Mistral’s flat one (with a message, a detail, or an object)', () => {
    const read = (adapter: typeof mistral, status: number, body: unknown) =>
      adapter.http?.failureFromResponse(status, body, new Headers());
    expect(
      read(openai, 429, {
        error: { message: 'Quota', type: 'insufficient_quota', code: 'insufficient_quota' },
      }),
    ).toMatchObject({
      status: 429,
      message: 'Quota',
      type: 'insufficient_quota',
      code: 'insufficient_quota',
    });
    expect(
      read(mistral, 429, {
        object: 'error',
        message: 'Rate limit exceeded',
        type: 'rate_limited',
        param: null,
        code: '1300',
      }),
    ).toMatchObject({ status: 429, message: 'Rate limit exceeded', type: 'rate_limited', code: '1300' });
    expect(read(mistral, 401, { message: 'Unauthorized', request_id: 'abc123' })).toMatchObject({
      message: 'Unauthorized',
      requestId: 'abc123',
    });
    expect(read(mistral, 401, { detail: 'Unauthorized' })).toMatchObject({ message: 'Unauthorized' });
    const validation = read(mistral, 422, {
      object: 'error',
      message: { detail: [] },
      type: 'invalid_request_error',
    });
    expect(validation).toMatchObject({ status: 422, type: 'invalid_request_error', message: undefined });
    const verdict = (status: number, message: string) => mistral.classify({ status, message }).outcome;
    expect(verdict(429, 'Rate limit exceeded')).toBe('rate_limited');
    expect(verdict(429, 'Service tier capacity exceeded for this model.')).toBe('rate_limited');
    expect(verdict(429, 'You exceeded your monthly spending limit')).toBe('quota_exceeded');
    expect(verdict(402, '')).toBe('quota_exceeded');
    expect(verdict(422, '')).toBe('error');
  });

  it('picks up a rotated key after a 401 and replays the call', async () => {
    const oldKey = testKey('mistral', 'rotation-old');
    const newKey = testKey('mistral', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-mistral-')), 'key');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('mistral', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      const completion = await rotating.client.sdk.chat.completions.create({ model: MODEL, messages });
      expect(completion.object).toBe('chat.completion');
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
      expect(rotating.client.maskedId).toBe(`****${newKey.slice(-4)}`);
    } finally {
      await rotating.close();
    }
  });
});
