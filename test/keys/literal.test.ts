import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { literal } from '../../src/keys/literal.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection } from '../helpers/rejections.js';

describe('keys.literal', () => {
  it('describes itself as literal and shows the key nowhere', () => {
    const key = testKey('openai', 'literal');
    const source = literal(key);
    expect(source.describe()).toBe('literal');
    expect(inspect(source, { showHidden: true, depth: 5 })).not.toContain(key);
    expect(JSON.stringify(source)).not.toContain(key);
  });

  it('cleans the value and labels the Secret', async () => {
    const key = testKey('telegram', 'literal');
    const secret = await literal(`  '${key}'\n`).resolve({ provider: 'telegram' });
    expect(secret.reveal()).toBe(key);
    expect(secret.provider).toBe('telegram');
    expect(secret.source).toBe('literal');
  });

  it('returns the same Secret on every resolve for one provider', async () => {
    const source = literal(testKey('xai', 'literal-same'));
    const first = await source.resolve({ provider: 'xai' });
    expect(await source.resolve({ provider: 'xai', fresh: true })).toBe(first);
    expect((await source.resolve()).provider).toBeUndefined();
  });

  it('validates like every other source', async () => {
    const key = testKey('anthropic', 'literal-bad');
    const damaged = `${key.slice(0, 30)}\n${key.slice(30)}`;
    const error = await credentialRejection(literal(damaged).resolve({ provider: 'anthropic' }));
    expect(error.reason).toBe('malformed');
    expect(error.source).toBe('literal');
    expect(error.message).not.toContain(key.slice(13, 30));
    const placeholder = await credentialRejection(literal('your-api-key').resolve({ provider: 'anthropic' }));
    expect(placeholder.reason).toBe('malformed');
    const empty = await credentialRejection(literal('').resolve({ provider: 'anthropic' }));
    expect(empty.reason).toBe('missing');
    expect(empty.hint).toContain('keys.literal()');
    const unset = await credentialRejection(literal(undefined as unknown as string).resolve());
    expect(unset.reason).toBe('missing');
  });
});
