/**
 * Made-up keys for offline tests and demos: random, in each provider's real shape.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { ProviderId } from '../providers/ids.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function random(length: number, alphabet = ALNUM): string {
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += alphabet[byte % alphabet.length];
  return text;
}

/**
 * A made-up key in the shape of `provider`'s real keys, random on every call: it passes keycard's
 * shape checks, and a simulator accepts it once given in `keys` or `addKey()`.
 *
 * @example
 * const key = fakeKey('openai');
 * const simulator = await startSimulator({ keys: [key] });
 */
export function fakeKey(provider: ProviderId): string {
  const urlsafe = `${ALNUM}_-`;
  const digits = (length: number) =>
    `${1 + ((randomBytes(1)[0] ?? 0) % 9)}${random(length - 1, '0123456789')}`;
  switch (provider) {
    case 'openai':
      return ['sk', 'proj', `${random(74, urlsafe)}${['T3Bl', 'bkFJ'].join('')}${random(74, urlsafe)}`].join(
        '-',
      );
    case 'anthropic':
      return ['sk', 'ant', 'api03', `${random(93, urlsafe)}AA`].join('-');
    case 'gemini':
      return ['AI', 'za', 'Sy', random(33, urlsafe)].join('');
    case 'slack':
      return [['xo', 'xb'].join(''), digits(12), digits(13), random(24)].join('-');
    case 'telegram':
      return `${digits(10)}:AA${random(33, urlsafe)}`;
    case 'xai':
      return `${['xa', 'i'].join('')}-${random(80)}`;
    case 'groq':
      return `${['gs', 'k'].join('')}_${random(52)}`;
    case 'openrouter':
      return ['sk', 'or', 'v1', random(64, '0123456789abcdef')].join('-');
    case 'deepseek':
      return ['sk', random(32, '0123456789abcdef')].join('-');
    case 'together':
      return `${['tg', 'p'].join('')}_v1_${random(43, urlsafe)}`;
    case 'mistral':
      // No prefix: 32 letters and digits.
      return random(32);
    case 'discord':
      // The bot's user id (a snowflake) in base64, a timestamp, an HMAC.
      return [Buffer.from(digits(19)).toString('base64url'), random(6, urlsafe), random(38, urlsafe)].join(
        '.',
      );
  }
}
