/**
 * Where a secret can be reached from an object by walking it as a curious program would: own
 * properties (string and symbol keys, enumerable or not, getters called), array items, Map and Set
 * entries, boxed and typed-array contents, and prototypes other than the built-in ones. Closures
 * and engine-internal slots (a promise's value, a function's scope) are out of reach, as for any
 * JavaScript code.
 */

import { types } from 'node:util';

const BUILT_IN_PROTOTYPES = new Set<unknown>([
  Object.prototype,
  Function.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Promise.prototype,
  Error.prototype,
]);

/** The paths (`.sdk.options.agent…`) at which a string holding `needle` was found, at most 5. */
export function pathsTo(root: unknown, needles: readonly string[], limit = 300_000): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const queue: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  const check = (text: string, path: string) => {
    if (needles.some((needle) => text.includes(needle))) found.push(path);
  };
  let visited = 0;
  while (queue.length > 0 && found.length < 5 && visited < limit) {
    const { value, path } = queue.shift() as { value: unknown; path: string };
    if (typeof value === 'string') {
      check(value, path);
      continue;
    }
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) continue;
    if (seen.has(value) || BUILT_IN_PROTOTYPES.has(value)) continue;
    seen.add(value);
    visited += 1;
    const push = (item: unknown, at: string) => queue.push({ value: item, path: `${path}${at}` });
    if (ArrayBuffer.isView(value)) {
      check(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'), path);
      continue;
    }
    if (value instanceof URL || value instanceof URLSearchParams) check(String(value), path);
    // The prototype of a Map or Set subclass (discord.js's Collection) is `instanceof Map` but
    // holds no entries: iterating it throws.
    if (value instanceof Map && types.isMap(value)) {
      let index = 0;
      for (const [key, item] of value) {
        push(key, `<map key ${index}>`);
        push(item, `<map value ${index}>`);
        index += 1;
      }
    }
    if (value instanceof Set && types.isSet(value)) {
      let index = 0;
      for (const item of value) push(item, `<set ${index++}>`);
    }
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined) continue;
      const name = typeof key === 'symbol' ? `[${String(key)}]` : `.${key.slice(0, 40)}`;
      if (typeof key === 'string') check(key, `${path}${name}<key>`);
      if ('value' in descriptor) push(descriptor.value, name);
      else if (descriptor.get !== undefined) {
        try {
          push(descriptor.get.call(value), name);
        } catch {
          // a getter that throws shows nothing
        }
      }
    }
    push(Object.getPrototypeOf(value), '<proto>');
  }
  return found;
}
