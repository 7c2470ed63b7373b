/**
 * The xAI adapter: the real `openai` SDK with xAI's base URL, through keycard, against the xAI
 * simulator over HTTP.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'xai'>;
beforeEach(async () => {
  fixture = await clientFixture('xai');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const messages = [{ role: 'user' as const, content: 'Classify this support ticket please.' }];

describe('xai client', () => {
  it('is the OpenAI SDK pointed at api.x.ai by default, reading XAI_API_KEY', async () => {
    vi.stubEnv('XAI_API_KEY', fixture.key);
    const client = await createClient('xai', undefined, { ledger: false });
    expect(client.sdk).toBeInstanceOf(OpenAI);
    expect(client.sdk.baseURL).toBe('https://api.x.ai/v1');
    expect(client.source).toBe('env:XAI_API_KEY');
    expect(client.maskedId).toBe(`xai-****${fixture.key.slice(-4)}`);
  });

  it('refuses an OpenAI key as wrong_provider and a plain sk- key as malformed', async () => {
    const openaiKey = testKey('openai', 'for-xai');
    expect(await rejection(createClient('xai', keys.literal(openaiKey)))).toMatchObject({
      reason: 'wrong_provider',
      provider: 'xai',
    });
    expect(
      await rejection(createClient('xai', keys.literal(testKey('openai-compatible', 'x')))),
    ).toMatchObject({
      reason: 'malformed',
    });
  });

  it('records chat usage like OpenAI, equal to what the simulator served', async () => {
    const completion = await fixture.client.sdk.chat.completions.create({ model: 'grok-4', messages });
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'grok-4',
      messages,
      stream: true,
    });
    for await (const _chunk of stream) {
      // drain
    }
    const [plain, streamed] = await fixture.events();
    expect(plain).toMatchObject({
      provider: 'xai',
      operation: 'chat.completions',
      model: 'grok-4',
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
    });
    expect(streamed).toMatchObject({ provider: 'xai', stream: true, outcome: 'ok' });
    const [totals] = await fixture.ledger.totals();
    expect(totals?.inputTokens).toBe(fixture.simulator.tally().total.inputTokens);
    expect(totals?.outputTokens).toBe(fixture.simulator.tally().total.outputTokens);
  });

  it('verifies through GET /api-key and returns the key name and team', async () => {
    const result = await fixture.client.verify();
    expect(result).toMatchObject({
      ok: true,
      provider: 'xai',
      identity: { name: 'keycard simulator key', team: 'team-simulated', blocked: false },
    });
    const [event] = await fixture.events();
    expect(event?.operation).toBe('api-key.list');
  });

  it('maps a bad key (xAI answers 400) to unauthorized', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(fixture.client.sdk.chat.completions.create({ model: 'grok-4', messages }));
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'xai', status: 400 });
    expect((error as CredentialError).hint).toContain('https://console.x.ai');
    await expect(fixture.client.verify()).rejects.toSatisfy(
      (failure: unknown) => isCredentialError(failure) && failure.reason === 'unauthorized',
    );
  });

  it('maps an exhausted credit balance (403) to quota_exceeded and other 403s to forbidden', async () => {
    fixture.simulator.failNext('quota');
    expect(
      await rejection(fixture.client.sdk.chat.completions.create({ model: 'grok-4', messages })),
    ).toMatchObject({
      reason: 'quota_exceeded',
      status: 403,
    });
    fixture.simulator.failNext('forbidden');
    expect(
      await rejection(fixture.client.sdk.chat.completions.create({ model: 'grok-4', messages })),
    ).toMatchObject({
      reason: 'forbidden',
      status: 403,
    });
    const outcomes = (await fixture.events()).map((event) => event.outcome);
    expect(outcomes).toEqual(['quota_exceeded', 'forbidden']);
  });

  it('keeps the SDK RateLimitError for a rate limit', async () => {
    fixture.simulator.failNext('rate_limit');
    const error = await rejection(fixture.client.sdk.chat.completions.create({ model: 'grok-4', messages }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(isCredentialError(error)).toBe(false);
  });
});
