import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../src/instrument/retry-after.js';

const now = Date.parse('2026-12-03T08:00:00Z');
const wait = (headers: Record<string, string>) => retryAfterMs(new Headers(headers), now);

describe('retryAfterMs', () => {
  it('reads retry-after in seconds or as an HTTP date, and retry-after-ms', () => {
    expect(wait({ 'retry-after': '2' })).toBe(2000);
    expect(wait({ 'retry-after': 'Thu, 03 Dec 2026 08:00:30 GMT' })).toBe(30_000);
    expect(wait({ 'retry-after-ms': '250' })).toBe(250);
  });

  it("reads OpenAI's reset durations and Anthropic's reset times; the longest wins", () => {
    expect(wait({ 'x-ratelimit-reset-requests': '1m30s' })).toBe(90_000);
    expect(wait({ 'x-ratelimit-reset-tokens': '6ms', 'retry-after': '1' })).toBe(1000);
    expect(wait({ 'anthropic-ratelimit-requests-reset': '2026-12-03T08:00:05Z' })).toBe(5000);
  });

  it('says nothing when no header says, or says it in a form it does not know', () => {
    expect(wait({})).toBeUndefined();
    expect(wait({ 'retry-after': 'soon', 'x-ratelimit-reset-requests': 'later' })).toBeUndefined();
    expect(wait({ 'retry-after': '' })).toBeUndefined();
  });
});
