import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactText } from '../src/redact/redactor.js';
import { fingerprintKey, maskKey, Secret } from '../src/secret.js';
import { testKey } from './helpers/keys.js';

describe('Secret', () => {
  const key = testKey('openai', 'secret-test');

  it('masks itself with a readable prefix and the last 4 characters', () => {
    const secret = new Secret(key, { provider: 'openai', source: 'env:OPENAI_API_KEY' });
    expect(secret.maskedId).toBe(`sk-proj-****${key.slice(-4)}`);
    expect(secret.provider).toBe('openai');
    expect(secret.source).toBe('env:OPENAI_API_KEY');
  });

  it('shows only the masked id in every string form', () => {
    const secret = new Secret(key, { provider: 'openai' });
    const expected = `Secret(openai sk-proj-****${key.slice(-4)})`;
    expect(String(secret)).toBe(expected);
    expect(`${secret}`).toBe(expected);
    expect(JSON.stringify({ secret })).toBe(JSON.stringify({ secret: expected }));
    expect(inspect(secret)).toBe(expected);
    expect(inspect({ nested: { secret } }, { depth: 10, showHidden: true })).not.toContain(key);
    expect(Object.prototype.toString.call(secret)).toBe('[object Secret]');
  });

  it('reveals the clear key only through reveal()', () => {
    const secret = new Secret(key);
    expect(secret.reveal()).toBe(key);
    expect(Object.values(secret)).not.toContain(key);
    expect(
      Reflect.ownKeys(secret).map((k) => (secret as unknown as Record<PropertyKey, unknown>)[k]),
    ).not.toContain(key);
  });

  it('has a stable 12-hex fingerprint that differs between keys', () => {
    const a = new Secret(key);
    const b = new Secret(key);
    const c = new Secret(testKey('openai', 'other'));
    expect(a.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toBe(fingerprintKey(key));
    expect(c.fingerprint).not.toBe(a.fingerprint);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('registers the value with the redactor on creation', () => {
    // A key of no known shape (a gateway's own): only registration finds it.
    const fresh = `gw_${testKey('openai-compatible', 'registered-on-creation').slice(3)}`;
    expect(redactText(`key=${fresh}`)).toContain(fresh);
    const secret = new Secret(fresh, { provider: 'openai' });
    expect(redactText(`key=${fresh}`)).toBe(`key=[REDACTED openai ${secret.maskedId}]`);
  });

  it.each([
    ['anthropic', 'sk-ant-api03-'],
    ['gemini', 'AIza'],
    ['slack', 'xoxb-'],
    ['xai', 'xai-'],
    ['openai-svcacct', 'sk-svcacct-'],
    ['openai-legacy', 'sk-'],
  ] as const)('keeps the %s prefix', (kind, prefix) => {
    const value = testKey(kind, 'prefix');
    expect(maskKey(value)).toBe(`${prefix}****${value.slice(-4)}`);
  });

  it('keeps a Telegram bot id, which is public, and hides the token part', () => {
    const value = testKey('telegram', 'prefix');
    const [botId] = value.split(':');
    expect(maskKey(value)).toBe(`${botId}:****${value.slice(-4)}`);
  });

  it("keeps a Discord token's first part (the bot's user id in base64, public) and hides the rest", () => {
    const value = testKey('discord', 'prefix');
    const [botId] = value.split('.');
    expect(maskKey(value)).toBe(`${botId}.****${value.slice(-4)}`);
    expect(Buffer.from(botId ?? '', 'base64url').toString()).toMatch(/^\d{17,20}$/);
  });

  it('shows no tail for short values', () => {
    expect(maskKey('abcdefghijkl')).toBe('****');
  });
});
