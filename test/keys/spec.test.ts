import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CredentialError, isCredentialError, isKeycardError } from '../../src/errors.js';
import { literal } from '../../src/keys/literal.js';
import { from, KeySpecError, SPEC_SCHEMES } from '../../src/keys/spec.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('keys.from', () => {
  it.each([
    ['env:OPENAI_API_KEY', 'env:OPENAI_API_KEY'],
    ['  env:OPENAI_API_KEY  ', 'env:OPENAI_API_KEY'],
    ['ENV:OPENAI_API_KEY', 'env:OPENAI_API_KEY'],
    ['env:GEMINI_API_KEY|GOOGLE_API_KEY', 'env:GEMINI_API_KEY|GOOGLE_API_KEY'],
    ['env:', 'env:<provider default>'],
    ['file:./secrets/openai.key', 'file:./secrets/openai.key'],
    ['file:/run/secrets/app.json#providers.openai', 'file:/run/secrets/app.json#providers.openai'],
    ['file:./dir#with#hash#api_key', 'file:./dir#with#hash#api_key'],
    ['file:///etc/keycard/openai.key', 'file:/etc/keycard/openai.key'],
  ])('reads %j', (spec, described) => {
    expect(from(spec).describe()).toBe(described);
  });

  it('passes a KeySource through', () => {
    const source = literal(testKey('xai', 'spec'));
    expect(from(source)).toBe(source);
  });

  it('resolves env: with the provider default', async () => {
    const key = testKey('telegram', 'spec-env');
    vi.stubEnv('TELEGRAM_BOT_TOKEN', key);
    expect((await from('env:').resolve({ provider: 'telegram' })).reveal()).toBe(key);
  });

  it('reads a file:// URL with a field', () => {
    const url = `${pathToFileURL('/tmp/keycard dir/app.json').href}#api_key`;
    expect(from(url).describe()).toBe('file:/tmp/keycard dir/app.json#api_key');
  });

  it('is table-driven: every scheme lists its forms', () => {
    expect(SPEC_SCHEMES.map((scheme) => scheme.scheme)).toEqual([
      'env',
      'file',
      'keystore',
      'pool',
      'vault',
      'gcp-sm',
      'azure-kv',
      'https',
      'http',
      'aws-sm',
      'op',
    ]);
    for (const scheme of SPEC_SCHEMES) expect(scheme.forms.length).toBeGreaterThan(0);
  });

  it.each([
    ['an unknown scheme', 'vault2://vault.internal/secret/openai#key', /cannot read a key source "vault2:…"/],
    ['an empty spec', '   ', /empty/],
    ['an env name without scheme', 'OPENAI_API_KEY', /did you mean 'env:OPENAI_API_KEY'/],
    ['a path without scheme', './secrets/openai.key', /did you mean 'file:\.\/secrets\/openai\.key'/],
    ['a Windows path', 'C:\\keys\\openai.key', /Windows path/],
    ['a bad variable name', 'env:NOT A NAME', /not a valid name/],
    ['a file spec with no path', 'file:', /no path/],
    ['a file spec with only a field', 'file:#api_key', /no path/],
    ['a word', 'openai', /no scheme/],
  ])('refuses %s with a KeySpecError listing the accepted forms', (_name, spec, expected) => {
    const error = thrown(() => from(spec));
    expect(error).toBeInstanceOf(KeySpecError);
    expect(isKeycardError(error)).toBe(true);
    expect(isCredentialError(error)).toBe(false);
    const specError = error as KeySpecError;
    expect(specError.name).toBe('KeySpecError');
    expect(specError.message).toMatch(expected);
    expect(specError.hint).toContain('env:NAME');
    expect(specError.hint).toContain('file:PATH#field');
    expect(specError.message.endsWith(specError.hint)).toBe(true);
  });

  it('shows only the scheme of an unknown spec, never what follows', () => {
    const error = thrown(() => from('ftp://user:hunter2pass@example.com/key')) as KeySpecError;
    expect(error.message).toContain('"ftp:…"');
    expect(error.message).not.toContain('hunter2pass');
  });

  it('refuses a Vault URL with credentials in it, without showing them', () => {
    for (const spec of [
      'https://user:hunter2pass@vault.example.com/v1/secret/data/key#k',
      'vault://user:hunter2pass@vault.example.com/secret/key#k',
      'vault://vault.example.com/secret/key?token=hunter2pass#k',
    ]) {
      const error = thrown(() => from(spec)) as KeySpecError;
      expect(error).toBeInstanceOf(KeySpecError);
      expect(error.message).not.toContain('hunter2pass');
    }
  });

  it('refuses a non-string', () => {
    expect(thrown(() => from(42 as unknown as string))).toBeInstanceOf(KeySpecError);
  });

  const kinds: TestKeyKind[] = [
    'openai',
    'openai-legacy',
    'openai-compatible',
    'anthropic',
    'gemini',
    'gemini-aq',
    'slack',
    'slack-app',
    'telegram',
    'xai',
  ];

  it.each(kinds)('refuses a %s key passed as a spec as malformed, without echoing it', (kind) => {
    const key = testKey(kind, 'spec-key');
    for (const spec of [key, ` ${key}\n`, `env:${key}`, `file:${key}`]) {
      const error = thrown(() => from(spec)) as CredentialError;
      expect(isCredentialError(error), spec.slice(0, 4)).toBe(true);
      expect(error.reason).toBe('malformed');
      expect(error.message).toContain('A key was passed');
      expect(error.hint).toMatch(/keys\.literal\(value\)/);
      expect(error.source).toBeDefined();
      expect(`${error.message}${error.hint}${JSON.stringify(error)}`).not.toContain(key.slice(-12));
    }
  });

  it('refuses a long random token without a scheme as a key', () => {
    const token = testKey('xai', 'no-prefix').slice(4, 44);
    const error = thrown(() => from(token)) as CredentialError;
    expect(error.reason).toBe('malformed');
    expect(error.message).not.toContain(token.slice(0, 10));
  });
});
