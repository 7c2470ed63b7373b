/**
 * Exact-value redaction: every secret registered in this process, in clear and URL-encoded,
 * is replaced by a label such as `[REDACTED openai sk-proj-****wxyz]`. Strings, errors (message,
 * stack, `cause` chain, own properties) and plain objects are handled without changing the input.
 * @module
 */
import { secretRegistry } from './registry.js';

interface Matcher {
  readonly version: number;
  readonly pattern: RegExp | undefined;
  readonly replacements: ReadonlyMap<string, string>;
}

let matcher: Matcher | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One combined pattern, rebuilt only when a secret has been registered since the last build. */
function currentMatcher(): Matcher {
  const registry = secretRegistry();
  if (matcher?.version === registry.version) return matcher;
  const replacements = new Map<string, string>();
  for (const { value, replacement } of registry.secrets.values()) {
    replacements.set(value, replacement);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) replacements.set(encoded, replacement);
  }
  // Longest first, so that a secret containing another is replaced whole.
  const alternatives = [...replacements.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  matcher = {
    version: registry.version,
    pattern: alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'g') : undefined,
    replacements,
  };
  return matcher;
}

/** Returns `text` with every registered secret replaced by its label. */
export function redactText(text: string): string {
  const { pattern, replacements } = currentMatcher();
  if (pattern === undefined) return text;
  return text.replace(pattern, (found) => replacements.get(found) ?? '[REDACTED]');
}

/** Whether `text` contains a registered secret. */
export function containsSecret(text: string): boolean {
  const { pattern } = currentMatcher();
  if (pattern === undefined) return false;
  pattern.lastIndex = 0;
  const found = pattern.test(text);
  pattern.lastIndex = 0;
  return found;
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

function redactInner(value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (depth > 32) return '[Truncated]';
  if (value instanceof Error) return redactErrorInner(value, seen, depth);
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
      copy.append(name, SENSITIVE_HEADERS.has(name) ? '[REDACTED]' : redactText(item));
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
  return copy;
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
