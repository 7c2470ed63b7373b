/**
 * The Together AI adapter: the real `openai` SDK with Together's base URL, through keycard,
 * against the Together simulator over HTTP.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { detectProvider } from '../../src/keys/shapes.js';
import { redactText } from '../../src/redact/redactor.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { randomString, seededRandom, testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'together'>;
beforeEach(async () => {
  fixture = await clientFixture('together');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const messages = [{ role: 'user' as const, content: 'Tag this ticket please.' }];
const chat = () => fixture.client.sdk.chat.completions.create({ model: MODEL, messages });

describe('together client', () => {
  it('is the OpenAI SDK pointed at api.together.ai by default, reading TOGETHER_API_KEY', async () => {
    vi.stubEnv('TOGETHER_API_KEY', fixture.key);
    const client = await createClient('together', undefined, { ledger: false });
    expect(client.sdk).toBeInstanceOf(OpenAI);
    expect(client.sdk.baseURL).toBe('https://api.together.ai/v1');
    expect(client.source).toBe('env:TOGETHER_API_KEY');
    expect(client.maskedId).toBe(`tgp_v1_****${fixture.key.slice(-4)}`);
    await client.close();
  });

  it('knows its keys: tgp_v1_ detected, masked and redacted; older keys of 64 hex digits accepted', async () => {
    expect(detectProvider(fixture.key)).toBe('together');
    const older = randomString(seededRandom(7), 64, '0123456789abcdef');
    const client = await createClient('together', keys.literal(older), { ledger: false });
    expect(client.maskedId).toBe(`****${older.slice(-4)}`);
    await client.close();
    expect(await rejection(createClient('together', keys.literal(testKey('groq', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    expect(redactText(`TOGETHER_API_KEY=${fixture.key}`)).toBe(
      `TOGETHER_API_KEY=[REDACTED together tgp_v1_****${fixture.key.slice(-4)}]`,
    );
  });

  it('records usage, plain and streamed, equal to what the simulator served', async () => {
    const completion = await chat();
    for await (const _chunk of await fixture.client.sdk.chat.completions.create({
      model: MODEL,
      messages,
      stream: true,
    })) {
      // drain
    }
    const [plain, streamed] = await fixture.events();
    expect(plain).toMatchObject({
      provider: 'together',
      model: MODEL,
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
    });
    expect(streamed).toMatchObject({ provider: 'together', stream: true, outcome: 'ok' });
    const [totals] = await fixture.ledger.totals();
    expect(totals?.inputTokens).toBe(fixture.simulator.tally().total.inputTokens);
    expect(totals?.outputTokens).toBe(fixture.simulator.tally().total.outputTokens);
  });

  it('verifies through GET /models, whose answer is a bare array', async () => {
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'together',
      identity: { models: 2 },
    });
  });

  it('maps 401 to unauthorized and the spending limit (402) to quota_exceeded; a too-long input (403) is not a key problem', async () => {
    fixture.simulator.failNext('quota');
    const quota = await rejection(chat());
    expect(quota).toMatchObject({ reason: 'quota_exceeded', provider: 'together', status: 402 });
    expect((quota as CredentialError).hint).toContain('https://api.together.ai/settings/billing');
    fixture.simulator.failNext('forbidden');
    const tooLong = await rejection(chat());
    expect(tooLong).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(isCredentialError(tooLong)).toBe(false);
    fixture.simulator.revokeKey(fixture.key);
    const bad = await rejection(chat());
    expect(bad).toMatchObject({ reason: 'unauthorized', status: 401 });
    expect((bad as CredentialError).hint).toContain('https://api.together.ai/settings/api-keys');
  });
});
