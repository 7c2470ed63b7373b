/**
 * The Groq adapter: the real `openai` SDK with Groq's base URL, through keycard, against the Groq
 * simulator over HTTP.
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
import { normaliseModel, priceCall } from '../../src/ledger/pricing.js';
import { redactText } from '../../src/redact/redactor.js';
import { fakeKey } from '../../src/testing/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'groq'>;
beforeEach(async () => {
  fixture = await clientFixture('groq');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const messages = [{ role: 'user' as const, content: 'Summarise this ticket please.' }];
const chat = (model = 'llama-3.3-70b-versatile') =>
  fixture.client.sdk.chat.completions.create({ model, messages });

describe('groq client', () => {
  it('is the OpenAI SDK pointed at api.groq.com by default, reading GROQ_API_KEY', async () => {
    vi.stubEnv('GROQ_API_KEY', fixture.key);
    const client = await createClient('groq', undefined, { ledger: false });
    expect(client.sdk).toBeInstanceOf(OpenAI);
    expect(client.sdk.baseURL).toBe('https://api.groq.com/openai/v1');
    expect(client.source).toBe('env:GROQ_API_KEY');
    expect(client.maskedId).toBe(`gsk_****${fixture.key.slice(-4)}`);
    await client.close();
  });

  it('knows its keys: shape, detection, wrong provider, malformed, made-up keys, redaction', async () => {
    expect(detectProvider(fixture.key)).toBe('groq');
    expect(detectProvider(fakeKey('groq'))).toBe('groq');
    expect(await rejection(createClient('groq', keys.literal(testKey('openai', 'for-groq'))))).toMatchObject({
      reason: 'wrong_provider',
      provider: 'groq',
    });
    expect(await rejection(createClient('openai', keys.literal(fixture.key)))).toMatchObject({
      reason: 'wrong_provider',
      provider: 'openai',
    });
    const short = `${fixture.key.slice(0, 20)}`;
    const malformed = await rejection(createClient('groq', keys.literal(short)));
    expect(malformed).toMatchObject({ reason: 'malformed' });
    expect(String((malformed as Error).message)).not.toContain(short);
    const line = `calling groq with Authorization: Bearer ${fixture.key} and key=${fixture.key}`;
    const redacted = redactText(line);
    expect(redacted).not.toContain(fixture.key.slice(8));
    expect(redacted).toContain('gsk_****');
  });

  it('records chat usage, plain and streamed, equal to what the simulator served, priced by genai-prices', async () => {
    const completion = await chat();
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'openai/gpt-oss-120b',
      messages,
      stream: true,
    });
    let chunks = 0;
    for await (const chunk of stream) {
      // keycard asked for usage; the extra usage-only chunk is not handed to the caller.
      expect(chunk.choices.length).toBeGreaterThan(0);
      chunks += 1;
    }
    expect(chunks).toBeGreaterThan(0);
    const [plain, streamed] = await fixture.events();
    expect(plain).toMatchObject({
      provider: 'groq',
      operation: 'chat.completions',
      model: 'llama-3.3-70b-versatile',
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      pricing: expect.stringMatching(/^genai-prices/),
    });
    expect(plain?.costUsd).toBeGreaterThan(0);
    // Groq's model ids carry the vendor: `openai/gpt-oss-120b` is priced under that id.
    expect(streamed).toMatchObject({
      provider: 'groq',
      model: 'openai/gpt-oss-120b',
      stream: true,
      outcome: 'ok',
    });
    expect(streamed?.costUsd).toBeGreaterThan(0);
    const [totals] = await fixture.ledger.totals();
    expect(totals?.inputTokens).toBe(fixture.simulator.tally().total.inputTokens);
    expect(totals?.outputTokens).toBe(fixture.simulator.tally().total.outputTokens);
  });

  it('prices Groq models under their own ids (the vendor prefix is kept)', async () => {
    expect(normaliseModel('openai/gpt-oss-120b', 'groq')).toBe('openai/gpt-oss-120b');
    expect(normaliseModel('openai/gpt-4o', 'openai')).toBe('gpt-4o');
    const priced = await priceCall({
      provider: 'groq',
      model: 'llama-3.1-8b-instant',
      inputTokens: 1_000_000,
      outputTokens: 0,
      cachedInputTokens: null,
      cacheWriteTokens: null,
      reasoningTokens: null,
      outcome: 'ok',
      time: new Date(),
    });
    expect(priced.costUsd).toBeGreaterThan(0);
  });

  it('verifies through GET /models', async () => {
    const result = await fixture.client.verify();
    expect(result).toMatchObject({ ok: true, provider: 'groq', identity: { models: 4 } });
    expect(result.identity?.['organization']).toBeUndefined();
  });

  it('maps a bad key (401) to unauthorized, with Groq’s key page, and verify says so', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(chat());
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'groq', status: 401 });
    expect((error as CredentialError).hint).toContain('https://console.groq.com/keys');
    await expect(fixture.client.verify()).rejects.toSatisfy(
      (failure: unknown) => isCredentialError(failure) && failure.reason === 'unauthorized',
    );
  });

  it('maps a spend limit reached (400 blocked_api_access) to quota_exceeded, and a 403 to forbidden', async () => {
    fixture.simulator.failNext('quota');
    const quota = await rejection(chat());
    expect(quota).toMatchObject({ reason: 'quota_exceeded', status: 400 });
    expect((quota as CredentialError).hint).toContain('spend limit');
    fixture.simulator.failNext('forbidden');
    expect(await rejection(chat())).toMatchObject({ reason: 'forbidden', status: 403 });
    const outcomes = (await fixture.events()).map((event) => event.outcome);
    expect(outcomes).toEqual(['quota_exceeded', 'forbidden']);
  });

  it('keeps the SDK RateLimitError for a rate limit, and the SDK error for a 5xx', async () => {
    fixture.simulator.failNext('rate_limit');
    const limited = await rejection(chat());
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(isCredentialError(limited)).toBe(false);
    fixture.simulator.failNext('server_error');
    const broken = await rejection(chat());
    expect(broken).toBeInstanceOf(OpenAI.InternalServerError);
    expect(isCredentialError(broken)).toBe(false);
  });

  it('picks up a rotated key after a 401 and replays the call', async () => {
    const oldKey = testKey('groq', 'rotation-old');
    const newKey = testKey('groq', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-groq-')), 'key');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('groq', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      const completion = await rotating.client.sdk.chat.completions.create({
        model: 'llama-3.1-8b-instant',
        messages,
      });
      expect(completion.object).toBe('chat.completion');
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
      expect(rotating.client.maskedId).toBe(`gsk_****${newKey.slice(-4)}`);
    } finally {
      await rotating.close();
    }
  });
});
