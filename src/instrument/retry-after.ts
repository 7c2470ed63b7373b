/**
 * How long a rate-limited key should rest, from the answer's headers: `retry-after-ms`,
 * `retry-after` (seconds or an HTTP date), OpenAI's `x-ratelimit-reset-requests` /
 * `-tokens` (`1s`, `6ms`, `1m30s`) and Anthropic's `anthropic-ratelimit-*-reset` (an RFC 3339
 * time). The longest of those present; `undefined` when none says.
 * @module
 */

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1m30s`, `6ms`, `0.5s` in milliseconds; `undefined` when it is not such a duration. */
function duration(text: string): number | undefined {
  const trimmed = text.trim();
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(DURATION_PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
    consumed += match[0].length;
  }
  return consumed > 0 && consumed === trimmed.length ? total : undefined;
}

/** A time (HTTP date or RFC 3339) as milliseconds from now; `undefined` when it is not one. */
function until(text: string, now: number): number | undefined {
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const waits: number[] = [];
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) waits.push(ms);
  const after = headers.get('retry-after');
  if (after !== null) {
    const seconds = Number(after);
    const wait = after.trim() !== '' && Number.isFinite(seconds) ? seconds * 1000 : until(after, now);
    if (wait !== undefined && wait >= 0) waits.push(wait);
  }
  for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    const value = headers.get(name);
    const wait = value === null ? undefined : duration(value);
    if (wait !== undefined) waits.push(wait);
  }
  for (const name of ['anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-reset']) {
    const value = headers.get(name);
    const wait = value === null ? undefined : until(value, now);
    if (wait !== undefined) waits.push(wait);
  }
  return waits.length === 0 ? undefined : Math.max(...waits);
}
