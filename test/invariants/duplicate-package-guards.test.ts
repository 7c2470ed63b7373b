/**
 * Two copies of keycard in one process (the built ESM and CommonJS files beside the sources
 * vitest runs) recognise each other's errors and redact each other's secrets.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as source from '../../src/index.js';
import { testKey } from '../helpers/keys.js';

type Keycard = typeof source;
const root = fileURLToPath(new URL('../..', import.meta.url));
const esm = (await import(pathToFileURL(`${root}dist/index.js`).href)) as Keycard;
const cjs = createRequire(import.meta.url)(`${root}dist/index.cjs`) as Keycard;

const copies = [
  ['dist (ESM)', esm],
  ['dist (CommonJS)', cjs],
] as const;

describe.each(copies)('an error thrown by %s', (_name, copy) => {
  const error = new copy.CredentialError({
    reason: 'unauthorized',
    message: 'Rejected.',
    hint: 'Replace the key.',
  });

  it('is a different class from the sources, and instanceof still matches (by marker)', () => {
    expect(copy.CredentialError).not.toBe(source.CredentialError);
    expect(error instanceof source.CredentialError).toBe(true);
    expect(error instanceof source.KeycardError).toBe(true);
    expect(
      new source.CredentialError({ reason: 'missing', message: 'x', hint: 'y' }) instanceof
        copy.CredentialError,
    ).toBe(true);
    expect(new copy.KeycardError('plain') instanceof source.CredentialError).toBe(false);
  });

  it('is recognised by the guards of the sources', () => {
    expect(source.isCredentialError(error)).toBe(true);
    expect(source.CredentialError.is(error)).toBe(true);
    expect(source.KeycardError.is(error)).toBe(true);
    expect(source.isKeycardError(error)).toBe(true);
  });

  it('recognises errors of the sources with its own guards', () => {
    const ours = new source.CredentialError({ reason: 'missing', message: 'No key.', hint: 'Set it.' });
    expect(copy.isCredentialError(ours)).toBe(true);
    expect(copy.CredentialError.is(ours)).toBe(true);
    expect(copy.isCredentialError(new source.KeycardError('plain'))).toBe(false);
    expect(copy.KeycardError.is(new source.KeycardError('plain'))).toBe(true);
  });

  it('shares one redactor: a secret created in one copy is redacted by the other', () => {
    const key = testKey('openai', `copies-${_name}`);
    const secret = new copy.Secret(key, { provider: 'openai' });
    expect(source.redactText(`k=${key}`)).toBe(`k=[REDACTED openai ${secret.maskedId}]`);
    const other = testKey('gemini', `copies-${_name}`);
    const otherSecret = new source.Secret(other, { provider: 'gemini' });
    expect(copy.redactText(other)).toBe(`[REDACTED gemini ${otherSecret.maskedId}]`);
  });
});
