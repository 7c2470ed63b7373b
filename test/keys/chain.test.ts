import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CredentialError } from '../../src/errors.js';
import { chain } from '../../src/keys/chain.js';
import { env } from '../../src/keys/env.js';
import { file } from '../../src/keys/file.js';
import { literal } from '../../src/keys/literal.js';
import type { KeySource } from '../../src/keys/types.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection } from '../helpers/rejections.js';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keycard-chain-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('keys.chain', () => {
  it('describes itself by its members', () => {
    expect(chain(env('A'), file('./k'), 'env:B').describe()).toBe('chain(env:A, file:./k, env:B)');
  });

  it('needs at least one source', () => {
    expect(() => chain()).toThrow(TypeError);
  });

  it('returns the key of the first source that has one', async () => {
    const key = testKey('openai', 'chain-first');
    vi.stubEnv('KC_CHAIN_A', undefined);
    vi.stubEnv('KC_CHAIN_B', key);
    const secret = await chain(env('KC_CHAIN_A'), file(join(dir, 'nope')), env('KC_CHAIN_B')).resolve({
      provider: 'openai',
    });
    expect(secret.reveal()).toBe(key);
    expect(secret.source).toBe('env:KC_CHAIN_B');
    expect(secret.provider).toBe('openai');
  });

  it('skips empty variables and missing JSON fields', async () => {
    const key = testKey('gemini', 'chain-skip');
    vi.stubEnv('KC_CHAIN_EMPTY', '');
    const json = join(dir, 'fields.json');
    await writeFile(json, '{"other": "x"}');
    await chmod(json, 0o600);
    const secret = await chain(
      env('KC_CHAIN_EMPTY'),
      file(json, { field: 'api_key' }),
      literal(key),
    ).resolve();
    expect(secret.reveal()).toBe(key);
  });

  it('lists every source tried, with its reason, when none has a key', async () => {
    vi.stubEnv('KC_CHAIN_A', undefined);
    vi.stubEnv('KC_CHAIN_B', '  ');
    const missingFile = join(dir, 'missing.key');
    const source = chain(env('KC_CHAIN_A'), env('KC_CHAIN_B'), file(missingFile));
    const error = await credentialRejection(source.resolve({ provider: 'anthropic' }));
    expect(error.reason).toBe('missing');
    expect(error.source).toBe(source.describe());
    expect(error.provider).toBe('anthropic');
    expect(error.message).toContain(
      'env:KC_CHAIN_A: No Anthropic API key in env:KC_CHAIN_A: KC_CHAIN_A is not set',
    );
    expect(error.message).toContain('KC_CHAIN_B is set but empty');
    expect(error.message).toContain(`file:${missingFile}:`);
    expect(error.message).toContain('does not exist');
    expect(error.hint).toBe('Set KC_CHAIN_A to the key from https://console.anthropic.com/settings/keys.');
  });

  it('stops at a present but malformed key instead of falling through', async () => {
    const bad = testKey('openai', 'chain-bad');
    vi.stubEnv('KC_CHAIN_BAD', `${bad.slice(0, 30)} ${bad.slice(30)}`);
    const next = { describe: () => 'spy', resolve: vi.fn() } satisfies KeySource;
    const error = await credentialRejection(chain(env('KC_CHAIN_BAD'), next).resolve({ provider: 'openai' }));
    expect(error.reason).toBe('malformed');
    expect(error.source).toBe('env:KC_CHAIN_BAD');
    expect(next.resolve).not.toHaveBeenCalled();
  });

  it.skipIf(process.platform === 'win32')(
    'stops at an insecure file instead of falling through',
    async () => {
      const path = join(dir, 'insecure.key');
      await writeFile(path, testKey('xai', 'chain-insecure'));
      await chmod(path, 0o644);
      const error = await credentialRejection(
        chain(file(path), literal(testKey('xai', 'fallback'))).resolve(),
      );
      expect(error.reason).toBe('insecure_source');
    },
  );

  it('passes other errors through untouched', async () => {
    const boom = new Error('store down');
    const failing: KeySource = { describe: () => 'custom', resolve: () => Promise.reject(boom) };
    await expect(chain(failing, literal(testKey('xai', 'x'))).resolve()).rejects.toBe(boom);
    const unauthorized = new CredentialError({
      reason: 'unauthorized',
      message: 'Rejected.',
      hint: 'Rotate it.',
    });
    const rejecting: KeySource = { describe: () => 'custom', resolve: () => Promise.reject(unauthorized) };
    await expect(chain(rejecting, literal(testKey('xai', 'x'))).resolve()).rejects.toBe(unauthorized);
  });

  it('accepts spec strings and nests', async () => {
    const key = testKey('slack', 'nest');
    vi.stubEnv('KC_CHAIN_NEST', key);
    const nested = chain(chain('env:KC_CHAIN_NONE'), 'env:KC_CHAIN_NEST');
    expect(nested.describe()).toBe('chain(chain(env:KC_CHAIN_NONE), env:KC_CHAIN_NEST)');
    expect((await nested.resolve({ provider: 'slack' })).reveal()).toBe(key);
  });

  it('follows rotation of its sources', async () => {
    vi.stubEnv('KC_CHAIN_ROT', testKey('openai', 'chain-rot-1'));
    const source = chain(env('KC_CHAIN_ROT'));
    const first = await source.resolve();
    vi.stubEnv('KC_CHAIN_ROT', testKey('openai', 'chain-rot-2'));
    const second = await source.resolve({ fresh: true });
    expect(second.fingerprint).not.toBe(first.fingerprint);
  });
});
