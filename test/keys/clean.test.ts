import { describe, expect, it } from 'vitest';
import { CredentialError, isCredentialError } from '../../src/errors.js';
import { cleanKeyValue, isBlankKeyValue, misplacedKeyError, stripKeyValue } from '../../src/keys/clean.js';
import type { ProviderId } from '../../src/providers/ids.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';

const ALL_KINDS: readonly [TestKeyKind, ProviderId][] = [
  ['openai', 'openai'],
  ['openai-svcacct', 'openai'],
  ['openai-admin', 'openai'],
  ['openai-legacy', 'openai'],
  ['openai-compatible', 'openai'],
  ['anthropic', 'anthropic'],
  ['anthropic-admin', 'anthropic'],
  ['gemini', 'gemini'],
  ['gemini-aq', 'gemini'],
  ['slack', 'slack'],
  ['slack-user', 'slack'],
  ['slack-app', 'slack'],
  ['telegram', 'telegram'],
  ['xai', 'xai'],
  ['discord', 'discord'],
];

const context = { source: 'env:OPENAI_API_KEY', provider: 'openai' } as const;

function caught(run: () => unknown): CredentialError {
  try {
    run();
  } catch (error) {
    if (isCredentialError(error)) return error;
    throw error;
  }
  throw new Error('expected a CredentialError');
}

describe('stripKeyValue / cleanKeyValue: what people paste', () => {
  const key = testKey('openai', 'clean');

  it.each([
    ['surrounding spaces', `  ${key}  `],
    ['a trailing LF', `${key}\n`],
    ['a trailing CRLF', `${key}\r\n`],
    ['a BOM', `\uFEFF${key}`],
    ['a BOM and CRLF', `\uFEFF${key}\r\n`],
    ['double quotes', `"${key}"`],
    ['single quotes', `'${key}'`],
    ['backticks', `\`${key}\``],
    ['quotes with spaces inside', `" ${key} "\n`],
    ['tabs around', `\t${key}\t`],
  ])('removes %s', (_name, raw) => {
    expect(cleanKeyValue(raw, context)).toBe(key);
  });

  it("removes the `Bot ` of a Discord token's header, for Discord only", () => {
    const token = testKey('discord', 'clean');
    const discord = { source: 'env:DISCORD_BOT_TOKEN', provider: 'discord' } as const;
    expect(cleanKeyValue(`Bot ${token}`, discord)).toBe(token);
    expect(cleanKeyValue(` "bot\t${token}"\n`, discord)).toBe(token);
    expect(caught(() => cleanKeyValue(`Bot ${key}`, context)).reason).toBe('malformed');
    expect(caught(() => cleanKeyValue(`Bot ${token} more`, discord)).reason).toBe('malformed');
  });

  it('removes one pair of quotes only, and only matching ones', () => {
    expect(stripKeyValue(`""${key}""`)).toBe(`"${key}"`);
    expect(stripKeyValue(`"${key}'`)).toBe(`"${key}'`);
  });

  it('tells blank values apart', () => {
    expect(isBlankKeyValue('')).toBe(true);
    expect(isBlankKeyValue(' \r\n')).toBe(true);
    expect(isBlankKeyValue('\uFEFF')).toBe(true);
    expect(isBlankKeyValue('""')).toBe(true);
    expect(isBlankKeyValue(key)).toBe(false);
  });
});

describe('cleanKeyValue: refusals', () => {
  const key = testKey('openai', 'refusals');
  const secretPart = key.slice('sk-proj-'.length);

  it('refuses an empty value as missing, naming the source and what to do', () => {
    for (const raw of ['', '   ', '\r\n', '""', "''", '\uFEFF']) {
      const error = caught(() => cleanKeyValue(raw, context));
      expect(error.reason).toBe('missing');
      expect(error.source).toBe('env:OPENAI_API_KEY');
      expect(error.message).toContain('env:OPENAI_API_KEY');
      expect(error.hint).toBe('Set OPENAI_API_KEY to the key from https://platform.openai.com/api-keys.');
    }
  });

  it('says where to put the key for other sources', () => {
    const error = caught(() => cleanKeyValue('', { source: 'file:./k', provider: 'anthropic' }));
    expect(error.hint).toContain('https://console.anthropic.com/settings/keys');
    expect(error.hint).toContain('file:./k');
    expect(caught(() => cleanKeyValue('', { source: 'literal' })).hint).toContain('keys.literal()');
  });

  it.each([
    [
      'a line break',
      `${key.slice(0, 51)}\n${key.slice(51)}`,
      /line break at character 52 \(it spans 2 lines\)/,
    ],
    ['a CRLF inside', `${key.slice(0, 10)}\r\n${key.slice(10)}`, /line break at character 11/],
    ['a space', `${key.slice(0, 20)} ${key.slice(20)}`, /a space at character 21/],
    ['a tab', `${key.slice(0, 20)}\t${key.slice(20)}`, /a tab at character 21/],
    ['a NUL', `${key.slice(0, 30)}\u0000${key.slice(30)}`, /control character \(U\+0000\) at character 31/],
    ['an escape', `${key.slice(0, 30)}\u001b${key.slice(30)}`, /control character \(U\+001B\)/],
    ['DEL', `${key.slice(0, 30)}\u007f${key.slice(30)}`, /control character \(U\+007F\)/],
    ['a typographic quote', `\u201c${key}\u201d`, /typographic quote \(U\+201C\) at character 1/],
    [
      'a zero-width space',
      `${key.slice(0, 40)}\u200b${key.slice(40)}`,
      /invisible or non-breaking space \(U\+200B\) at character 41/,
    ],
    [
      'a non-breaking space inside',
      `${key.slice(0, 40)}\u00a0${key.slice(40)}`,
      /non-breaking space \(U\+00A0\)/,
    ],
    ['an en dash', `sk\u2013proj${key.slice(7)}`, /typographic dash \(U\+2013\) at character 3/],
    [
      'an accented letter',
      `${key.slice(0, 9)}é${key.slice(9)}`,
      /non-ASCII character \(U\+00E9\) at character 10/,
    ],
    ['an emoji', `${key}😀`, /non-ASCII character \(U\+1F600\)/],
  ])('refuses %s as malformed, by position, without the value', (_name, raw, expected) => {
    const error = caught(() => cleanKeyValue(raw, context));
    expect(error.reason).toBe('malformed');
    expect(error.message).toMatch(expected);
    expect(error.source).toBe('env:OPENAI_API_KEY');
    expect(error.provider).toBe('openai');
    expect(error.hint.length).toBeGreaterThan(10);
    for (let start = 0; start + 8 <= secretPart.length; start += 4) {
      expect(error.message).not.toContain(secretPart.slice(start, start + 8));
    }
  });

  it('refuses a whole NAME=value line pasted as a value', () => {
    for (const raw of [
      `OPENAI_API_KEY=${key}`,
      `export OPENAI_API_KEY=${key}`,
      `OPENAI_API_KEY = "${key}"`,
    ]) {
      const error = caught(() => cleanKeyValue(raw, context));
      expect(error.reason).toBe('malformed');
      expect(error.message).toContain('NAME=value');
      expect(error.hint).toContain('after "="');
      expect(error.message).not.toContain(secretPart.slice(0, 12));
    }
  });

  it('refuses values shorter than 8 characters', () => {
    const error = caught(() => cleanKeyValue('ab3De7q', context));
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('only 7 characters');
    expect(error.hint).toContain('Copy the whole key');
    expect(cleanKeyValue('ab3De7q9', { source: 'literal' })).toBe('ab3De7q9');
  });

  it('refuses a non-string from JavaScript callers', () => {
    expect(caught(() => cleanKeyValue(undefined as unknown as string, context)).reason).toBe('missing');
    expect(caught(() => cleanKeyValue(42 as unknown as string, context)).reason).toBe('malformed');
  });
});

describe('cleanKeyValue: placeholders', () => {
  const maskedTail = testKey('openai', 'masked').slice(-4);
  const placeholders = [
    'your-api-key',
    'your_api_key_here',
    'YOUR_OPENAI_API_KEY',
    'YourApiKeyHere',
    'yourapikey',
    'sk-...',
    'sk-…',
    'sk-xxxx',
    // Key-length fillers are built at run time, so that no key-shaped literal sits in the file.
    `sk-${'x'.repeat(32)}`,
    `sk-proj-${'X'.repeat(28)}`,
    `AIza${'Sy'}${'X'.repeat(33)}`,
    ['xoxb', '0'.repeat(12), '0'.repeat(13), 'x'.repeat(24)].join('-'),
    '<OPENAI_API_KEY>',
    '<your key here>',
    ['$', '{OPENAI_API_KEY}'].join(''),
    '{{OPENAI_API_KEY}}',
    '%OPENAI_API_KEY%',
    '$OPENAI_API_KEY',
    'changeme',
    'change-me',
    'placeholder',
    'xoxb-your-bot-token',
    'xai-your-key',
    'TODO',
    'null',
    'undefined',
    '***',
    '********',
    '...',
    '…',
    'xxxxxxxx',
    'X'.repeat(16),
    'insert-key-here',
    'replace-me',
    'REPLACE_ME',
    '<redacted>',
    'REDACTED',
    '[REDACTED openai sk-proj-****abcd]',
    `sk-proj-****${maskedTail}`,
    `sk-proj-••••${maskedTail}`,
    'test-key',
    'dummy_token',
    'sk-proj-your-key-here',
  ];

  it.each(placeholders)('refuses %j as malformed, saying to replace the placeholder', (raw) => {
    const error = caught(() => cleanKeyValue(raw, context));
    expect(error.reason).toBe('malformed');
    expect(error.message).toMatch(/placeholder|masked|shortened|redacted/);
    expect(error.hint).toMatch(
      /^Replace the placeholder with your real key from https:\/\/platform\.openai\.com/,
    );
    expect(error.source).toBe('env:OPENAI_API_KEY');
  });

  it('does not name a provider when none is known', () => {
    const error = caught(() => cleanKeyValue('your-api-key', { source: 'file:./k' }));
    expect(error.message).toContain('The key from file:./k');
    expect(error.hint).toContain('your real key');
  });

  it('lets 200 random keys of every kind through unchanged', () => {
    for (const [kind, provider] of ALL_KINDS) {
      for (let seed = 0; seed < 200; seed += 1) {
        const key = testKey(kind, `clean-${seed}`);
        expect(cleanKeyValue(key, { source: 'literal', provider }), `${kind} #${seed}`).toBe(key);
        expect(cleanKeyValue(`"${key}"\r\n`, { source: 'literal', provider })).toBe(key);
      }
    }
  });

  it('lets real keys with words or x runs in their random part through', () => {
    const key = testKey('openai', 'words');
    const withWords = `sk-proj-your-key-here-${key.slice(8, 60)}`;
    expect(cleanKeyValue(withWords, context)).toBe(withWords);
    const withShortRun = `${key.slice(0, 30)}xxxxxxx${key.slice(37)}`;
    expect(cleanKeyValue(withShortRun, context)).toBe(withShortRun);
  });
});

describe('misplacedKeyError', () => {
  it('is malformed, names the call and never shows the key', () => {
    const error = misplacedKeyError('a file path', 'Pass a path.', 'keys.file()');
    expect(error).toBeInstanceOf(CredentialError);
    expect(error.reason).toBe('malformed');
    expect(error.source).toBe('keys.file()');
    expect(error.message).toContain('where a file path was expected');
  });
});
