/**
 * Telling a placeholder from a key. The checks only fire on things a random key can never be:
 * characters no key contains, a value made entirely of filler or of known words, or a run of 8
 * identical letters. A real key has long random parts, which are neither filler nor words.
 * @module
 */

/** The kind of placeholder found, for the message. */
export type PlaceholderKind = 'template' | 'masked' | 'shortened' | 'redacted' | 'placeholder';

/** Key prefixes: they may appear in a placeholder, but on their own do not make one. */
const PREFIX_WORDS = [
  'sk',
  'proj',
  'svcacct',
  'admin',
  'ant',
  'api03',
  'admin01',
  'oat01',
  'xoxb',
  'xoxp',
  'xoxe',
  'xapp',
  'xai',
  'gsk',
  'tgp',
  'or',
  'v1',
  'aiza',
  'aizasy',
  'aq',
];

/** Words placeholders are made of (`your_api_key_here`, `insert-key-here`, `changeme`, …). */
const PLACEHOLDER_WORDS = [
  'your',
  'yours',
  'my',
  'our',
  'the',
  'api',
  'apikey',
  'key',
  'keys',
  'token',
  'tokens',
  'secret',
  'secrets',
  'password',
  'bot',
  'user',
  'app',
  'access',
  'auth',
  'oauth',
  'bearer',
  'here',
  'goes',
  'insert',
  'replace',
  'put',
  'paste',
  'enter',
  'add',
  'set',
  'fill',
  'change',
  'changeme',
  'me',
  'this',
  'with',
  'real',
  'actual',
  'valid',
  'new',
  'value',
  'placeholder',
  'todo',
  'fixme',
  'tbd',
  'dummy',
  'fake',
  'test',
  'example',
  'sample',
  'demo',
  'mock',
  'null',
  'undefined',
  'none',
  'nil',
  'empty',
  'redacted',
  'hidden',
  'masked',
  'foo',
  'bar',
  'baz',
  'abc',
  'xyz',
  'openai',
  'anthropic',
  'claude',
  'gemini',
  'google',
  'slack',
  'telegram',
  'discord',
  'grok',
  'id',
  'env',
  'var',
  'variable',
  'to',
  'of',
  'for',
  'and',
  'or',
  'is',
  'in',
  'default',
  'string',
  'private',
  'project',
  'org',
  'service',
  'account',
  'credential',
  'credentials',
  'get',
  'from',
  'missing',
  'unset',
  'required',
  'xxx',
];

/** 0: not a word, 1: a key prefix, 2: a placeholder word. */
const WORDS = new Map<string, 1 | 2>([
  ...PLACEHOLDER_WORDS.map((word) => [word, 2] as const),
  ...PREFIX_WORDS.map((word) => [word, 1] as const),
]);
const LONGEST_WORD = Math.max(...[...WORDS.keys()].map((word) => word.length));

/**
 * How well `token` splits into known words (`yourapikey` → your|api|key): 0 when it does not,
 * 1 when only into key prefixes, 2 when at least one placeholder word is used.
 */
function wordScore(token: string): 0 | 1 | 2 {
  // best[i]: the best score of a split of token.slice(0, i); -1 when there is none.
  const best: number[] = [0];
  let misses = 0;
  for (let end = 1; end <= token.length; end += 1) {
    let score = -1;
    for (let start = Math.max(0, end - LONGEST_WORD); start < end; start += 1) {
      const before = best[start] ?? -1;
      const word = WORDS.get(token.slice(start, end));
      if (before < 0 || word === undefined) continue;
      score = Math.max(score, before === 0 ? word : Math.max(before, word));
    }
    best.push(score);
    // No split reaches any of the last LONGEST_WORD ends: none can go on (a random key's tail).
    misses = score < 0 ? misses + 1 : 0;
    if (misses >= LONGEST_WORD) return 0;
  }
  const result = best[token.length] ?? -1;
  return result <= 0 ? 0 : (result as 1 | 2);
}

/** Whether the whole value is made of known words, with at least one placeholder word. */
function isMadeOfWords(value: string): boolean {
  const tokens = value
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (tokens.length === 0) return false;
  let placeholderWord = false;
  for (const token of tokens) {
    const score = wordScore(token);
    if (score === 0) return false;
    if (score === 2) placeholderWord = true;
  }
  return placeholderWord;
}

/** Whether every part but the key prefixes is one character repeated (`sk-xxxx`, `xoxb-000-xxx`). */
function isFiller(value: string): boolean {
  const parts = value.split(/[-_.:]+/).filter((part) => part !== '' && WORDS.get(part.toLowerCase()) !== 1);
  return parts.length > 0 && parts.every((part) => /^(.)\1*$/s.test(part));
}

export function placeholderKind(value: string): PlaceholderKind | undefined {
  if (/redacted/i.test(value)) return 'redacted';
  // `${NAME}`, `{{NAME}}`, `<NAME>`, `%NAME%`, `$NAME`, `[NAME]`, `(NAME)`: no key starts or ends
  // with these characters.
  if (/^[$<{[(%]/.test(value) || /[>}\])%]$/.test(value) || /\$\{|\{\{/.test(value)) return 'template';
  if (/[*•●∗]/.test(value)) return 'masked';
  if (/\.\.\.|…/.test(value)) return 'shortened';
  if (/([^0-9])\1{7,}/.test(value) || isFiller(value) || isMadeOfWords(value)) return 'placeholder';
  return undefined;
}
