/**
 * The redactor: every secret registered in this process (in clear and URL-encoded) and every key
 * shape keycard knows (`patterns.ts`) is replaced by a label such as
 * `[REDACTED openai sk-proj-****wxyz]`. Strings, errors (message, stack, `cause` chain, own
 * properties) and plain objects are handled without changing the input.
 *
 * Speed: one trigger scan finds the few places where a key could start (literal prefixes, the
 * registered secrets); only the lines around them are matched in full. A text without a trigger
 * costs that one scan. Both expressions are rebuilt only when a secret is registered.
 * @module
 */

import { placeholderKind } from '../keys/placeholders.js';
import { fingerprintKey, maskKey } from '../secret.js';
import { KEY_PATTERNS, shannonEntropy } from './patterns.js';
import { secretRegistry } from './registry.js';

interface Matcher {
  readonly version: number;
  /** Where a key could be: global, cheap. */
  readonly trigger: RegExp;
  /** The full match: group 1 the registered secrets, then one group per pattern. */
  readonly full: RegExp;
  readonly replacements: ReadonlyMap<string, string>;
}

let matcher: Matcher | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Literal or near-literal starts of every pattern. A key can only be where one of these is, so
 * the trigger scan stays fast (V8 skips positions whose character starts none of them).
 */
const TRIGGERS = [
  'sk-',
  'AIza',
  'AQ\\.',
  'xai-',
  'xox',
  'xapp-',
  'hooks\\.slack\\.com',
  'hv[sbr]\\.',
  // Telegram: the colon before the secret part, plain or URL-encoded.
  ':A',
  '%3[Aa]A',
  // Discord: the 6- or 7-character middle segment between two dots.
  '\\.[A-Za-z0-9_-]{6,7}\\.',
  '[sbr]\\.[A-Za-z0-9]{24}',
  '[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz]',
  '[Aa][Pp][Ii][-_][Kk][Ee][Yy]',
];

/** Both expressions, rebuilt only when a secret has been registered since the last build. */
function currentMatcher(): Matcher {
  const registry = secretRegistry();
  const version = registry.version();
  if (matcher?.version === version) return matcher;
  const replacements = new Map<string, string>();
  registry.forEach((value, replacement) => {
    replacements.set(value, replacement);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) replacements.set(encoded, replacement);
  });
  // Longest first, so that a secret containing another is replaced whole.
  const exact = [...replacements.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  // A pattern that can never match keeps the group numbering when no secret is registered.
  const exactGroup = exact.length > 0 ? exact.join('|') : '(?!)';
  const full = [exactGroup, ...KEY_PATTERNS.map((pattern) => pattern.source)].map((source) => `(${source})`);
  matcher = {
    version,
    trigger: new RegExp([...TRIGGERS, ...exact].join('|'), 'g'),
    full: new RegExp(full.join('|'), 'g'),
    replacements,
  };
  return matcher;
}

/** The label for a match of group `group` (0: a registered secret, else a pattern). */
function labelFor(
  found: string,
  group: number,
  replacements: ReadonlyMap<string, string>,
): string | undefined {
  if (group === 0) return replacements.get(found) ?? '[REDACTED]';
  const pattern = KEY_PATTERNS[group - 1];
  if (pattern === undefined) return undefined;
  if (pattern.minEntropy > 0 && shannonEntropy(found) < pattern.minEntropy) return undefined;
  if (pattern.id === 'header' && !credentialValue(found)) return undefined;
  return `[REDACTED ${pattern.label} ${maskKey(found)}]`;
}

/**
 * Whether a value after `Authorization:` or an API-key header is a credential rather than code or
 * a placeholder: not a dotted identifier (`config.apiKey`, `process.env.KEY`) and not
 * `your-api-key-here`. Real credentials are random: long, high-entropy.
 */
function credentialValue(value: string): boolean {
  if (placeholderKind(value) !== undefined) return false;
  // A property path of words (no digits): code, not a random credential.
  if (/^[A-Za-z_$]+(?:\.[A-Za-z_$]+)+$/.test(value)) return false;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value) && shannonEntropy(value) < 4) return false;
  return true;
}

/** Redacts `text` fully (every position). */
function redactAll(text: string, current: Matcher): string {
  const { full, replacements } = current;
  full.lastIndex = 0;
  return text.replace(full, (found: string, ...groups: unknown[]) => {
    for (let index = 0; index <= KEY_PATTERNS.length; index += 1) {
      if (groups[index] !== undefined) return labelFor(found, index, replacements) ?? found;
    }
    return found;
  });
}

/** Lines longer than this are matched in windows around each trigger instead of whole. */
const MAX_LINE = 16 * 1024;
/** Longer than any key, header name and separator together. */
const WINDOW = 1024;

/** Returns `text` with every registered secret and every known key shape replaced by a label. */
export function redactText(text: string): string {
  const current = currentMatcher();
  const { trigger } = current;
  trigger.lastIndex = 0;
  let hit = trigger.exec(text);
  if (hit === null) return text;
  let out = '';
  let done = 0;
  while (hit !== null) {
    let start = text.lastIndexOf('\n', hit.index) + 1;
    let end = text.indexOf('\n', hit.index);
    if (end < 0) end = text.length;
    if (end - start > MAX_LINE) {
      // A very long line: a window around the trigger, widened to whole tokens at its edges.
      start = Math.max(start, done, hit.index - WINDOW);
      end = Math.min(end, hit.index + WINDOW);
      while (start > done && /[^\s"'<>]/.test(text[start - 1] ?? '')) start -= 1;
      while (end < text.length && /[^\s"'<>]/.test(text[end] ?? '')) end += 1;
    }
    start = Math.max(start, done);
    out += text.slice(done, start) + redactAll(text.slice(start, end), current);
    done = end;
    trigger.lastIndex = Math.max(end, hit.index + 1);
    hit = trigger.exec(text);
  }
  return out + text.slice(done);
}

/** A key found in a text: where, what kind, and its label (never the key). */
export interface FoundSecret {
  /** Offset in the text. */
  index: number;
  length: number;
  /** `openai`, `slack`, `telegram`, `discord`, `vault`, `credential`, or a registered secret's provider. */
  label: string;
  /** The masked id, e.g. `sk-proj-****wxyz`. */
  maskedId: string;
  /** 12 hex characters of SHA-256 of the key: stable, not reversible. */
  fingerprint: string;
}

/**
 * Every key in `text` that the redactor would replace, with the same matcher: scanning and
 * redaction always agree.
 */
export function findSecrets(text: string): FoundSecret[] {
  const current = currentMatcher();
  const found: FoundSecret[] = [];
  const { trigger, full, replacements } = current;
  trigger.lastIndex = 0;
  let done = 0;
  let hit = trigger.exec(text);
  while (hit !== null) {
    const start = Math.max(done, text.lastIndexOf('\n', hit.index) + 1);
    let end = text.indexOf('\n', hit.index);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    full.lastIndex = 0;
    for (const match of line.matchAll(full)) {
      const group = match.slice(1).findIndex((value) => value !== undefined);
      const value = match[0];
      const labelText = labelFor(value, group, replacements);
      if (labelText === undefined) continue;
      const pattern = group === 0 ? undefined : KEY_PATTERNS[group - 1];
      const registered = /^\[REDACTED (\S+) /.exec(labelText)?.[1];
      found.push({
        index: start + (match.index ?? 0),
        length: value.length,
        label: pattern?.label ?? registered ?? 'key',
        maskedId: maskKey(value),
        fingerprint: fingerprintKey(value),
      });
    }
    done = end;
    trigger.lastIndex = Math.max(end, hit.index + 1);
    hit = trigger.exec(text);
  }
  return found;
}

/** Whether `text` contains a registered secret or a known key shape. */
export function containsSecret(text: string): boolean {
  return redactText(text) !== text;
}

const SKIPPED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Headers whose values are credentials, whatever they look like. */
const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
]);

/** A credential header's value: the key's label when it is a known key, else `[REDACTED]`. */
function redactCredential(value: string): string {
  const redacted = redactText(value);
  return redacted !== value ? redacted : '[REDACTED]';
}

function redactInner(value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (depth > 32) return '[Truncated]';
  if (value instanceof Error) return redactErrorInner(value, seen, depth);
  if (ArrayBuffer.isView(value)) {
    // Bytes stay bytes: a copy only when they hold a secret as text.
    if (!(value instanceof Uint8Array)) return value;
    const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
    const redacted = redactText(text);
    return redacted === text ? value : Buffer.from(redacted, 'utf8');
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(redactInner(item, seen, depth + 1));
    return copy;
  }
  if (value instanceof Headers) {
    // Kept a Headers, so that `error.headers.get('retry-after')` still works on a redacted error.
    const copy = new Headers();
    for (const [name, item] of value) {
      copy.append(name, SENSITIVE_HEADERS.has(name) ? redactCredential(item) : redactText(item));
    }
    return copy;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    // Class instances (Headers, Response, SDK objects) are not copied member by member; a
    // `toJSON` or string form is redacted instead, so that nothing readable escapes in clear.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return redactInner((value as { toJSON(): unknown }).toJSON(), seen, depth + 1);
    }
    return `[${(value as object).constructor?.name ?? 'Object'}]`;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    if (SKIPPED_KEYS.has(key)) continue;
    // Credential headers are masked by name, whatever their value looks like.
    if (SENSITIVE_HEADERS.has(key.toLowerCase()) && (typeof item === 'string' || Array.isArray(item))) {
      copy[key] =
        typeof item === 'string'
          ? redactCredential(item)
          : item.map((entry) => (typeof entry === 'string' ? redactCredential(entry) : '[REDACTED]'));
      continue;
    }
    copy[key] = redactInner(item, seen, depth + 1);
  }
  return copy;
}

function redactErrorInner(error: Error, seen: WeakMap<object, unknown>, depth: number): Error {
  // A copy with the same prototype keeps `instanceof` and the class name working.
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  seen.set(error, copy);
  for (const key of Reflect.ownKeys(error)) {
    if (typeof key === 'string' && SKIPPED_KEYS.has(key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(error, key);
    if (descriptor === undefined) continue;
    if ('value' in descriptor) descriptor.value = redactInner(descriptor.value, seen, depth + 1);
    else if (descriptor.get !== undefined) {
      // Accessors are read once and frozen into a redacted value.
      let read: unknown;
      try {
        read = descriptor.get.call(error);
      } catch {
        read = undefined;
      }
      Object.defineProperty(copy, key, {
        value: redactInner(read, seen, depth + 1),
        enumerable: descriptor.enumerable ?? false,
        configurable: true,
        writable: true,
      });
      continue;
    }
    Object.defineProperty(copy, key, descriptor);
  }
  keepSlotFields(error, copy, seen, depth);
  return copy;
}

/**
 * A `DOMException` (an `AbortError` or `TimeoutError` from `fetch`) keeps `name`, `message` and
 * `code` in internal slots behind prototype getters, which throw on a copy: the copy gets them as
 * own values, so that reading or printing it never throws.
 */
function keepSlotFields(error: Error, copy: Error, seen: WeakMap<object, unknown>, depth: number): void {
  for (const key of ['name', 'message', 'code']) {
    if (Object.hasOwn(copy, key)) continue;
    try {
      Reflect.get(copy, key);
      continue;
    } catch {
      // read from the original below
    }
    let value: unknown;
    try {
      value = Reflect.get(error, key);
    } catch {
      value = undefined;
    }
    Object.defineProperty(copy, key, {
      value: redactInner(value, seen, depth + 1),
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
}

/**
 * A redacted copy of `error`: same prototype, message, stack, `cause` chain and own properties,
 * with every registered secret replaced. The input is not changed.
 */
export function redactError<T extends Error>(error: T): T {
  return redactErrorInner(error, new WeakMap(), 0) as T;
}

/**
 * A redacted deep copy of `value` (strings, arrays, plain objects, errors). Safe with cycles;
 * `__proto__`, `constructor` and `prototype` keys are dropped. The input is not changed.
 */
export function redactValue<T>(value: T): T {
  return redactInner(value, new WeakMap(), 0) as T;
}
