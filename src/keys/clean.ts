/**
 * Cleaning a key value the way people really store keys, and refusing what cannot be a key.
 *
 * Cleaned silently: surrounding whitespace and line breaks, a byte-order mark, and one pair of
 * matching surrounding quotes; for a Discord bot token, the `Bot ` of its header. Everything else that is wrong (an inner space or line break, a
 * control or non-ASCII character, a placeholder, a masked or shortened key, a value too short)
 * is a `CredentialError` that names the source and says what to do, and never contains the
 * value or any part of it.
 * @module
 */
import { CredentialError, type CredentialReason } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';
import { type PlaceholderKind, placeholderKind } from './placeholders.js';
import { KEY_SHAPES, keyLabel, keyOrigin } from './shapes.js';

/** Values shorter than this are refused: no provider issues keys this short. */
export const MIN_KEY_LENGTH = 8;

/** Where a value came from, for messages and the error's fields. */
export interface CleanContext {
  /** The `describe()` of the key source; set as the error's `source` and named in messages. */
  source: string;
  /** The provider the key is for, when known: it makes messages and hints specific. */
  provider?: ProviderId | undefined;
  /**
   * A more precise place to name in messages than `source`, e.g. `env:GOOGLE_API_KEY` when the
   * source is `env:GEMINI_API_KEY|GOOGLE_API_KEY`. Default: `source`.
   */
  origin?: string | undefined;
}

const QUOTES = new Set(['"', "'", '`']);

/**
 * The cleaning steps alone, without any check: surrounding whitespace, line breaks and BOM,
 * then one pair of matching surrounding quotes, then whitespace again.
 *
 * @example
 * stripKeyValue('\uFEFF"abc"\r\n'); // 'abc'
 */
export function stripKeyValue(raw: string): string {
  // String.prototype.trim removes CR, LF, tabs, no-break spaces and U+FEFF (the BOM) as well.
  let value = raw.trim();
  const first = value[0];
  if (value.length >= 2 && first !== undefined && QUOTES.has(first) && value.endsWith(first)) {
    value = value.slice(1, -1).trim();
  }
  return value;
}

/**
 * Whether `raw` holds nothing once cleaned (empty, whitespace, a BOM, or empty quotes).
 *
 * @example
 * isBlankKeyValue(' "" '); // true
 */
export function isBlankKeyValue(raw: string): boolean {
  return stripKeyValue(raw) === '';
}

/**
 * Cleans `raw` and returns the key, or throws a `CredentialError` naming `context.source`:
 * `missing` when nothing is left, `malformed` for anything that cannot be a key. Messages give
 * positions and kinds of characters, never the value.
 *
 * @example
 * cleanKeyValue(' "sk-…"\n', { source: 'env:OPENAI_API_KEY', provider: 'openai' }); // 'sk-…'
 */
export function cleanKeyValue(raw: string, context: CleanContext): string {
  if (typeof raw !== 'string') {
    // A JavaScript caller passed `undefined` (an unset variable) or something else.
    if (raw === undefined || raw === null) throw missingError(context);
    throw fail(context, 'malformed', `is a ${typeof raw}, not a string.`, 'Pass the key as a string.');
  }
  let value = stripKeyValue(raw);
  // Discord: the header's `Bot ` prefix, pasted with the token (`Authorization: Bot <token>`).
  if (context.provider === 'discord') value = value.replace(/^Bot[ \t]+(?=\S+$)/i, '');
  if (value === '') throw missingError(context);

  const assignment = /^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*[^=\s]/.test(value);
  if (assignment) {
    throw fail(
      context,
      'malformed',
      'holds a whole NAME=value assignment, not just the key.',
      `Store only the value after "=" in ${where(context)}.`,
    );
  }

  const placeholder = placeholderKind(value);
  if (placeholder !== undefined) throw placeholderError(context, placeholder);

  const character = firstBadCharacter(value);
  if (character !== undefined) throw fail(context, 'malformed', character.message, character.hint);

  if (value.length < MIN_KEY_LENGTH) {
    throw fail(
      context,
      'malformed',
      `is only ${value.length} characters long, too short to be a key.`,
      context.provider === undefined
        ? 'Copy the whole key: the value was cut off or is not a key.'
        : `Copy the whole key from ${KEY_SHAPES[context.provider].keyFrom}: the value was cut off or is not a key.`,
    );
  }
  return value;
}

function where(context: CleanContext): string {
  return context.origin ?? context.source;
}

function fail(context: CleanContext, reason: CredentialReason, what: string, hint: string): CredentialError {
  return new CredentialError({
    reason,
    message: `The ${keyLabel(context.provider)} from ${where(context)} ${what}`,
    hint,
    provider: context.provider,
    source: context.source,
  });
}

function missingError(context: CleanContext): CredentialError {
  const origin = where(context);
  const envName = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(origin)?.[1];
  let hint = `Put ${keyOrigin(context.provider)} in ${origin}.`;
  if (envName !== undefined) hint = `Set ${envName} to ${keyOrigin(context.provider)}.`;
  else if (origin === 'literal') {
    hint = `Pass ${keyOrigin(context.provider)} to keys.literal(), or read it from a variable with keys.env('NAME').`;
  }
  return fail(context, 'missing', 'is empty.', hint);
}

function placeholderError(context: CleanContext, kind: PlaceholderKind): CredentialError {
  const from = keyOrigin(context.provider);
  const real = context.provider === undefined ? 'your real key' : `your real ${from.replace(/^the /, '')}`;
  switch (kind) {
    case 'template':
      return fail(
        context,
        'malformed',
        'looks like an unexpanded variable or template placeholder, not a key.',
        `Replace the placeholder with ${real}, or make sure the variable is expanded (check your shell, .env loader or CI secret settings).`,
      );
    case 'masked':
      return fail(
        context,
        'malformed',
        'looks like a masked key (it contains * or •), as dashboards and logs show keys, not the key itself.',
        `Replace the placeholder with ${real}: the full key is shown only once, when it is created, so create a new one if you no longer have it.`,
      );
    case 'shortened':
      return fail(
        context,
        'malformed',
        'looks like a shortened key (it contains an ellipsis), not the whole key.',
        `Replace the placeholder with ${real}, copied whole.`,
      );
    case 'redacted':
      return fail(
        context,
        'malformed',
        'looks like a redacted value copied from a log, not a key.',
        `Replace the placeholder with ${real}.`,
      );
    case 'placeholder':
      return fail(
        context,
        'malformed',
        'looks like a placeholder, not a key.',
        `Replace the placeholder with ${real}.`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Characters
// ---------------------------------------------------------------------------------------------

interface BadCharacter {
  message: string;
  hint: string;
}

function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What a non-ASCII character probably is: look-alikes that editors and chat apps swap in. */
function nonAsciiKind(code: number): string {
  if ([0x2018, 0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x00ab, 0x00bb].includes(code))
    return 'a typographic quote';
  if (
    code === 0x00a0 ||
    (code >= 0x2000 && code <= 0x200d) ||
    [0x202f, 0x205f, 0x2060, 0x3000, 0xfeff].includes(code)
  ) {
    return 'an invisible or non-breaking space';
  }
  if ((code >= 0x2010 && code <= 0x2015) || code === 0x2212) return 'a typographic dash';
  return 'a non-ASCII character';
}

/** The first character no key can contain, described by kind and position, never shown. */
function firstBadCharacter(value: string): BadCharacter | undefined {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.codePointAt(index) ?? 0;
    const at = `at character ${index + 1}`;
    if (code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029) {
      const lines = value.split(/\r\n|\r|\n|\u2028|\u2029/).length;
      return {
        message: `contains a line break ${at} (it spans ${lines} lines).`,
        hint: 'Keep only the key, on one line: remove the line break and anything else that was pasted with the key.',
      };
    }
    if (code === 0x20 || code === 0x09) {
      return {
        message: `contains ${code === 0x09 ? 'a tab' : 'a space'} ${at}.`,
        hint: 'Remove the whitespace: keys contain no spaces, so the key was split or has extra text next to it.',
      };
    }
    if (code < 0x20 || code === 0x7f) {
      return {
        message: `contains a control character (${codePoint(code)}) ${at}.`,
        hint: 'Remove the control character: copy the key again as plain text.',
      };
    }
    if (code > 0x7e) {
      return {
        message: `contains ${nonAsciiKind(code)} (${codePoint(code)}) ${at}.`,
        hint: 'Copy the key again as plain text: keys are plain ASCII, and editors and chat apps swap in look-alike characters.',
      };
    }
  }
  return undefined;
}

/**
 * The error for a key passed where a name, path or spec was expected (`keys.env(key)`,
 * `keys.from(key)`): `malformed`, without the value. `source` names the call, e.g. `keys.env()`.
 *
 * @example
 * // keys.env() was given something shaped like a key instead of a variable's name:
 * throw misplacedKeyError('an environment variable name', "Pass the variable's name.", 'keys.env()');
 */
export function misplacedKeyError(
  expected: string,
  hint: string,
  source: string,
  provider?: ProviderId,
): CredentialError {
  return new CredentialError({
    reason: 'malformed',
    message: `A key was passed to ${source} where ${expected} was expected (it is not shown here).`,
    hint,
    provider,
    source,
  });
}
