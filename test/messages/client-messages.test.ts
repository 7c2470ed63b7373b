/**
 * A client's messages in the language and for the audience it was made with, end to end with the
 * real SDKs against the simulator: a key the provider rejects, a missing key, a budget block. The
 * reason codes and the SDK's own classes stay; the key appears nowhere.
 */
import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { BudgetExceededError } from '../../src/ledger/budget.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const HANGUL = /[\uac00-\ud7a3]/;
const LABEL = 'credential "OpenAI account"';
let simulator: Simulator;
const openaiKey = testKey('openai', 'messages');
const anthropicKey = testKey('anthropic', 'messages');

beforeAll(async () => {
  simulator = await startSimulator({ keys: [openaiKey, anthropicKey] });
});
afterAll(async () => {
  await simulator.close();
});

const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('a rejected key', () => {
  it.each([
    ['ko', 'end-user'],
    ['ko', 'developer'],
    ['en', 'end-user'],
  ] as const)(
    'is written in %s for the %s, and keeps the SDK class and reason',
    async (language, audience) => {
      const revoked = testKey('openai', `messages-revoked-${language}-${audience}`);
      const client = await createClient('openai', keys.literal(revoked, { label: LABEL }), {
        baseURL: simulator.baseURL('openai'),
        ledger: false,
        maxRetries: 0,
        messages: { language, audience },
      });
      const error = await rejection(client.sdk.chat.completions.create(ask));
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(isCredentialError(error) && error.reason).toBe('unauthorized');
      const text = `${String(error)} ${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`;
      expect(text).not.toContain(revoked);
      expect((error as Error).message).toContain(LABEL);
      expect((error as Error).message).toContain('https://platform.openai.com/api-keys');
      if (language === 'ko') expect((error as Error).message).toMatch(HANGUL);
      if (audience === 'end-user') expect((error as Error).message).not.toMatch(/createClient|\{ /);
      expect((error as { detail?: string }).detail).toMatch(/OpenAI/);
    },
  );
});

describe('a key that cannot be read', () => {
  it('is written in Korean at createClient', async () => {
    const error = await rejection(
      createClient('anthropic', keys.env('KEYCARD_TEST_UNSET_FOR_MESSAGES'), {
        messages: { language: 'ko', audience: 'end-user' },
      }),
    );
    expect(isCredentialError(error) && error.reason).toBe('missing');
    expect((error as Error).message).toMatch(HANGUL);
    expect((error as Error).message).toContain('https://console.anthropic.com/settings/keys');
  });

  it('refuses a language keycard has no messages in', async () => {
    const error = await rejection(
      createClient('anthropic', keys.literal(anthropicKey), { messages: { language: 'fr' } }),
    );
    expect(String((error as Error).message)).toContain('no messages in "fr"');
  });
});

describe('a budget', () => {
  it('blocks with a Korean message for the end user', async () => {
    const client = await createClient('anthropic', keys.literal(anthropicKey), {
      baseURL: simulator.baseURL('anthropic'),
      ledger: new MemoryLedger(),
      budget: { name: 'daily', requests: 1, period: 'day' },
      messages: { language: 'ko', audience: 'end-user' },
    });
    const message = {
      model: 'claude-3-5-haiku-latest',
      max_tokens: 8,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    await client.sdk.messages.create(message);
    const error = await rejection(client.sdk.messages.create(message));
    expect(BudgetExceededError.is(error)).toBe(true);
    expect(error).not.toBeInstanceOf(Anthropic.APIError);
    expect((error as Error).message).toMatch(HANGUL);
    expect((error as Error).message).toContain('daily');
    await client.close();
  });
});
