/**
 * Reading provider JSON without trusting its shape.
 * @module
 */

/** A JSON object. */
export type Json = Record<string, unknown>;

/** `value` as an object, or `undefined` when it is not one (arrays included). */
export function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** `value` when it is a finite number, else `null` (a count the provider did not report). */
export function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** `JSON.parse`, or `undefined` for text that is not JSON. */
export function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
