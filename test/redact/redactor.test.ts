import { describe, expect, it } from 'vitest';
import { containsSecret, redactError, redactText, redactValue } from '../../src/redact/redactor.js';
import { registerSecret } from '../../src/redact/registry.js';
import { Secret } from '../../src/secret.js';
import { testKey } from '../helpers/keys.js';

describe('exact-value redactor', () => {
  const key = testKey('slack', 'redactor');
  const secret = new Secret(key, { provider: 'slack' });
  const label = `[REDACTED slack ${secret.maskedId}]`;

  it('replaces a registered value, every occurrence', () => {
    expect(redactText(`a ${key} b ${key}`)).toBe(`a ${label} b ${label}`);
    expect(containsSecret(`x${key}x`)).toBe(true);
    expect(containsSecret('nothing here')).toBe(false);
  });

  it('replaces the URL-encoded form', () => {
    const special = `${testKey('openai', 'encoded')}+/=`;
    const encodedSecret = new Secret(special, { provider: 'openai' });
    const text = `https://example.test/?key=${encodeURIComponent(special)}`;
    expect(redactText(text)).toBe(`https://example.test/?key=[REDACTED openai ${encodedSecret.maskedId}]`);
  });

  it('replaces the longest secret first when one contains another', () => {
    const short = testKey('xai', 'short');
    const long = `${short}EXTRA`;
    registerSecret(short, '[S]');
    registerSecret(long, '[L]');
    expect(redactText(`${long} ${short}`)).toBe('[L] [S]');
  });

  it('ignores values too short to be keys', () => {
    registerSecret('abc', '[X]');
    expect(redactText('abcabc')).toBe('abcabc');
  });

  it('redacts errors deeply without changing them', () => {
    const cause = new TypeError(`inner ${key}`);
    const error = new Error(`outer ${key}`, { cause });
    Object.assign(error, { headers: { authorization: `Bearer ${key}` }, list: [key] });
    const copy = redactError(error);
    expect(copy).not.toBe(error);
    expect(copy).toBeInstanceOf(Error);
    expect(copy.message).toBe(`outer ${label}`);
    expect(copy.stack).not.toContain(key);
    expect((copy.cause as Error).message).toBe(`inner ${label}`);
    expect(copy.cause).toBeInstanceOf(TypeError);
    expect((copy as Error & { headers: { authorization: string } }).headers.authorization).toBe(
      `Bearer ${label}`,
    );
    expect((copy as Error & { list: string[] }).list).toEqual([label]);
    expect(error.message).toContain(key);
  });

  it('redacts plain objects deeply, with cycles and dangerous keys, without changing them', () => {
    const input: Record<string, unknown> = { token: key, nested: { list: [key, 1, null] } };
    input['self'] = input;
    const withProto = JSON.parse(
      `{"__proto__": {"polluted": true}, "constructor": 1, "ok": "${key}"}`,
    ) as object;
    const copy = redactValue(input) as Record<string, unknown>;
    expect(copy['token']).toBe(label);
    expect((copy['nested'] as { list: unknown[] }).list).toEqual([label, 1, null]);
    expect(copy['self']).toBe(copy);
    expect(input['token']).toBe(key);
    const safe = redactValue(withProto) as Record<string, unknown>;
    expect(safe).toEqual({ ok: label });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('shares its registry with every copy of keycard in the process', () => {
    const registry = (globalThis as Record<symbol, unknown>)[Symbol.for('keycard.redact.registry.v2')] as {
      forEach(visit: (value: string) => void): void;
    };
    const values: string[] = [];
    registry.forEach((value) => {
      values.push(value);
    });
    expect(values).toContain(key);
  });
});

describe('redacting Headers', () => {
  it('keeps a Headers object usable, with credentials masked and secrets redacted', () => {
    const key = testKey('openai', 'headers');
    const secret = new Secret(key, { provider: 'openai' });
    const error = Object.assign(new Error('429'), {
      headers: new Headers({ 'retry-after': '2', authorization: 'Bearer anything', 'x-echo': key }),
    });
    const copy = redactError(error) as Error & { headers: Headers };
    expect(copy.headers).toBeInstanceOf(Headers);
    expect(copy.headers.get('retry-after')).toBe('2');
    expect(copy.headers.get('authorization')).toBe('[REDACTED]');
    expect(copy.headers.get('x-echo')).toBe(`[REDACTED openai ${secret.maskedId}]`);
  });
});
