import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_REASONS,
  CredentialError,
  isCredentialError,
  isKeycardError,
  KeycardError,
} from '../src/errors.js';
import { Secret } from '../src/secret.js';
import { testKey } from './helpers/keys.js';

describe('CredentialError', () => {
  it('carries every field and joins message and hint', () => {
    const error = new CredentialError({
      reason: 'unauthorized',
      message: 'OpenAI rejected the API key.',
      hint: 'Create a new key.',
      provider: 'openai',
      source: 'env:OPENAI_API_KEY',
      maskedId: 'sk-proj-****abcd',
      fingerprint: '0123456789ab',
      status: 401,
      requestId: 'req_1',
    });
    expect(error.message).toBe('OpenAI rejected the API key. Create a new key.');
    expect(error).toMatchObject({
      name: 'CredentialError',
      reason: 'unauthorized',
      hint: 'Create a new key.',
      provider: 'openai',
      source: 'env:OPENAI_API_KEY',
      maskedId: 'sk-proj-****abcd',
      fingerprint: '0123456789ab',
      status: 401,
      requestId: 'req_1',
      retryable: false,
    });
    expect(error).toBeInstanceOf(KeycardError);
    expect(error).toBeInstanceOf(Error);
    expect(error.stack?.startsWith('CredentialError: OpenAI rejected')).toBe(true);
  });

  it('is recognised by the guards, and other errors are not', () => {
    const error = new CredentialError({ reason: 'missing', message: 'No key.', hint: 'Set it.' });
    expect(isCredentialError(error)).toBe(true);
    expect(CredentialError.is(error)).toBe(true);
    expect(KeycardError.is(error)).toBe(true);
    expect(isKeycardError(error)).toBe(true);
    const impostor = Object.assign(new Error('x'), { name: 'CredentialError', reason: 'missing' });
    for (const value of [impostor, new KeycardError('x'), null, undefined, 'CredentialError', {}]) {
      expect(isCredentialError(value)).toBe(false);
    }
    expect(isKeycardError(new KeycardError('x'))).toBe(true);
    expect(isKeycardError(impostor)).toBe(false);
  });

  it('does not print its marker in util.inspect', () => {
    const error = new CredentialError({ reason: 'missing', message: 'No key.', hint: 'Set it.' });
    expect(inspect(error)).not.toContain('Symbol(keycard');
  });

  it('redacts a registered key from message, hint and cause', () => {
    const key = testKey('openai', 'error-redaction');
    const secret = new Secret(key, { provider: 'openai' });
    const cause = new Error(`upstream said ${key}`);
    (cause as Error & { body?: unknown }).body = { echoed: key };
    const error = new CredentialError({
      reason: 'unauthorized',
      message: `Rejected ${key}.`,
      hint: `Replace ${key}.`,
      cause,
    });
    const everything = [
      error.message,
      error.hint,
      error.stack,
      inspect(error, { depth: 10 }),
      JSON.stringify(error),
    ].join('\n');
    expect(everything).not.toContain(key);
    expect(everything).toContain(secret.maskedId);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toBe(`upstream said [REDACTED openai ${secret.maskedId}]`);
    expect(cause.message).toContain(key); // the original is not changed
  });

  it('serialises its fields with JSON.stringify', () => {
    const error = new CredentialError({
      reason: 'quota_exceeded',
      message: 'Out of credit.',
      hint: 'Add credit.',
      provider: 'openai',
      cause: new Error('429'),
    });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      name: 'CredentialError',
      reason: 'quota_exceeded',
      message: 'Out of credit. Add credit.',
      cause: { name: 'Error', message: '429' },
    });
  });

  it('lists every reason once', () => {
    expect(new Set(CREDENTIAL_REASONS).size).toBe(8);
  });
});
