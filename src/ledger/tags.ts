/**
 * Tags: free-form attribution of calls (`user`, `team`, `customer`, `env`), set on a client
 * (`tags` option) and per call (`withTags()`), recorded on each ledger event, and usable in
 * totals (`by: ['tag:team']`), budgets (`scope: 'tag:team'`) and `keycard usage --by tag:team`.
 * Per-call tags travel in an `AsyncLocalStorage`, so they reach every SDK's requests (and
 * `createFetch`'s) without touching the SDK's options.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { KeycardError } from '../errors.js';
import { redactText } from '../redact/redactor.js';

/** Tags of a call: a tag name (`team`) and its value (`'billing'`). */
export type Tags = Readonly<Record<string, string>>;

/** A tag name: a letter, then letters, digits, `_`, `.` or `-`; 64 characters at most. */
export const TAG_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** The longest tag value, in characters. */
export const MAX_TAG_VALUE = 200;
/** The most tags a call may carry (the client's and its own together). */
export const MAX_TAGS = 16;

/** No tags: the `tags` of an event recorded without any. */
export const NO_TAGS: Tags = Object.freeze({});

/**
 * Why `tags` are not tags, in one sentence naming the first wrong one; `undefined` when they are.
 * Values are never shown: a value may be a secret pasted in the wrong place.
 */
export function tagsProblem(tags: unknown, where: string): string | undefined {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    return `${where} must be an object of tag names and string values, such as { team: 'billing' }`;
  }
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS)
    return `${where} has ${entries.length} tags; at most ${MAX_TAGS} are allowed`;
  for (const [key, value] of entries) {
    if (!TAG_KEY.test(key)) {
      return `${where} has a tag named ${JSON.stringify(key.slice(0, 70))}; a tag name starts with a letter and holds letters, digits, _, . and - (64 characters at most)`;
    }
    if (typeof value !== 'string') {
      return `${where}.${key} must be a string, not ${value === null ? 'null' : typeof value}`;
    }
    if (value.length > MAX_TAG_VALUE) {
      return `${where}.${key} is ${value.length} characters long; a tag value has ${MAX_TAG_VALUE} at most`;
    }
  }
  return undefined;
}

/** `tags`, checked (a `KeycardError` naming the first wrong one), redacted and frozen. */
export function checkedTags(tags: unknown, where: string): Tags {
  const problem = tagsProblem(tags, where);
  if (problem !== undefined) throw new KeycardError(`${problem}.`);
  return redactedTags(tags as Tags);
}

/**
 * Tags as they are stored: a value that holds a key (a key shape, or a secret this process
 * resolved) is stored redacted, never in clear.
 */
export function redactedTags(tags: Tags): Tags {
  const keys = Object.keys(tags);
  if (keys.length === 0) return NO_TAGS;
  const out: Record<string, string> = {};
  for (const key of keys) out[key] = redactText(tags[key] as string);
  return Object.freeze(out);
}

/**
 * One storage for every copy of keycard in the process (an ESM and a CommonJS copy, two
 * versions): tags set with one copy's `withTags` reach the clients of the other.
 */
const STORAGE = Symbol.for('keycard.tags');
const shared = globalThis as { [STORAGE]?: AsyncLocalStorage<Tags> };
shared[STORAGE] ??= new AsyncLocalStorage<Tags>();
const storage: AsyncLocalStorage<Tags> = shared[STORAGE];

/**
 * Runs `run` with `tags` on every call it makes through keycard's clients (and `createFetch`'s
 * fetch), in its own code and in everything it awaits: the tags are recorded on each ledger
 * event, on top of the client's `tags` option (a per-call tag wins over the client's of the same
 * name). Nested `withTags` add to the tags around them. Returns what `run` returns.
 *
 * Tag names start with a letter and hold letters, digits, `_`, `.` and `-` (64 characters at
 * most); values are strings of 200 characters at most; 16 tags at most (nested `withTags`
 * together). A value that looks like a key is stored redacted.
 * @example
 * import { createClient, withTags } from 'keycard';
 *
 * const openai = await createClient('openai', 'env:OPENAI_API_KEY', { tags: { team: 'search' } });
 * await withTags({ user: 'u-42', customer: 'acme' }, () =>
 *   openai.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
 * );
 * @see docs/ledger.md, "Tags"
 */
export function withTags<T>(tags: Readonly<Record<string, string>>, run: () => T): T {
  const own = checkedTags(tags, 'withTags(tags)');
  const outer = storage.getStore();
  const merged = outer === undefined ? own : mergeTags(outer, own);
  if (Object.keys(merged).length > MAX_TAGS) {
    throw new KeycardError(
      `withTags(tags): a call carries at most ${MAX_TAGS} tags (nested withTags together).`,
    );
  }
  return storage.run(merged, run);
}

/** The tags of the current call (`withTags`), if any. */
export function currentTags(): Tags | undefined {
  return storage.getStore();
}

/** `base` with `over` on top (frozen). */
export function mergeTags(base: Tags, over: Tags): Tags {
  if (base === NO_TAGS) return over;
  if (over === NO_TAGS) return base;
  return Object.freeze({ ...base, ...over });
}

/** Whether `tags` hold any tag (cheap for the common case: none). */
export function hasTags(tags: Tags | undefined): tags is Tags {
  if (tags === undefined || tags === null || tags === NO_TAGS) return false;
  for (const key in tags) if (Object.hasOwn(tags, key)) return true;
  return false;
}

/** The tag name of a `tag:NAME` dimension or scope; `undefined` for anything else. */
export function tagKeyOf(dimension: string): string | undefined {
  if (!dimension.startsWith('tag:')) return undefined;
  const key = dimension.slice(4);
  return TAG_KEY.test(key) ? key : undefined;
}
