/**
 * Reading provider JSON without trusting its shape.
 * @module
 */
import type { ResponseUsage } from './types.js';

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

/**
 * A request plan whose `model` is read from the JSON body only when something asks for it (a
 * failed call, a budget): most successful answers name their model themselves, so most requests
 * are never parsed by keycard. For bodies that cannot ask for a stream (no `"stream"` key).
 */
export function lazyModelPlan(
  operation: string,
  bodyText: string | undefined,
): { operation: string; model: string | null } {
  let model: string | null | undefined;
  return {
    operation,
    get model(): string | null {
      if (model === undefined) {
        const body = bodyText === undefined ? undefined : asObject(safeParse(bodyText));
        model = typeof body?.['model'] === 'string' ? body['model'] : null;
      }
      return model;
    },
  };
}

/** Whether a JSON request body may ask for a stream (holds a `"stream"` key somewhere). */
export function mayStream(bodyText: string | undefined): boolean {
  return bodyText?.includes('"stream"') === true;
}

/** The usage of a call that uses no tokens and names no model (a messaging API's request). */
export function noUsage(): ResponseUsage {
  return {
    model: null,
    inputTokens: null,
    cachedInputTokens: null,
    cacheWriteTokens: null,
    outputTokens: null,
    reasoningTokens: null,
  };
}
