/**
 * Messages for two audiences in English and Korean: every CredentialError reason and budget error
 * gets its own words, the reason code never changes, the label of a source is what the message
 * calls the key, no key appears, and a language can be added.
 */
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_REASONS, CredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { BudgetExceededError, resolveBudget } from '../../src/ledger/budget.js';
import {
  localizeError,
  type MessageAudience,
  messageLanguages,
  registerMessages,
} from '../../src/messages/index.js';
import { PROVIDER_IDS } from '../../src/providers/ids.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const HANGUL = /[\uac00-\ud7a3]/;
const LABEL = 'credential "OpenAI account"';
const settings: Array<[string, MessageAudience]> = [
  ['en', 'end-user'],
  ['ko', 'developer'],
  ['ko', 'end-user'],
];

function credentialError(
  reason: (typeof CREDENTIAL_REASONS)[number],
  provider: (typeof PROVIDER_IDS)[number],
) {
  return new CredentialError({
    reason,
    provider,
    message: `The original developer message for ${reason}.`,
    hint: 'Change the code.',
    source: LABEL,
    maskedId: 'sk-proj-****wxyz',
    status: reason === 'unauthorized' ? 401 : undefined,
    retryable: reason === 'source_unavailable',
  });
}

describe.each(settings)('%s for the %s', (language, audience) => {
  it.each(PROVIDER_IDS)(
    'words every reason for %s, keeping the reason and the original as detail',
    (provider) => {
      const seen = new Set<string>();
      for (const reason of CREDENTIAL_REASONS) {
        const error = localizeError(credentialError(reason, provider), { language, audience });
        expect(error.reason).toBe(reason);
        expect(error.hint).not.toBe('Change the code.');
        expect(error.message).toContain(error.hint);
        expect(error.message).toContain(LABEL);
        expect((error as unknown as { detail: string }).detail).toBe(
          `The original developer message for ${reason}. Change the code.`,
        );
        expect(error.stack?.split('\n')[0]).toContain(error.hint);
        if (language === 'ko') expect(error.message).toMatch(HANGUL);
        if (audience === 'end-user') expect(error.message).not.toMatch(/createClient|chmod|\{ /);
        seen.add(error.message);
      }
      expect(seen.size).toBe(CREDENTIAL_REASONS.length);
    },
  );

  it('words a budget error', () => {
    const budget = resolveBudget({ name: 'monthly', usd: 5, period: 'month' });
    const error = new BudgetExceededError(
      budget,
      { id: 'workflow:inbox', field: 'workflow' } as never,
      'usd',
      { usd: 5.2, requests: 10, tokens: 1000 },
      new Date('2026-12-31T00:00:00Z'),
    );
    localizeError(error, { language, audience });
    expect(error.message).toContain('monthly');
    expect(error.message).toContain('2026-12-31');
    if (language === 'ko') expect(error.message).toMatch(HANGUL);
  });
});

describe('defaults and edges', () => {
  it('leaves English for developers as keycard wrote it', () => {
    const error = credentialError('unauthorized', 'openai');
    const before = error.message;
    expect(localizeError(error, undefined).message).toBe(before);
    expect(localizeError(error, { language: 'en', audience: 'developer' }).message).toBe(before);
  });

  it('uses a regional tag through its language, and leaves other errors alone', () => {
    expect(localizeError(credentialError('missing', 'slack'), { language: 'ko-KR' }).message).toMatch(HANGUL);
    const plain = new Error('not ours');
    expect(localizeError(plain, { language: 'ko' }).message).toBe('not ours');
  });

  it('follows Korean particles: 토큰이, 키가', () => {
    const slack = localizeError(credentialError('missing', 'slack'), { language: 'ko' });
    expect(slack.message).toContain('Slack 토큰이');
    const gemini = localizeError(credentialError('missing', 'gemini'), { language: 'ko' });
    expect(gemini.message).toContain('API 키가');
  });

  it('takes a new language, and falls back to English end-user words where it has none', () => {
    registerMessages('de', {
      credential: ({ reason }) =>
        reason === 'unauthorized'
          ? { message: 'Der Schlüssel wurde abgelehnt.', hint: 'Neuen eintragen.' }
          : undefined,
      budget: () => undefined,
    });
    expect(messageLanguages()).toContain('de');
    expect(localizeError(credentialError('unauthorized', 'openai'), { language: 'de' }).message).toBe(
      'Der Schlüssel wurde abgelehnt. Neuen eintragen.',
    );
    expect(
      localizeError(credentialError('missing', 'openai'), { language: 'de', audience: 'end-user' }).message,
    ).toContain('No OpenAI API key');
    expect(() =>
      registerMessages('not a tag!', { credential: () => undefined, budget: () => undefined }),
    ).toThrow(TypeError);
  });
});

describe('keys.literal() with a label', () => {
  it('names the key by its label in describe() and errors, never by its value', async () => {
    const source = keys.literal('   ', { label: LABEL });
    expect(source.describe()).toBe(LABEL);
    const error = await rejection(source.resolve({ provider: 'openai' }));
    expect(String((error as Error).message)).toContain(LABEL);
    const key = testKey('openai', 'label');
    expect(() => keys.literal(key, { label: `my key ${key}` })).toThrow(/must not contain the key/);
    expect((await keys.literal(key, { label: LABEL }).resolve({ provider: 'openai' })).source).toBe(LABEL);
  });
});
