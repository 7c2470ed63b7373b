/**
 * Test keys are built here at run time, so that no key-shaped literal sits in the repository.
 * Every key is deterministic for a (provider, seed) pair.
 */
import type { ProviderId } from '../../src/providers/ids.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = `${ALPHANUMERIC}_-`;

/** A small seeded PRNG (mulberry32), enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedOf(text: string): number {
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return hash >>> 0;
}

export function randomString(random: () => number, length: number, alphabet = ALPHANUMERIC): string {
  let out = '';
  for (let index = 0; index < length; index += 1) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** The pieces are joined at run time; `OPENAI_MARK` is base64 of "OpenAI", split on purpose. */
const OPENAI_MARK = ['T3Bl', 'bkFJ'].join('');

/** Key kinds beyond one per provider. */
export type TestKeyKind =
  | ProviderId
  | 'openai-svcacct'
  | 'openai-admin'
  | 'openai-legacy'
  | 'openai-compatible'
  | 'anthropic-admin'
  | 'gemini-aq'
  | 'slack-user'
  | 'slack-app';

/**
 * A realistic-looking key of `kind`, deterministic for `seed`. An optional `marker` (letters and
 * digits) is embedded in the secret part so that a test can search output for it.
 */
export function testKey(kind: TestKeyKind, seed = 'default', marker = ''): string {
  const random = seededRandom(seedOf(`${kind}:${seed}`));
  const body = (length: number, alphabet = ALPHANUMERIC) =>
    (marker + randomString(random, length, alphabet)).slice(0, length);
  const digits = (length: number) => randomString(random, length, '0123456789').replace(/^0/, '1');
  const dash = '-';
  switch (kind) {
    case 'openai':
      return ['sk', 'proj', `${body(74, URLSAFE)}${OPENAI_MARK}${randomString(random, 74, URLSAFE)}`].join(
        dash,
      );
    case 'openai-svcacct':
      return ['sk', 'svcacct', `${body(74, URLSAFE)}${OPENAI_MARK}${randomString(random, 74, URLSAFE)}`].join(
        dash,
      );
    case 'openai-admin':
      return ['sk', 'admin', `${body(58, URLSAFE)}${OPENAI_MARK}${randomString(random, 58, URLSAFE)}`].join(
        dash,
      );
    case 'openai-legacy':
      return ['sk', `${body(20)}${OPENAI_MARK}${randomString(random, 20)}`].join(dash);
    case 'openai-compatible':
      return ['sk', body(32, '0123456789abcdef')].join(dash);
    case 'anthropic':
      return ['sk', 'ant', 'api03', `${body(93, URLSAFE)}AA`].join(dash);
    case 'anthropic-admin':
      return ['sk', 'ant', 'admin01', `${body(93, URLSAFE)}AA`].join(dash);
    case 'gemini':
      return ['AI', 'za', 'Sy', body(33, URLSAFE)].join('');
    case 'gemini-aq':
      return ['AQ', `${body(20, URLSAFE)}`].join('.');
    case 'slack':
      return ['xo', 'xb'].join('') + dash + [digits(12), digits(13), body(24)].join(dash);
    case 'slack-user':
      return (
        ['xo', 'xp'].join('') +
        dash +
        [digits(12), digits(12), digits(13), body(32, '0123456789abcdef')].join(dash)
      );
    case 'slack-app':
      return (
        ['xa', 'pp'].join('') +
        dash +
        ['1', `A${digits(10)}`, digits(13), body(64, '0123456789abcdef')].join(dash)
      );
    case 'telegram':
      return `${digits(10)}:${['A', 'A'].join('')}${body(33, URLSAFE)}`;
    case 'xai':
      return ['xa', 'i'].join('') + dash + body(80);
    case 'groq':
      return `${['gs', 'k'].join('')}_${body(52)}`;
    case 'openrouter':
      // Hex, as real keys are; a canary's marker (not hex) is still accepted by the shape.
      return ['sk', 'or', 'v1', body(64, '0123456789abcdef')].join(dash);
    case 'deepseek':
      return ['sk', body(32, '0123456789abcdef')].join(dash);
    case 'together':
      return `${['tg', 'p'].join('')}_v1_${body(43, URLSAFE)}`;
    case 'mistral':
      // No prefix: 32 letters and digits.
      return body(32);
    case 'discord':
      // base64 of the bot's user id (a snowflake), a timestamp, then the HMAC (with the marker).
      return [
        Buffer.from(digits(19)).toString('base64url'),
        randomString(random, 6, URLSAFE),
        body(38, URLSAFE),
      ].join('.');
  }
}

/** A marker unlikely to appear anywhere by chance, for canary keys. */
export const CANARY_MARKER = ['CANARY', 'canary', '7q'].join('');
