/**
 * A provider of one's own, through the public API alone (`keycard` and `keycard/testing`):
 * `registerProvider()` with an OpenAI-compatible service, then the matrix the built-in providers
 * pass, with the real `openai` SDK against the simulator's OpenAI routes over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  BudgetExceededError,
  type CredentialError,
  createClient,
  isCredentialError,
  isProviderId,
  isRegisteredProvider,
  KeycardError,
  keys,
  MemoryLedger,
  maskKey,
  PROVIDERS,
  providerIds,
  redactText,
  registerProvider,
  type UsageEvent,
} from '../../src/index.js';
import { checkKeyShape } from '../../src/shapes.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

/** A key of the registered provider, made at run time (as the other test keys are). */
const myKey = (prefix = 'acme-llm-') =>
  `${prefix}${randomBytes(30).toString('base64url').replace(/[-_]/g, 'x')}`;

const acme = registerProvider({
  id: 'acme-llm',
  label: 'Acme LLM',
  envVars: ['ACME_LLM_API_KEY', 'ACME_API_KEY'],
  keyPage: 'https://console.acme.example/keys',
  billingPage: 'https://console.acme.example/billing',
  key: { prefix: 'acme-llm-' },
  prices: 'openai',
  openAICompatible: { baseURL: 'https://llm.acme.example/v1' },
});

/** Another, with no prefix and no prices: keys unrecognisable by shape, costs unknown. */
const plain = registerProvider({
  id: 'plain-llm',
  label: 'Plain LLM',
  envVars: ['PLAIN_LLM_KEY'],
  keyPage: 'https://plain.example/keys',
  openAICompatible: { baseURL: 'https://plain.example/v1' },
});

async function eventsOf(ledger: MemoryLedger): Promise<UsageEvent[]> {
  const all: UsageEvent[] = [];
  for await (const event of ledger.events()) all.push(event);
  return all;
}

const messages = [{ role: 'user' as const, content: 'Summarise this ticket please.' }];

let simulator: Simulator;
let key: string;
beforeAll(async () => {
  key = myKey();
  simulator = await startSimulator({ keys: [key] });
});
afterAll(async () => {
  await simulator.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  simulator.reset();
  simulator.addKey(key);
});

async function client(
  ledger = new MemoryLedger(),
  extra: Parameters<typeof createClient<typeof acme>>[2] = {},
) {
  const made = await createClient(acme, keys.literal(key), {
    baseURL: simulator.baseURL('openai'),
    ledger,
    maxRetries: 0,
    ...extra,
  });
  return {
    client: made,
    ledger,
    chat: () => made.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
  };
}

describe('registerProvider', () => {
  it('returns a provider createClient takes, typed as the OpenAI SDK, reading its variables', async () => {
    expect(isRegisteredProvider(acme)).toBe(true);
    expect(acme).toMatchObject({
      id: 'acme-llm',
      label: 'Acme LLM',
      envVars: ['ACME_LLM_API_KEY', 'ACME_API_KEY'],
    });
    expect(isProviderId('acme-llm')).toBe(true);
    expect(providerIds()).toEqual(expect.arrayContaining(['openai', 'acme-llm', 'plain-llm']));
    expect(PROVIDERS['acme-llm' as 'openai']).toMatchObject({ label: 'Acme LLM' });
    vi.stubEnv('ACME_API_KEY', key);
    const made = await createClient(acme, undefined, { ledger: false });
    expectTypeOf(made.sdk).toEqualTypeOf<OpenAI>();
    expectTypeOf(made.provider).toEqualTypeOf<'acme-llm'>();
    expect(made.sdk).toBeInstanceOf(OpenAI);
    expect(made.sdk.baseURL).toBe('https://llm.acme.example/v1');
    expect(made.source).toBe('env:ACME_LLM_API_KEY|ACME_API_KEY');
    expect(made.maskedId).toBe(`acme-llm-****${key.slice(-4)}`);
    // By its id, too (declared in RegisteredProviders for types; here the run-time path).
    const byId = await createClient('acme-llm' as 'openai', keys.literal(key), { ledger: false });
    expect(byId.provider).toBe('acme-llm');
    await Promise.all([made.close(), byId.close()]);
  });

  it('refuses a definition that is wrong, with the reason, and a taken id or prefix', () => {
    const base = {
      id: 'new-llm',
      label: 'New',
      envVars: ['NEW_LLM_KEY'],
      keyPage: 'https://new.example',
      openAICompatible: { baseURL: 'https://new.example/v1' },
    };
    const message = (definition: unknown) => {
      try {
        registerProvider(definition as typeof base);
      } catch (error) {
        expect(error).toBeInstanceOf(KeycardError);
        return (error as Error).message;
      }
      throw new Error('registered');
    };
    expect(message({ ...base, id: 'Bad Id' })).toContain('id must be');
    expect(message({ ...base, id: 'openai' })).toContain('built into keycard');
    expect(message({ ...base, id: 'google-genai' })).toContain('built into keycard');
    expect(message({ ...base, id: 'acme-llm' })).toContain('already registered');
    expect(message({ ...base, envVar: ['X'] })).toContain('did you mean envVars?');
    expect(message({ ...base, envVars: [] })).toContain('envVars must list');
    expect(message({ ...base, key: { prefix: 'sk-' } })).toContain('would also match');
    expect(message({ ...base, key: { prefix: 'gsk_new' } })).toContain('would also match Groq API keys');
    expect(message({ ...base, key: { prefix: 'acme-llm-x' } })).toContain(
      'would also match Acme LLM API keys',
    );
    expect(message({ ...base, openAICompatible: { baseURL: 'ftp://x' } })).toContain('baseURL must be');
    expect(message({ id: 'x-llm', label: 'X', envVars: ['X'], keyPage: 'p' })).toContain(
      'either openAICompatible',
    );
    expect(message({ ...base, adapter: { packageName: 'x' } })).toContain('either openAICompatible');
    const { openAICompatible: _, ...noBase } = base;
    expect(message({ ...noBase, adapter: { packageName: 'x', load: () => 1 } })).toContain(
      'adapter.fromUser',
    );
    expect(message({ ...base, key: { prefix: 'acme' } })).toContain(
      'would also match keys starting with acme-llm-',
    );
    expect(providerIds()).not.toContain('new-llm');
    // The same definition again is the same provider.
    expect(registerProvider(acme as never)).toBe(acme);
  });

  it('knows its keys: shape, wrong provider both ways, malformed, masked ids and redaction', async () => {
    await expect(checkKeyShape('acme-llm' as 'openai', key)).resolves.toBeUndefined();
    expect(await rejection(createClient(acme, keys.literal(testKey('openai', 'for-acme'))))).toMatchObject({
      reason: 'wrong_provider',
      provider: 'acme-llm',
    });
    const wrong = await rejection(createClient('anthropic', keys.literal(key)));
    expect(wrong).toMatchObject({ reason: 'wrong_provider', provider: 'anthropic' });
    expect((wrong as Error).message).toContain('Acme LLM API key');
    const short = key.slice(0, 16);
    const malformed = await rejection(createClient(acme, keys.literal(short)));
    expect(malformed).toMatchObject({ reason: 'malformed' });
    expect((malformed as CredentialError).hint).toContain('https://console.acme.example/keys');
    expect((malformed as Error).message).not.toContain(short);
    // A key keycard never read is still found in text by its prefix.
    const stray = myKey();
    expect(maskKey(stray)).toBe(`acme-llm-****${stray.slice(-4)}`);
    const redacted = redactText(`deploy with ACME=${stray} and Authorization: Bearer ${stray}`);
    expect(redacted).not.toContain(stray.slice(12));
    expect(redacted).toContain('[REDACTED acme-llm acme-llm-****');
    // Without a prefix: any 16+ key characters pass the shape, and nothing is detected by it.
    await expect(checkKeyShape('plain-llm' as 'openai', 'x'.repeat(8))).rejects.toMatchObject({
      reason: 'malformed',
    });
  });

  it('records usage, plain and streamed, equal to what the simulator served, priced under its price id', async () => {
    const { client: made, ledger, chat } = await client();
    const completion = await chat();
    const stream = await made.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const chunk of stream) expect(chunk.choices.length).toBeGreaterThan(0);
    await made.close();
    const events = await eventsOf(ledger);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      provider: 'acme-llm',
      operation: 'chat.completions',
      model: 'gpt-4o-mini',
      inputTokens: completion.usage?.prompt_tokens,
      outcome: 'ok',
      pricing: expect.stringMatching(/^genai-prices/),
    });
    expect(events[0]?.costUsd).toBeGreaterThan(0);
    expect(events[1]).toMatchObject({ provider: 'acme-llm', stream: true, outcome: 'ok' });
    const [totals] = await ledger.totals({ by: ['provider'] });
    expect(totals).toMatchObject({ provider: 'acme-llm', requests: 2 });
    expect(totals?.inputTokens).toBe(simulator.tally().total.inputTokens);
    expect(totals?.outputTokens).toBe(simulator.tally().total.outputTokens);
  });

  it('records an unknown cost for a provider without prices', async () => {
    const plainKey = `${randomBytes(24).toString('hex')}`;
    simulator.addKey(plainKey);
    const ledger = new MemoryLedger();
    const made = await createClient(plain, keys.literal(plainKey), {
      baseURL: simulator.baseURL('openai'),
      ledger,
    });
    await made.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await made.close();
    const [event] = await eventsOf(ledger);
    expect(event).toMatchObject({ provider: 'plain-llm', outcome: 'ok', costUsd: null });
    expect(event?.inputTokens).toBeGreaterThan(0);
    expect(made.maskedId).toBe(`****${plainKey.slice(-4)}`);
  });

  it('verifies, and maps 401, 403, quota, rate limits and 5xx as the built-in providers do', async () => {
    const { client: made, ledger, chat } = await client();
    await expect(made.verify()).resolves.toMatchObject({ ok: true, provider: 'acme-llm' });
    simulator.failNext('forbidden');
    expect(await rejection(chat())).toMatchObject({ reason: 'forbidden', provider: 'acme-llm', status: 403 });
    simulator.failNext('quota');
    const quota = await rejection(chat());
    expect(quota).toMatchObject({ reason: 'quota_exceeded', status: 429 });
    expect((quota as CredentialError).hint).toContain('https://console.acme.example/billing');
    simulator.failNext('rate_limit');
    const limited = await rejection(chat());
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(isCredentialError(limited)).toBe(false);
    simulator.failNext('server_error');
    expect(await rejection(chat())).toBeInstanceOf(OpenAI.InternalServerError);
    simulator.revokeKey(key);
    const revoked = await rejection(chat());
    expect(revoked).toMatchObject({ reason: 'unauthorized', provider: 'acme-llm', status: 401 });
    expect((revoked as CredentialError).hint).toContain('https://console.acme.example/keys');
    expect(revoked).toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(made.verify()).rejects.toSatisfy(
      (failure: unknown) => isCredentialError(failure) && failure.reason === 'unauthorized',
    );
    await made.close();
    const outcomes = (await eventsOf(ledger)).map((event) => event.outcome);
    expect(outcomes).toEqual([
      'ok',
      'forbidden',
      'quota_exceeded',
      'rate_limited',
      'error',
      'unauthorized',
      'unauthorized',
    ]);
  });

  it('holds no key in inspect, JSON or errors', async () => {
    const { client: made, chat } = await client();
    for (const printed of [
      inspect(made, { depth: 20, showHidden: true }),
      inspect(made.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(made),
      JSON.stringify(made.sdk),
    ]) {
      expect(printed).not.toContain(key);
    }
    simulator.failNext('unauthorized');
    const error = await rejection(chat());
    expect(inspect(error, { depth: 20, showHidden: true })).not.toContain(key);
    expect(JSON.stringify(error)).not.toContain(key);
    await made.close();
  });

  it('picks up a rotated key after a 401 and replays the call', async () => {
    const oldKey = myKey();
    const newKey = myKey();
    simulator.addKey(oldKey);
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-registered-')), 'key');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const ledger = new MemoryLedger();
    const made = await createClient(acme, keys.file(path), { baseURL: simulator.baseURL('openai'), ledger });
    simulator.revokeKey(oldKey);
    simulator.addKey(newKey);
    await writeFile(path, newKey);
    const completion = await made.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(completion.object).toBe('chat.completion');
    expect(made.maskedId).toBe(`acme-llm-****${newKey.slice(-4)}`);
    await made.close();
    expect((await eventsOf(ledger)).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
  });

  it('works in a pool and under a request quota', async () => {
    const second = myKey();
    simulator.addKey(second);
    const ledger = new MemoryLedger();
    const pooled = await createClient(acme, keys.pool([keys.literal(key), keys.literal(second)]), {
      baseURL: simulator.baseURL('openai'),
      ledger,
      maxRetries: 0,
    });
    simulator.failNext('quota', { key });
    await pooled.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(pooled.maskedId).toBe(`acme-llm-****${second.slice(-4)}`);
    expect(pooled.pool()?.map((member) => member.state)).toEqual(['exhausted', 'ok']);
    await pooled.close();
    const { client: quota, chat } = await client(ledger, {
      budget: { requests: 1, period: 'day', scope: 'provider' },
    });
    await expect(chat()).rejects.toBeInstanceOf(BudgetExceededError);
    await quota.close();
  });
});
