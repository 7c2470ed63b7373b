/**
 * The OpenRouter adapter: the real `openai` SDK with OpenRouter's base URL, through keycard,
 * against the OpenRouter simulator over HTTP.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { detectProvider } from '../../src/keys/shapes.js';
import { redactText } from '../../src/redact/redactor.js';
import { fakeKey } from '../../src/testing/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'openrouter'>;
beforeEach(async () => {
  fixture = await clientFixture('openrouter');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const messages = [{ role: 'user' as const, content: 'Route this ticket please.' }];
const chat = (model = 'openai/gpt-4o-mini') =>
  fixture.client.sdk.chat.completions.create({ model, messages });

describe('openrouter client', () => {
  it('is the OpenAI SDK pointed at openrouter.ai by default, reading OPENROUTER_API_KEY', async () => {
    vi.stubEnv('OPENROUTER_API_KEY', fixture.key);
    const client = await createClient('openrouter', undefined, { ledger: false });
    expect(client.sdk).toBeInstanceOf(OpenAI);
    expect(client.sdk.baseURL).toBe('https://openrouter.ai/api/v1');
    expect(client.source).toBe('env:OPENROUTER_API_KEY');
    expect(client.maskedId).toBe(`sk-or-v1-****${fixture.key.slice(-4)}`);
    await client.close();
  });

  it('knows its keys: detected before OpenAI’s sk- family, masked, redacted; still usable with the openai client', async () => {
    expect(detectProvider(fixture.key)).toBe('openrouter');
    expect(detectProvider(fakeKey('openrouter'))).toBe('openrouter');
    expect(await rejection(createClient('openrouter', keys.literal(testKey('openai', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
      provider: 'openrouter',
    });
    // Many set the openai client's baseURL to OpenRouter: its shape check accepts plain sk- keys.
    const viaOpenAI = await createClient('openai', keys.literal(fixture.key), {
      baseURL: fixture.simulator.baseURL('openrouter'),
      ledger: false,
    });
    expect(viaOpenAI.maskedId).toBe(`sk-or-v1-****${fixture.key.slice(-4)}`);
    await viaOpenAI.close();
    const cut = await rejection(createClient('openrouter', keys.literal(fixture.key.slice(0, 40))));
    expect(cut).toMatchObject({ reason: 'malformed' });
    const redacted = redactText(`OPENROUTER_API_KEY=${fixture.key} and Bearer ${fixture.key}`);
    expect(redacted).not.toContain(fixture.key.slice(12));
    expect(redacted).toContain('[REDACTED openrouter sk-or-v1-****');
  });

  it('records usage of vendor-named models, plain and streamed (past the processing comment), priced', async () => {
    const completion = await chat();
    let chunks = 0;
    for await (const chunk of await fixture.client.sdk.chat.completions.create({
      model: 'anthropic/claude-sonnet-4',
      messages,
      stream: true,
    })) {
      expect(chunk.choices.length).toBeGreaterThan(0);
      chunks += 1;
    }
    expect(chunks).toBeGreaterThan(0);
    const [plain, streamed] = await fixture.events();
    expect(plain).toMatchObject({
      provider: 'openrouter',
      model: 'openai/gpt-4o-mini',
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      pricing: expect.stringMatching(/^genai-prices/),
    });
    expect(plain?.costUsd).toBeGreaterThan(0);
    expect(streamed).toMatchObject({
      provider: 'openrouter',
      model: 'anthropic/claude-sonnet-4',
      stream: true,
    });
    expect(streamed?.costUsd).toBeGreaterThan(0);
    const [totals] = await fixture.ledger.totals();
    expect(totals?.inputTokens).toBe(fixture.simulator.tally().total.inputTokens);
    expect(totals?.outputTokens).toBe(fixture.simulator.tally().total.outputTokens);
  });

  it('verifies through GET /key (the model list is public): limit and usage, no part of the key', async () => {
    const result = await fixture.client.verify();
    expect(result).toMatchObject({
      ok: true,
      provider: 'openrouter',
      identity: {
        label: 'keycard simulator key',
        limit: 20,
        limitRemaining: 17.5,
        usage: 2.5,
        freeTier: false,
      },
    });
    expect(fixture.simulator.requests.at(-1)?.path).toMatch(/\/v1\/key$/);
    expect(inspect(result)).not.toContain(fixture.key.slice(10, 20));
  });

  it('maps a bad key (401) to unauthorized and no credit (402) to quota_exceeded, with the pages to act on', async () => {
    fixture.simulator.failNext('quota');
    const quota = await rejection(chat());
    expect(quota).toMatchObject({ reason: 'quota_exceeded', provider: 'openrouter', status: 402 });
    expect((quota as CredentialError).hint).toContain('https://openrouter.ai/settings/credits');
    fixture.simulator.revokeKey(fixture.key);
    const bad = await rejection(chat());
    expect(bad).toMatchObject({ reason: 'unauthorized', status: 401 });
    expect((bad as CredentialError).hint).toContain('https://openrouter.ai/settings/keys');
    expect((await fixture.events()).map((event) => event.outcome)).toEqual([
      'quota_exceeded',
      'unauthorized',
    ]);
  });

  it('leaves moderation (403), rate limits and 5xx to the SDK: not a problem of the key', async () => {
    fixture.simulator.failNext('forbidden');
    const flagged = await rejection(chat());
    expect(flagged).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(isCredentialError(flagged)).toBe(false);
    fixture.simulator.failNext('rate_limit');
    expect(await rejection(chat())).toBeInstanceOf(OpenAI.RateLimitError);
    fixture.simulator.failNext('server_error');
    expect(await rejection(chat())).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('picks up a rotated key after a 401 and replays the call', async () => {
    const oldKey = testKey('openrouter', 'rotation-old');
    const newKey = testKey('openrouter', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-openrouter-')), 'key');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('openrouter', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      await rotating.client.sdk.chat.completions.create({ model: 'openai/gpt-4o', messages });
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
    } finally {
      await rotating.close();
    }
  });
});
