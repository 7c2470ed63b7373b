/**
 * The redactor: every secret registered in this process (in clear and URL-encoded) and every key
 * shape keycard knows (`patterns.ts`) is replaced by a label such as
 * `[REDACTED openai sk-proj-****wxyz]`. Strings, errors (message, stack, `cause` chain, own
 * properties) and plain objects are handled without changing the input.
 *
 * Speed: one pass over the text finds the triggers (what every key contains, `patterns.ts`): a
 * WebAssembly SIMD loop tests 16 bytes at a time for all of them (`trigger-scan.ts`), and each
 * position it reports is confirmed by the trigger expressions; a short text goes through the
 * expressions alone. Only the lines holding a trigger are matched in full, each once. A text
 * without a trigger costs that one pass. Every pattern starts at a literal and bounds what it
 * repeats, so the time stays linear in the length of a line, however hostile
 * (`test/redact/hostile.test.ts`). The expressions are rebuilt only when a secret is registered.
 * @module
 */

import { placeholderKind } from '../keys/placeholders.js';
import { fingerprintKey, maskKey } from '../secret.js';
import { type Confidence, judgeFinding } from './confidence.js';
import {
  escapeRegExp,
  KEY_PATTERNS,
  keyPatternsVersion,
  literalTrigger,
  shannonEntropy,
} from './patterns.js';
import { secretRegistry } from './registry.js';
import { type ByteTest, createTriggerScanner, type TriggerScanner } from './trigger-scan.js';

interface Matcher {
  readonly version: number;
  /**
   * What the byte scan looks for: the byte tests of the shapes' triggers, and of the registered
   * secrets it would not report already.
   */
  readonly scanTests: readonly (readonly ByteTest[])[];
  /** Whether a trigger is at `lastIndex` (sticky): confirms what the byte scan found. */
  readonly confirm: RegExp;
  /** The first trigger from `lastIndex` on (global): the scan where the byte scan is not used. */
  readonly search: RegExp;
  /** The byte scan: built on the first long text; undefined where WebAssembly is not available. */
  scanner?: TriggerScanner | undefined;
  /**
   * Whether every trigger is ASCII, so that the byte scan and the expressions read UTF-8 bytes
   * as they read the decoded text (a registered secret with other characters is not).
   */
  readonly ascii: boolean;
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

/** The index in KEY_PATTERNS of the header credential. */
const HEADER_INDEX = KEY_PATTERNS.findIndex((pattern) => pattern.id === 'header');

/** The shapes' triggers, each once (`sk-` is both OpenAI's and Anthropic's). */
let PATTERN_TRIGGERS = uniqueTriggers();
/** The patterns `PATTERN_TRIGGERS` and the matcher were built for (providers may add some). */
let builtForPatterns = keyPatternsVersion();

function uniqueTriggers() {
  return [
    ...new Map(
      KEY_PATTERNS.flatMap((pattern) => pattern.triggers).map((trigger) => [trigger.source, trigger]),
    ).values(),
  ];
}

/**
 * Texts shorter than this are scanned with `search` alone: for a log line, copying it into
 * WebAssembly memory costs more than the expression.
 */
const BYTE_SCAN_MIN = 1024;

/** Unconfirmed positions on one line after which the line is matched whole. */
const MAX_UNCONFIRMED = 16;

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

/** The triggers and expressions, rebuilt only when a secret has been registered since the last build. */
function currentMatcher(): Matcher {
  const registry = secretRegistry();
  const version = registry.version();
  if (matcher?.version === version && builtForPatterns === keyPatternsVersion()) return matcher;
  if (builtForPatterns !== keyPatternsVersion()) {
    builtForPatterns = keyPatternsVersion();
    PATTERN_TRIGGERS = uniqueTriggers();
  }
  const replacements = new Map<string, string>();
  registry.forEach((value, replacement) => {
    replacements.set(value, replacement);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) replacements.set(encoded, replacement);
  });
  // Longest first, so that a secret containing another is replaced whole.
  const secrets = [...replacements.keys()].sort((a, b) => b.length - a.length);
  const exact = secrets.map(escapeRegExp);
  const secretTriggers = secrets.map(literalTrigger);
  const sources = [...new Set([...PATTERN_TRIGGERS, ...secretTriggers].map(({ source }) => source))];
  const alternatives = sources.join('|');
  matcher = {
    version,
    scanTests: [
      ...PATTERN_TRIGGERS.map(({ bytes }) => bytes),
      ...secretTriggers
        .filter((_trigger, index) => !reportedAlready(secrets[index] ?? ''))
        .map(({ bytes }) => bytes),
    ],
    ascii: sources.every((source) => /^[\x20-\x7e]*$/.test(source)),
    confirm: new RegExp(alternatives, 'y'),
    search: new RegExp(alternatives, 'g'),
    full: compile([-1, ...KEY_PATTERNS.map((_pattern, index) => index)], exact),
    shapes: compile(
      KEY_PATTERNS.map((_pattern, index) => index).filter((index) => index !== HEADER_INDEX),
      [],
    ),
    replacements,
  };
  return matcher;
}

/**
 * Whether the byte scan already reports the start of `secret` wherever it is: a pattern's
 * trigger whose tests all fall inside it hold there (`sk-` for `sk-proj-…`). Its own tests are
 * then left out, and the scan stays the one built for the shapes.
 */
function reportedAlready(secret: string): boolean {
  return PATTERN_TRIGGERS.some(({ bytes }) =>
    bytes.every(([offset, chars]) => {
      if (offset < 0 || offset >= secret.length) return false;
      const byte = secret.charCodeAt(offset) & 0xff;
      for (let index = 0; index < chars.length; index += 1)
        if ((chars.charCodeAt(index) & 0xff) === byte) return true;
      return false;
    }),
  );
}

/**
 * Builds now what the first long text would: the byte scan for the secrets registered so far
 * (`keycard mask` calls it when it starts, before reading its input).
 */
export function prepareRedaction(): void {
  scannerOf(currentMatcher());
}

/** The byte scan of `current`, built on first use; undefined where WebAssembly is not available. */
function scannerOf(current: Matcher): TriggerScanner | undefined {
  if (!('scanner' in current)) current.scanner = createTriggerScanner(current.scanTests);
  return current.scanner;
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
 * Calls `visit` for every key in `text`, in order, with its offsets, group and label. One pass
 * over the text finds the triggers (the byte scan, each position it reports confirmed by the
 * trigger expressions; or, for a short text, the expressions alone); each line holding one is
 * matched whole, once, and the pass goes on after it.
 */
function eachKey(
  text: string,
  current: Matcher,
  visit: (start: number, end: number, group: number, label: string) => void,
): void {
  /** Matches the line around `position`; returns where the next line starts. */
  const line = (position: number): number => {
    const lineStart = text.lastIndexOf('\n', position) + 1;
    let lineEnd = text.indexOf('\n', position);
    if (lineEnd < 0) lineEnd = text.length;
    eachKeyInLine(text.slice(lineStart, lineEnd), current, (start, end, group, label) =>
      visit(lineStart + start, lineStart + end, group, label),
    );
    return lineEnd + 1;
  };
  if (text.length >= BYTE_SCAN_MIN) {
    const scanner = scannerOf(current);
    // Where the byte scan reports many positions on a line that the expressions do not confirm
    // (`.abcdef.abcdef…`), the line is matched whole instead: one pass, as for a trigger.
    let failingLineEnd = -1;
    let failures = 0;
    const scanned = scanner?.scan(text, (position) => {
      current.confirm.lastIndex = position;
      if (current.confirm.test(text)) return line(position);
      if (position > failingLineEnd) {
        failingLineEnd = text.indexOf('\n', position);
        if (failingLineEnd < 0) failingLineEnd = text.length;
        failures = 0;
      }
      failures += 1;
      return failures > MAX_UNCONFIRMED ? line(position) : position + 1;
    });
    if (scanned === true) return;
  }
  const { search } = current;
  search.lastIndex = 0;
  let hit = search.exec(text);
  while (hit !== null) {
    const next = line(hit.index);
    if (next >= text.length) return;
    search.lastIndex = next;
    hit = search.exec(text);
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

/**
 * Returns UTF-8 `bytes` with every registered secret and every known key shape replaced, as
 * {@link redactText} does on the decoded text; the same bytes when there is none. Only the lines
 * where the byte scan finds a trigger are decoded (`keycard mask` reads and writes bytes).
 */
export function redactBytes(bytes: Uint8Array): Uint8Array {
  const pieces = redactBytesInPieces(bytes);
  return pieces.length === 1 ? (pieces[0] ?? bytes) : Buffer.concat(pieces);
}

/**
 * {@link redactBytes} as pieces to write one after the other: views of `bytes` where nothing
 * changes, the redacted lines between them (no copy of the rest).
 */
export function redactBytesInPieces(bytes: Uint8Array): Uint8Array[] {
  const current = currentMatcher();
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  /** Start and end of each line to redact, in order. */
  const lines: number[] = [];
  let lineStart = 0;
  let lineEnd = -1;
  /** The line as Latin-1 (a character per byte): the trigger expressions are ASCII. */
  let line = '';
  let failures = 0;
  const scanned =
    current.ascii &&
    scannerOf(current)?.scanBytes(buffer, (position) => {
      if (position > lineEnd) {
        lineStart = buffer.lastIndexOf(10, position) + 1;
        lineEnd = buffer.indexOf(10, position);
        if (lineEnd < 0) lineEnd = buffer.length;
        line = buffer.toString('latin1', lineStart, lineEnd);
        failures = 0;
      }
      current.confirm.lastIndex = position - lineStart;
      if (!current.confirm.test(line)) {
        failures += 1;
        if (failures <= MAX_UNCONFIRMED) return position + 1;
      }
      lines.push(lineStart, lineEnd);
      return lineEnd + 1;
    });
  if (scanned !== true) {
    const text = buffer.toString('utf8');
    const redacted = redactText(text);
    return [redacted === text ? bytes : Buffer.from(redacted)];
  }
  const parts: Uint8Array[] = [];
  let done = 0;
  for (let index = 0; index < lines.length; index += 2) {
    const start = lines[index] ?? 0;
    const end = lines[index + 1] ?? 0;
    const text = buffer.toString('utf8', start, end);
    const redacted = redactText(text);
    if (redacted === text) continue;
    parts.push(buffer.subarray(done, start), Buffer.from(redacted));
    done = end;
  }
  if (parts.length === 0) return [bytes];
  if (done < buffer.length) parts.push(buffer.subarray(done));
  return parts;
}

/**
 * The lines of UTF-8 `bytes` that may hold a key, as byte offsets `[start, end, start, end, …]`
 * in order (`end` at the line's `\n` or at the end): those where the byte scan finds a trigger
 * that the trigger expressions confirm, read from `skip` bytes into the line (1 for the lines of
 * a patch, after their `+`). {@link findSecrets} on each line's decoded text (from `start +
 * skip`) finds what it would find in the whole text, and a line not listed holds no key: the
 * scanner decodes only these. Undefined where the byte scan is not available (no WebAssembly, or
 * a registered secret that is not ASCII): scan the decoded text whole then.
 */
export function triggerLines(bytes: Uint8Array, skip = 0): number[] | undefined {
  const current = currentMatcher();
  if (!current.ascii) return undefined;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reach = TRIGGER_REACH + longestSecret(current);
  const lines: number[] = [];
  let lineStart = 0;
  let lineEnd = -1;
  /** The line, or the part of a long line around the position, as Latin-1; from `from`. */
  let text = '';
  let from = 0;
  /** Where `text` ends, when not at the end of the line. */
  let to = 0;
  const scanned = scannerOf(current)?.scanBytes(buffer, (position) => {
    if (position > lineEnd) {
      lineStart = buffer.lastIndexOf(10, position) + 1;
      lineEnd = buffer.indexOf(10, position);
      if (lineEnd < 0) lineEnd = buffer.length;
      to = -1;
    }
    if (position < lineStart + skip) return position + 1;
    if (position + reach > to) {
      // A long line (minified code, a source map) is read around each position, not whole.
      from = Math.max(lineStart + skip, position - TRIGGER_REACH);
      const end = lineEnd - from <= 4 * reach ? lineEnd : position + 2 * reach;
      text = buffer.toString('latin1', from, end);
      to = end === lineEnd ? Number.POSITIVE_INFINITY : end;
    }
    current.confirm.lastIndex = position - from;
    if (!current.confirm.test(text)) return position + 1;
    lines.push(lineStart, lineEnd);
    return lineEnd + 1;
  });
  return scanned === true ? lines : undefined;
}

/**
 * How far around its origin a trigger expression reads, at most (its lookbehind, the trigger
 * itself), besides a registered secret's own length: the longest reaches 25 characters back.
 */
const TRIGGER_REACH = 256;

const longestSecrets = new WeakMap<Matcher, number>();

/** The length of the longest registered secret (in clear or URL-encoded). */
function longestSecret(current: Matcher): number {
  let longest = longestSecrets.get(current);
  if (longest === undefined) {
    longest = 0;
    for (const secret of current.replacements.keys()) longest = Math.max(longest, secret.length);
    longestSecrets.set(current, longest);
  }
  return longest;
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
  /**
   * Which rule found it: a pattern id of `patterns.ts` (`openai`, `slack-webhook`, `aws-access-key`,
   * …) or `registered` for a secret keycard read.
   */
  rule: string;
  /**
   * `high`: a key. `low`: matched a key's shape, but looks like a placeholder, a fixture that names
   * itself fake, or a shape that needs context it does not have (`docs/cli.md`, scan). The
   * redactor replaces both.
   */
  confidence: Confidence;
  /** Why a finding is `low`. */
  reason?: string | undefined;
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
      rule: pattern?.id ?? 'registered',
      // A secret keycard read is a key wherever it is.
      ...(pattern === undefined ? { confidence: 'high' } : judgeFinding(pattern.id, text, start, end)),
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
