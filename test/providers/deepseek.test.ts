/**
 * The DeepSeek adapter: the real `openai` SDK with DeepSeek's base URL, through keycard, against
 * the DeepSeek simulator over HTTP.
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
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'deepseek'>;
beforeEach(async () => {
  fixture = await clientFixture('deepseek');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const messages = [{ role: 'user' as const, content: 'Translate this ticket please.' }];
const chat = (model = 'deepseek-chat') => fixture.client.sdk.chat.completions.create({ model, messages });

describe('deepseek client', () => {
  it('is the OpenAI SDK pointed at api.deepseek.com by default, reading DEEPSEEK_API_KEY', async () => {
    vi.stubEnv('DEEPSEEK_API_KEY', fixture.key);
    const client = await createClient('deepseek', undefined, { ledger: false });
    expect(client.sdk).toBeInstanceOf(OpenAI);
    expect(client.sdk.baseURL).toBe('https://api.deepseek.com');
    expect(client.source).toBe('env:DEEPSEEK_API_KEY');
    expect(client.maskedId).toBe(`sk-****${fixture.key.slice(-4)}`);
    await client.close();
  });

  it('takes plain sk- keys, which nothing tells from other vendors’ (never detected by shape)', async () => {
    expect(detectProvider(fixture.key)).toBeUndefined();
    // An OpenAI key is recognisably OpenAI's.
    expect(await rejection(createClient('deepseek', keys.literal(testKey('openai', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    const cut = await rejection(createClient('deepseek', keys.literal(fixture.key.slice(0, 20))));
    expect(cut).toMatchObject({ reason: 'malformed' });
    expect((cut as CredentialError).hint).toContain('https://platform.deepseek.com/api_keys');
    expect((cut as Error).message).toContain('right prefix');
  });

  it('records usage, plain and streamed, equal to what the simulator served, priced by genai-prices', async () => {
    const completion = await chat();
    for await (const _chunk of await fixture.client.sdk.chat.completions.create({
      model: 'deepseek-reasoner',
      messages,
      stream: true,
    })) {
      // drain
    }
    const [plain, streamed] = await fixture.events();
    expect(plain).toMatchObject({
      provider: 'deepseek',
      operation: 'chat.completions',
      model: 'deepseek-chat',
      inputTokens: completion.usage?.prompt_tokens,
      pricing: expect.stringMatching(/^genai-prices/),
    });
    expect(plain?.costUsd).toBeGreaterThan(0);
    expect(streamed).toMatchObject({
      provider: 'deepseek',
      model: 'deepseek-reasoner',
      stream: true,
      outcome: 'ok',
    });
    const [totals] = await fixture.ledger.totals();
    expect(totals?.inputTokens).toBe(fixture.simulator.tally().total.inputTokens);
    expect(totals?.outputTokens).toBe(fixture.simulator.tally().total.outputTokens);
  });

  it('verifies through GET /user/balance: whether the balance can be used, and how much', async () => {
    const result = await fixture.client.verify();
    expect(result).toMatchObject({
      ok: true,
      provider: 'deepseek',
      identity: { balanceAvailable: true, balance: '12.50 USD' },
    });
  });

  it('maps a bad key (401) to unauthorized and no balance (402) to quota_exceeded, with the pages to act on', async () => {
    fixture.simulator.failNext('quota');
    const quota = await rejection(chat());
    expect(quota).toMatchObject({ reason: 'quota_exceeded', provider: 'deepseek', status: 402 });
    expect((quota as CredentialError).hint).toContain('https://platform.deepseek.com/top_up');
    fixture.simulator.revokeKey(fixture.key);
    const bad = await rejection(chat());
    expect(bad).toMatchObject({ reason: 'unauthorized', status: 401 });
    expect((bad as Error).message).not.toContain(fixture.key.slice(3, 20));
    await expect(fixture.client.verify()).rejects.toSatisfy(
      (failure: unknown) => isCredentialError(failure) && failure.reason === 'unauthorized',
    );
  });

  it('keeps the SDK errors for a rate limit and a 5xx', async () => {
    fixture.simulator.failNext('rate_limit');
    expect(await rejection(chat())).toBeInstanceOf(OpenAI.RateLimitError);
    fixture.simulator.failNext('server_error');
    const broken = await rejection(chat());
    expect(broken).toBeInstanceOf(OpenAI.InternalServerError);
    expect(isCredentialError(broken)).toBe(false);
  });

  it('picks up a rotated key after a 401 and replays the call', async () => {
    const oldKey = testKey('deepseek', 'rotation-old');
    const newKey = testKey('deepseek', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-deepseek-')), 'key');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('deepseek', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      await rotating.client.sdk.chat.completions.create({ model: 'deepseek-chat', messages });
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
    } finally {
      await rotating.close();
    }
  });
});
