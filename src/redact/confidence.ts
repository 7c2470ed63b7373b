/**
 * How sure a finding is: `high` for a key, `low` for a match of a key's shape that is most likely
 * not one (a placeholder, a fixture that says it is fake, a fragment of a base64 blob, a shape
 * that needs context it does not have). Only the scanner asks (`findSecrets`); the redactor
 * replaces every match whatever its confidence: masking a placeholder in a log costs nothing,
 * missing a key costs a rotation. Every check here is something a random key almost never is, so
 * that a real key is low only by a chance of about one in a hundred thousand.
 * @module
 */

import { placeholderKind } from '../keys/placeholders.js';

/** `high`: a key. `low`: a key's shape that looks like a placeholder, a fixture or code. */
export type Confidence = 'high' | 'low';

/** A confidence and, when low, why. */
export interface Judgement {
  confidence: Confidence;
  reason?: string;
}

const HIGH: Judgement = { confidence: 'high' };

/** Characters of context read on each side of a match (a minified line is not read whole). */
const CONTEXT = 120;

/**
 * Words that mark a value as made up, in one case throughout (`EXAMPLE`, `fake`): a random key
 * holds one by chance about once in 10^5 keys.
 */
const MADE_UP_VALUE =
  /EXAMPLE|example|SAMPLE|sample|DUMMY|dummy|FAKE|fake|PLACEHOLDER|placeholder|NOTREAL|notreal/;

/** An identifier or word next to the value that says the value is made up: `fakeKey`, `FAKE_TOKEN`, `mockToken`. */
const MADE_UP_CONTEXT =
  /(?:^|[^A-Za-z])(?:fake|dummy|mock|example|sample|placeholder|redacted)|[a-z](?:Fake|Dummy|Mock|Example|Sample|Placeholder)|(?:FAKE|DUMMY|MOCK|EXAMPLE|SAMPLE|PLACEHOLDER)|not[ _-]?a[ _-]?real/i;

/** Rules whose shape is too plain to count without context, and the context that makes them count. */
const NEEDS_CONTEXT: Readonly<Record<string, RegExp>> = {
  // `s.` + 24 letters and digits: also a minified property access. Counts after a Vault word.
  'vault-legacy': /vault|token|X-Vault/i,
};

/** Rules whose match follows `/` as part of an address: not a base64 fragment. */
const IN_ADDRESS = new Set(['slack-webhook', 'discord-webhook', 'telegram', 'telegram-context', 'header']);

const BASE64_CHAR = /[A-Za-z0-9+/=]/;

/** A run of `length` or more base64 characters (with `+` or `/`) right before `start` or after `end`. */
function insideBase64(text: string, start: number, end: number): boolean {
  const before = text.charAt(start - 1);
  const after = text.charAt(end);
  if (before !== '+' && before !== '/' && after !== '+' && after !== '/' && after !== '=') return false;
  let left = start;
  while (left > 0 && start - left < 64 && BASE64_CHAR.test(text.charAt(left - 1))) left -= 1;
  let right = end;
  while (right < text.length && right - end < 64 && BASE64_CHAR.test(text.charAt(right))) right += 1;
  return start - left + (right - end) >= 16;
}

/**
 * Whether `value` is mostly repeats (`abc123xyz-abc123xyz-…`): a piece of six characters taken at a
 * quarter, a half or three quarters of it occurs three times or more. In a random key each occurs
 * once; the test is a few `indexOf` calls, not a count of every piece.
 */
function repetitive(value: string): boolean {
  if (value.length < 24) return false;
  for (const at of [0.25, 0.5, 0.75]) {
    const from = Math.floor(value.length * at);
    const piece = value.slice(from, from + 6);
    let count = 0;
    for (let index = value.indexOf(piece); index >= 0; index = value.indexOf(piece, index + 1)) {
      count += 1;
      if (count >= 3) return true;
    }
  }
  return false;
}

/** A run of six identical letters or eight identical digits (a loop: a back-reference is slower). */
function repeatedRun(value: string): boolean {
  let run = 1;
  for (let index = 1; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    run = code === value.charCodeAt(index - 1) ? run + 1 : 1;
    if (run >= 6 && ((code >= 65 && code <= 90) || (code >= 97 && code <= 122))) return true;
    if (run >= 8 && code >= 48 && code <= 57) return true;
  }
  return false;
}

/** A run of 8 or more characters in alphabetical or numerical order (`abcdefgh`, `12345678`). */
function sequence(value: string): boolean {
  let run = 1;
  for (let index = 1; index < value.length; index += 1) {
    const step = value.charCodeAt(index) - value.charCodeAt(index - 1);
    run = step === 1 ? run + 1 : 1;
    if (run >= 8) return true;
  }
  return false;
}

/**
 * The confidence of a match of `rule` at `text[start, end)`. Low when the value is a placeholder
 * (`placeholders.ts`), holds a made-up word or a long run of one character or of a sequence, is
 * mostly repeats, sits inside a base64 blob, sits next to a name that says it is fake (`fakeKey`,
 * `MOCK_TOKEN`), or, for a shape that needs it, lacks its context; a credential header whose
 * value is an address is low too.
 */
export function judgeFinding(rule: string, text: string, start: number, end: number): Judgement {
  const value = text.slice(start, end);
  const kind = value.length <= 256 ? placeholderKind(value) : undefined;
  if (kind !== undefined) return { confidence: 'low', reason: `a ${kind}` };
  if (repeatedRun(value) || value.includes('XXXX') || value.includes('xxxx'))
    return { confidence: 'low', reason: 'a placeholder (repeated characters)' };
  if (MADE_UP_VALUE.test(value)) return { confidence: 'low', reason: 'a made-up value (says so)' };
  if (sequence(value) || repetitive(value))
    return { confidence: 'low', reason: 'a patterned value, not random' };
  if (rule === 'header' && /:\/\//.test(value))
    return { confidence: 'low', reason: 'an address, not a credential' };
  if (!IN_ADDRESS.has(rule) && insideBase64(text, start, end))
    return { confidence: 'low', reason: 'part of a base64 blob' };
  const lineStart = Math.max(text.lastIndexOf('\n', start - 1) + 1, start - CONTEXT);
  let lineEnd = text.indexOf('\n', end);
  if (lineEnd < 0 || lineEnd > end + CONTEXT) lineEnd = Math.min(text.length, end + CONTEXT);
  const around = `${text.slice(lineStart, start)} ${text.slice(end, lineEnd)}`;
  if (MADE_UP_CONTEXT.test(around)) return { confidence: 'low', reason: 'a fixture that names itself fake' };
  const context = NEEDS_CONTEXT[rule];
  if (context !== undefined && !context.test(around))
    return { confidence: 'low', reason: 'this shape counts only next to a name for it' };
  return HIGH;
}
