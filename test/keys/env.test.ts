import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { env } from '../../src/keys/env.js';
import { Secret } from '../../src/secret.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection } from '../helpers/rejections.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('keys.env', () => {
  it('describes itself by variable names, never by value', () => {
    expect(env('OPENAI_API_KEY').describe()).toBe('env:OPENAI_API_KEY');
    expect(env('GEMINI_API_KEY', 'GOOGLE_API_KEY').describe()).toBe('env:GEMINI_API_KEY|GOOGLE_API_KEY');
    expect(env().describe()).toBe('env:<provider default>');
  });

  it('reads a cleaned key into a Secret labelled with provider and source', async () => {
    const key = testKey('openai', 'env-read');
    vi.stubEnv('KEYCARD_TEST_OPENAI', `"${key}"\r\n`);
    const secret = await env('KEYCARD_TEST_OPENAI').resolve({ provider: 'openai' });
    expect(secret).toBeInstanceOf(Secret);
    expect(secret.reveal()).toBe(key);
    expect(secret.provider).toBe('openai');
    expect(secret.source).toBe('env:KEYCARD_TEST_OPENAI');
  });

  it("uses the provider's default variables when given no names", async () => {
    const key = testKey('gemini', 'env-default');
    vi.stubEnv('GEMINI_API_KEY', undefined);
    vi.stubEnv('GOOGLE_API_KEY', key);
    const secret = await env().resolve({ provider: 'gemini' });
    expect(secret.reveal()).toBe(key);
    expect(secret.source).toBe('env:GEMINI_API_KEY|GOOGLE_API_KEY');
  });

  it('takes the first variable that is set and not empty', async () => {
    const first = testKey('gemini', 'first');
    const second = testKey('gemini', 'second');
    vi.stubEnv('KC_A', first);
    vi.stubEnv('KC_B', second);
    expect((await env('KC_A', 'KC_B').resolve()).reveal()).toBe(first);
    vi.stubEnv('KC_A', '  ');
    expect((await env('KC_A', 'KC_B').resolve()).reveal()).toBe(second);
  });

  it('reports an unset variable as missing, naming it and where to get a key', async () => {
    vi.stubEnv('OPENAI_API_KEY', undefined);
    const error = await credentialRejection(env('OPENAI_API_KEY').resolve({ provider: 'openai' }));
    expect(error.reason).toBe('missing');
    expect(error.source).toBe('env:OPENAI_API_KEY');
    expect(error.provider).toBe('openai');
    expect(error.message).toContain('OPENAI_API_KEY is not set');
    expect(error.hint).toBe('Set OPENAI_API_KEY to the key from https://platform.openai.com/api-keys.');
  });

  it('names every variable tried', async () => {
    vi.stubEnv('GEMINI_API_KEY', undefined);
    vi.stubEnv('GOOGLE_API_KEY', undefined);
    const error = await credentialRejection(env().resolve({ provider: 'gemini' }));
    expect(error.message).toContain('neither GEMINI_API_KEY nor GOOGLE_API_KEY is set');
    expect(error.hint).toBe(
      'Set GEMINI_API_KEY (or GOOGLE_API_KEY) to the key from https://aistudio.google.com/apikey.',
    );
  });

  it('says a variable is set but empty', async () => {
    for (const empty of ['', '   ', '\n', '""']) {
      vi.stubEnv('KC_EMPTY', empty);
      const error = await credentialRejection(env('KC_EMPTY').resolve({ provider: 'xai' }));
      expect(error.reason).toBe('missing');
      expect(error.message).toContain('KC_EMPTY is set but empty');
      expect(error.hint).toContain('Set KC_EMPTY to the key from https://console.x.ai');
    }
    vi.stubEnv('KC_EMPTY', '');
    vi.stubEnv('KC_UNSET', undefined);
    const both = await credentialRejection(env('KC_EMPTY', 'KC_UNSET').resolve());
    expect(both.message).toContain('KC_EMPTY is set but empty');
    expect(both.message).toContain('KC_UNSET is not set');
  });

  it('reports a bad value as malformed, naming the variable but not the value', async () => {
    const key = testKey('slack', 'env-bad');
    vi.stubEnv('KC_B', `${key.slice(0, 20)} ${key.slice(20)}`);
    const error = await credentialRejection(env('KC_A', 'KC_B').resolve({ provider: 'slack' }));
    expect(error.reason).toBe('malformed');
    expect(error.source).toBe('env:KC_A|KC_B');
    expect(error.message).toContain('from env:KC_B');
    expect(error.message).not.toContain(key.slice(20, 40));
  });

  it('needs a name or a provider', async () => {
    const error = await credentialRejection(env().resolve());
    expect(error.reason).toBe('missing');
    expect(error.hint).toContain("keys.env('MY_API_KEY')");
  });

  it('refuses a key passed as a variable name, without showing it', () => {
    const key = testKey('openai', 'env-name');
    let thrown: unknown;
    try {
      env(key);
    } catch (error) {
      thrown = error;
    }
    expect(isCredentialError(thrown)).toBe(true);
    const error = thrown as CredentialError;
    expect(error.reason).toBe('malformed');
    expect(error.source).toBe('keys.env()');
    expect(error.message).not.toContain(key.slice(8, 30));
    expect(() => env('NOT A NAME')).toThrow(TypeError);
  });

  it('re-reads the variable on every resolve: rotation gives a new Secret', async () => {
    const source = env('KC_ROTATE');
    const before = testKey('anthropic', 'rotate-1');
    const after = testKey('anthropic', 'rotate-2');
    vi.stubEnv('KC_ROTATE', before);
    const first = await source.resolve({ provider: 'anthropic' });
    expect(await source.resolve({ provider: 'anthropic' })).toBe(first);
    vi.stubEnv('KC_ROTATE', after);
    const second = await source.resolve({ provider: 'anthropic', fresh: true });
    expect(second).not.toBe(first);
    expect(second.reveal()).toBe(after);
    expect(second.fingerprint).not.toBe(first.fingerprint);
  });

  it('honours an aborted signal', async () => {
    vi.stubEnv('KC_ABORT', testKey('xai', 'abort'));
    const controller = new AbortController();
    controller.abort();
    await expect(env('KC_ABORT').resolve({ signal: controller.signal })).rejects.toThrow();
  });
});
