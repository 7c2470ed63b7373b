/**
 * The redactor: every secret registered in this process (in clear and URL-encoded) and every key
 * shape keycard knows (`patterns.ts`) is replaced by a label such as
 * `[REDACTED openai sk-proj-****wxyz]`. Strings, errors (message, stack, `cause` chain, own
 * properties) and plain objects are handled without changing the input.
 *
 * Speed: one trigger scan finds the lines where a key could be (literal parts of the shapes, the
 * registered secrets); only those lines are matched in full, each once. A text without a trigger
 * costs that one scan. Every pattern starts at a literal and bounds what it repeats, so the time
 * stays linear in the length of a line, however hostile (`test/redact/hostile.test.ts`). The
 * expressions are rebuilt only when a secret is registered.
 * @module
 */

import { placeholderKind } from '../keys/placeholders.js';
import { fingerprintKey, maskKey } from '../secret.js';
import { KEY_PATTERNS, shannonEntropy } from './patterns.js';
import { secretRegistry } from './registry.js';

interface Matcher {
  readonly version: number;
  /** Where a key could be: global, cheap; only the lines it hits are matched in full. */
  readonly trigger: RegExp;
  /** Every pattern and the registered secrets. */
  readonly full: Compiled;
  /** Every shape but the header credential: what a header's value may itself be. */
  readonly shapes: Compiled;
  readonly replacements: ReadonlyMap<string, string>;
}

/** An expression for some patterns: one capturing group each, and what each group is. */
interface Compiled {
  readonly regex: RegExp;
  /** For each group (from 1): 0 the registered secrets, else 1 + the index in KEY_PATTERNS. */
  readonly groups: readonly number[];
}

let matcher: Matcher | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The index in KEY_PATTERNS of the header credential (the one with a prefix). */
const HEADER_INDEX = KEY_PATTERNS.findIndex((pattern) => pattern.prefix !== undefined);

/** The triggers around a dot (see {@link Trigger}). */
const DOT_TRIGGERS = {
  'discord-segment': '\\.[A-Za-z0-9_-]{6,7}\\.',
  'vault-legacy-dot': '[sbr]\\.[A-Za-z0-9]{24}',
} as const;

/**
 * The trigger expression: every pattern's triggers, the registered secrets, the dot shapes last.
 * Literal triggers are grouped by first character (`A(?:Iza|Q\\.)`), and a trigger that starts
 * with another (`sk-ant-` after `sk-`) is dropped: fewer alternatives tried at each position.
 */
function triggerExpression(exact: readonly string[]): RegExp {
  const literals = new Set<string>();
  const anyCase = new Set<string>();
  const dots = new Set<string>();
  for (const pattern of KEY_PATTERNS) {
    for (const trigger of pattern.triggers) {
      if (typeof trigger === 'string') literals.add(trigger);
      else if ('anyCase' in trigger) anyCase.add(trigger.anyCase.toLowerCase());
      else dots.add(DOT_TRIGGERS[trigger.dot]);
    }
  }
  const kept = [...literals].filter(
    (text) => ![...literals].some((other) => other !== text && text.startsWith(other)),
  );
  const byFirst = new Map<string, string[]>();
  for (const text of kept) {
    const first = escapeRegExp(text.charAt(0));
    byFirst.set(first, [...(byFirst.get(first) ?? []), escapeRegExp(text.slice(1))]);
  }
  const anyByFirst = new Map<string, string[]>();
  for (const text of anyCase) {
    const first = caseClass(text.charAt(0));
    anyByFirst.set(first, [...(anyByFirst.get(first) ?? []), [...text.slice(1)].map(caseClass).join('')]);
  }
  const grouped = [...byFirst, ...anyByFirst].map(([first, rests]) =>
    rests.length === 1 ? `${first}${rests[0]}` : `${first}(?:${rests.join('|')})`,
  );
  return new RegExp([...grouped, ...exact, ...dots].join('|'), 'g');
}

/** A character in either case, as a regular expression source: `[Aa]`, or `-` as itself. */
function caseClass(char: string): string {
  return char.toLowerCase() === char.toUpperCase()
    ? escapeRegExp(char)
    : `[${char.toUpperCase()}${char.toLowerCase()}]`;
}

function compile(patterns: readonly number[], exact: readonly string[]): Compiled {
  const sources: string[] = [];
  const groups: number[] = [];
  if (exact.length > 0 && patterns.includes(-1)) {
    sources.push(`(${exact.join('|')})`);
    groups.push(0);
  }
  for (const index of patterns) {
    const pattern = KEY_PATTERNS[index];
    if (pattern === undefined) continue;
    sources.push(`${pattern.prefix ?? ''}(${pattern.source})`);
    groups.push(index + 1);
  }
  return { regex: new RegExp(sources.length > 0 ? sources.join('|') : '(?!)', 'g'), groups };
}

/** The trigger checks and expressions, rebuilt only when a secret has been registered since the last build. */
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
  const secrets = [...replacements.keys()].sort((a, b) => b.length - a.length);
  const exact = secrets.map(escapeRegExp);
  matcher = {
    version,
    trigger: triggerExpression(exact),
    full: compile([-1, ...KEY_PATTERNS.map((_pattern, index) => index)], exact),
    shapes: compile(
      KEY_PATTERNS.map((_pattern, index) => index).filter((index) => index !== HEADER_INDEX),
      [],
    ),
    replacements,
  };
  return matcher;
}

/** How many characters of a match its entropy is measured on. */
const ENTROPY_SAMPLE = 4096;

/** The label for a match of group `group` (0: a registered secret, else a pattern). */
function labelFor(
  found: string,
  group: number,
  replacements: ReadonlyMap<string, string>,
  next: string,
): string | undefined {
  if (group === 0) return replacements.get(found) ?? '[REDACTED]';
  const pattern = KEY_PATTERNS[group - 1];
  if (pattern === undefined) return undefined;
  // The first characters tell a random value from a repeated one; a hostile line's megabyte-long
  // "value" is not read whole.
  const sample = found.length > ENTROPY_SAMPLE ? found.slice(0, ENTROPY_SAMPLE) : found;
  if (pattern.minEntropy > 0 && shannonEntropy(sample) < pattern.minEntropy) return undefined;
  if (pattern.prefix !== undefined && !credentialValue(found, next)) return undefined;
  return `[REDACTED ${pattern.label} ${maskKey(found)}]`;
}

/**
 * Longer values are not checked for placeholder words (`your-api-key-here`) or for the shapes of
 * code: both are short, and the checks would cost more than the scan on a hostile line.
 */
const MAX_PLACEHOLDER = 256;

/**
 * Whether `value` is a name in code made of words: camelCase, PascalCase, snake_case or
 * SCREAMING_CASE (`assertProviderOwnsAuthorization`, `_nullishCoalesce`), every word at least two
 * letters. Random letters split into one-letter words (`aBcD` → a, Bc, D), so a credential is not
 * one. A split, not one regular expression: nested repetitions of words backtrack exponentially.
 */
function isWordsIdentifier(value: string): boolean {
  if (!/^[A-Za-z_$]+$/.test(value)) return false;
  const words = value.split(/[_$]+/).flatMap((part) => part.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+/g) ?? []);
  return words.length > 0 && words.every((word) => word.length >= 2);
}

/**
 * Whether a value after `Authorization:` or an API-key header is a credential rather than code or
 * a placeholder: not a dotted identifier (`config.apiKey`, `process.env.KEY`), not a name made of
 * words (`assertProviderOwnsAuthorization`), not a function called (`_nullishCoalesce(`), and
 * not `your-api-key-here`. Real credentials are random: long, high-entropy.
 */
function credentialValue(value: string, next: string): boolean {
  if (value.length > MAX_PLACEHOLDER) return true;
  if (placeholderKind(value) !== undefined) return false;
  // A call: `api_key: getKey(…)`.
  if (next === '(' && /^[A-Za-z_$][\w$.]*$/.test(value)) return false;
  if (isWordsIdentifier(value)) return false;
  // A property path of words (no digits): code, not a random credential.
  if (/^[A-Za-z_$]+(?:\.[A-Za-z_$]+)+$/.test(value)) return false;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value) && shannonEntropy(value) < 4) return false;
  return true;
}

/**
 * Calls `visit` for every key in `text`, in order, with its offsets, group and label. One loop
 * over the characters finds, line by line, which patterns' triggers the line holds; only those
 * lines are matched, each once, and only against those patterns.
 */
function eachKey(
  text: string,
  current: Matcher,
  visit: (start: number, end: number, group: number, label: string) => void,
): void {
  const { trigger } = current;
  trigger.lastIndex = 0;
  let hit = trigger.exec(text);
  while (hit !== null) {
    // Each line with a trigger is matched once, whole; the scan then goes on after it.
    const lineStart = text.lastIndexOf('\n', hit.index) + 1;
    let lineEnd = text.indexOf('\n', hit.index);
    if (lineEnd < 0) lineEnd = text.length;
    eachKeyInLine(text.slice(lineStart, lineEnd), current, (start, end, group, label) =>
      visit(lineStart + start, lineStart + end, group, label),
    );
    if (lineEnd >= text.length) return;
    trigger.lastIndex = lineEnd + 1;
    hit = trigger.exec(text);
  }
}

/** `[A-Za-z0-9._~+/=:-]`: the characters of a header's value. */
function isHeaderValueChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 58) ||
    code === 46 ||
    code === 95 ||
    code === 126 ||
    code === 43 ||
    code === 47 ||
    code === 61 ||
    code === 45
  );
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/** What matched: 0 a registered secret, else 1 + the index of the pattern in KEY_PATTERNS. */
function groupOf(match: RegExpExecArray, groups: readonly number[]): { group: number; index: number } {
  for (let index = 1; index < match.length; index += 1) {
    if (match[index] !== undefined) return { group: groups[index - 1] ?? -1, index };
  }
  return { group: -1, index: 0 };
}

function eachKeyInLine(
  line: string,
  current: Matcher,
  visit: (start: number, end: number, group: number, label: string) => void,
): void {
  const { shapes, replacements } = current;
  const { regex: full, groups } = current.full;
  full.lastIndex = 0;
  let done = 0;
  let match = full.exec(line);
  while (match !== null) {
    const matched = groupOf(match, groups);
    let group = matched.group;
    let end = match.index + match[0].length;
    let start = end - (match[matched.index]?.length ?? 0);
    if (group === HEADER_INDEX + 1) {
      // A header's value that is itself a known key is labelled as that key.
      const value = line.slice(start, end);
      shapes.regex.lastIndex = 0;
      const shape = shapes.regex.exec(value);
      if (shape !== null) {
        const inner = groupOf(shape, shapes.groups).group;
        let shapeStart = shape.index;
        if (KEY_PATTERNS[inner - 1]?.leadingDigits === true) {
          while (isDigit(value[shapeStart - 1])) shapeStart -= 1;
        }
        if (shapeStart === 0) {
          group = inner;
          end = start + shape.index + shape[0].length;
        }
      }
    }
    const pattern = KEY_PATTERNS[group - 1];
    if (pattern?.leadingDigits === true) {
      while (start > done && isDigit(line[start - 1])) start -= 1;
    }
    if (pattern?.extends === true)
      while (end < line.length && isHeaderValueChar(line.charCodeAt(end))) end += 1;
    const label = labelFor(line.slice(start, end), group, replacements, line[end] ?? '');
    if (label !== undefined) visit(start, end, group, label);
    done = end;
    full.lastIndex = end;
    match = full.exec(line);
  }
}

/** Returns `text` with every registered secret and every known key shape replaced by a label. */
export function redactText(text: string): string {
  let out = '';
  let done = 0;
  eachKey(text, currentMatcher(), (start, end, _group, label) => {
    out += text.slice(done, start) + label;
    done = end;
  });
  return done === 0 ? text : out + text.slice(done);
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
  const found: FoundSecret[] = [];
  eachKey(text, currentMatcher(), (start, end, group, label) => {
    const value = text.slice(start, end);
    const pattern = group === 0 ? undefined : KEY_PATTERNS[group - 1];
    const registered = /^\[REDACTED (\S+) /.exec(label)?.[1];
    found.push({
      index: start,
      length: end - start,
      label: pattern?.label ?? registered ?? 'key',
      maskedId: maskKey(value),
      fingerprint: fingerprintKey(value),
    });
  });
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
