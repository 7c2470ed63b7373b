import { afterEach, describe, expect, it } from 'vitest';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { isKeyPool } from '../../src/keys/pool.js';
import { from, KeySpecError } from '../../src/keys/spec.js';
import { testKey } from '../helpers/keys.js';
import { rejection, thrownBy } from '../helpers/rejections.js';

const a = testKey('openai', 'pool-source-a');
const b = testKey('openai', 'pool-source-b');
const set: string[] = [];
function setEnv(name: string, value: string): void {
  process.env[name] = value;
  set.push(name);
}
afterEach(() => {
  for (const name of set.splice(0)) delete process.env[name];
});

describe('keys.pool()', () => {
  it('is a key source: describe() lists the members, resolve() gives the first that has a key', async () => {
    setEnv('POOL_TEST_B', b);
    const pool = keys.pool(['env:POOL_TEST_MISSING', 'env:POOL_TEST_B', keys.literal(a)]);
    expect(isKeyPool(pool)).toBe(true);
    expect(pool.describe()).toBe('pool(env:POOL_TEST_MISSING, env:POOL_TEST_B, literal)');
    expect(pool.members).toHaveLength(3);
    expect(pool.strategy).toBe('failover');
    const secret = await pool.resolve({ provider: 'openai' });
    expect(secret.fingerprint).toBe((await keys.literal(b).resolve()).fingerprint);
    expect(keys.pool(['env:X'], { strategy: 'round-robin' }).describe()).toBe('pool(round-robin: env:X)');
  });

  it('says which members it tried when none has a key, without a key in the message', async () => {
    const error = await rejection(keys.pool(['env:POOL_TEST_NONE_1', 'env:POOL_TEST_NONE_2']).resolve());
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'missing' });
    expect((error as Error).message).toContain('env:POOL_TEST_NONE_1, env:POOL_TEST_NONE_2');
  });

  it('refuses an empty list, an unknown strategy and a negative duration', () => {
    expect(thrownBy(() => keys.pool([]))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => keys.pool(['env:A'], { strategy: 'random' as never }))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => keys.pool(['env:A'], { cooldownMs: -1 }))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => keys.pool(['env:A'], { exhaustedMs: Number.NaN }))).toBeInstanceOf(TypeError);
  });
});

describe('pool: spec strings', () => {
  it('pool:env:PREFIX* is every variable whose name starts so, in name order', async () => {
    setEnv('POOLSPEC_KEY_2', b);
    setEnv('POOLSPEC_KEY_1', a);
    const pool = from('pool:env:POOLSPEC_KEY_*');
    expect(isKeyPool(pool)).toBe(true);
    expect(pool.describe()).toBe('pool(env:POOLSPEC_KEY_1, env:POOLSPEC_KEY_2)');
  });

  it('lists members with commas, and a prefix that matches nothing is a missing member', async () => {
    expect(from('pool:env:A, file:./b.key').describe()).toBe('pool(env:A, file:./b.key)');
    const empty = from('pool:env:POOLSPEC_NOTHING_*');
    expect(empty.describe()).toBe('pool(env:POOLSPEC_NOTHING_*)');
    const error = await rejection(empty.resolve());
    expect(error).toMatchObject({ reason: 'missing' });
    expect((error as Error).message).toContain('tried env:POOLSPEC_NOTHING_*');
    expect(error).toMatchObject({ hint: expect.stringContaining('names start with POOLSPEC_NOTHING_') });
  });

  it('refuses an empty list and a prefix that is no variable name', () => {
    expect(thrownBy(() => from('pool:'))).toBeInstanceOf(KeySpecError);
    expect(thrownBy(() => from('pool:env:9BAD*'))).toBeInstanceOf(KeySpecError);
  });
});
