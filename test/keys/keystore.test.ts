/**
 * The encrypted keystore: round trip, the source and its spec string, rotation, wrong passphrase,
 * tampering, file modes, and several processes writing at once. Keys come from testKey().
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { type KeystoreEntryInfo, keystore, openKeystore } from '../../src/keys/keystore.js';
import { from } from '../../src/keys/spec.js';
import { Secret } from '../../src/secret.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const run = promisify(execFile);
const PASSPHRASE = 'correct horse battery staple keystore';
/** A low scrypt cost keeps the suite fast; the format is the same. */
const FAST = { N: 2 ** 14 };

// biome-ignore lint/suspicious/noExplicitAny: tampering walks the keystore's JSON freely.
type Json = any;

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keycard-keystore-'));
  path = join(dir, 'home', 'keys.json');
  vi.stubEnv('KEYCARD_PASSPHRASE', PASSPHRASE);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

async function credentialError(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await rejection(promise);
  if (!isCredentialError(error)) throw error;
  return error;
}

async function tamper(change: (json: Json) => void): Promise<void> {
  const json = JSON.parse(await readFile(path, 'utf8'));
  change(json);
  await writeFile(path, JSON.stringify(json));
}

describe('openKeystore', () => {
  it('adds, lists, gets, rotates and removes keys', async () => {
    const store = openKeystore({ path, kdf: FAST });
    const openai = testKey('openai', 'keystore-1');
    const slack = testKey('slack', 'keystore-2');
    const added = await store.add('openai', openai);
    expect(added).toMatchObject({
      name: 'openai',
      provider: 'openai',
      version: 1,
      maskedId: `sk-proj-****${openai.slice(-4)}`,
    });
    await store.add('team.slack', slack, { provider: 'slack' });
    expect((await store.list()).map((entry: KeystoreEntryInfo) => entry.name)).toEqual([
      'openai',
      'team.slack',
    ]);
    const secret = await store.get('openai');
    expect(secret.reveal()).toBe(openai);
    expect(secret.provider).toBe('openai');
    expect(secret.changedAt?.getTime()).toBe(added.updatedAt.getTime());
    await new Promise((resolve) => setTimeout(resolve, 5));
    const rotatedKey = testKey('openai', 'keystore-rotated');
    const rotated = await store.rotate('openai', rotatedKey);
    expect(rotated.version).toBe(2);
    expect(rotated.createdAt.getTime()).toBe(added.createdAt.getTime());
    expect(rotated.updatedAt.getTime()).toBeGreaterThan(added.updatedAt.getTime());
    expect((await store.get('openai')).reveal()).toBe(rotatedKey);
    expect(await store.remove('team.slack')).toBe(true);
    expect(await store.remove('team.slack')).toBe(false);
    expect(await store.has('team.slack')).toBe(false);
    // The file holds no key in clear and is private.
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(rotatedKey);
    expect(text).not.toContain(openai);
    expect(text).not.toContain(PASSPHRASE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'home'))).mode & 0o777).toBe(0o700);
  });

  it('lists without a passphrase, and refuses to add twice unless told', async () => {
    const store = openKeystore({ path, kdf: FAST });
    await store.add('openai', testKey('openai', 'twice'));
    vi.stubEnv('KEYCARD_PASSPHRASE', undefined);
    expect(await openKeystore({ path }).list()).toHaveLength(1);
    vi.stubEnv('KEYCARD_PASSPHRASE', PASSPHRASE);
    await expect(store.add('openai', testKey('openai', 'again'))).rejects.toThrow(/exists; use rotate/);
    await store.add('openai', testKey('openai', 'again'), { overwrite: true });
    expect((await store.get('openai')).reveal()).toBe(testKey('openai', 'again'));
  });

  it('checks names and values, never echoing a key', async () => {
    const store = openKeystore({ path, kdf: FAST });
    const key = testKey('openai', 'as-name');
    const misplaced = await credentialError(store.add(key, 'x'));
    expect(misplaced.reason).toBe('malformed');
    expect(misplaced.message).not.toContain(key);
    await expect(store.add('bad name', key)).rejects.toThrow(TypeError);
    expect((await credentialError(store.add('openai', 'your-api-key'))).reason).toBe('malformed');
    expect((await credentialError(store.rotate('nothing', key))).reason).toBe('missing');
    const missing = await credentialError(store.get('nothing'));
    expect(missing.reason).toBe('missing');
    expect(missing.hint).toContain('keycard keys add nothing');
  });

  it('needs a passphrase of 8 characters or more to create a keystore', async () => {
    vi.stubEnv('KEYCARD_PASSPHRASE', 'short');
    expect(
      (await credentialError(openKeystore({ path, kdf: FAST }).add('openai', testKey('openai', 'p')))).reason,
    ).toBe('malformed');
    vi.stubEnv('KEYCARD_PASSPHRASE', undefined);
    const none = await credentialError(
      openKeystore({ path, kdf: FAST }).add('openai', testKey('openai', 'p')),
    );
    expect(none.reason).toBe('missing');
    expect(none.hint).toContain('KEYCARD_PASSPHRASE');
  });
});

describe('errors, never garbage', () => {
  beforeEach(async () => {
    await openKeystore({ path, kdf: FAST }).add('openai', testKey('openai', 'tamper'));
  });

  it('refuses a wrong passphrase as source_unavailable, naming its source', async () => {
    vi.stubEnv('KEYCARD_PASSPHRASE', 'not the right passphrase');
    const error = await credentialError(openKeystore({ path }).get('openai'));
    expect(error.reason).toBe('source_unavailable');
    expect(error.message).toContain('does not open the keystore');
    expect(error.hint).toContain('KEYCARD_PASSPHRASE');
    expect(`${error.message}${error.stack}`).not.toContain('not the right passphrase');
  });

  it.each([
    [
      'a ciphertext byte',
      (json: Json) => {
        const data = Buffer.from(json['entries'].openai.data, 'base64');
        data[0] = (data[0] ?? 0) ^ 1;
        json['entries'].openai.data = data.toString('base64');
      },
    ],
    [
      'the clear provider',
      (json: Json) => {
        json['entries'].openai.provider = 'anthropic';
      },
    ],
    [
      'the entry time',
      (json: Json) => {
        json['entries'].openai.updatedAt = '2020-01-01T00:00:00.000Z';
      },
    ],
    [
      'a renamed entry',
      (json: Json) => {
        json['entries'].other = json['entries'].openai;
        json['entries'].openai = undefined;
      },
    ],
  ])('reports a tampered %s as malformed', async (_name, change) => {
    await tamper(change);
    const store = openKeystore({ path });
    const name = (await store.list()).map((entry) => entry.name)[0] ?? 'openai';
    const error = await credentialError(store.get(name));
    expect(error.reason).toBe('malformed');
    expect(error.message).toMatch(/altered or is damaged/);
  });

  it('reports a corrupt file, a future format and hostile scrypt parameters as malformed', async () => {
    await writeFile(path, '{"format": "keycard-keystore", "vers');
    expect((await credentialError(openKeystore({ path }).get('openai'))).message).toContain('not valid JSON');
    await writeFile(path, JSON.stringify({ format: 'keycard-keystore', version: 9 }));
    expect((await credentialError(openKeystore({ path }).list())).message).toContain('format version 9');
    await openKeystore({ path: join(dir, 'b.json'), kdf: FAST }).add('x', testKey('openai', 'b'));
    path = join(dir, 'b.json');
    await tamper((json) => {
      json['kdf'].N = 2 ** 30;
    });
    expect((await credentialError(openKeystore({ path }).get('x'))).message).toContain(
      'out of the accepted range',
    );
  });

  it('refuses a keystore that group or others may read', async () => {
    await chmod(path, 0o644);
    expect((await credentialError(openKeystore({ path }).get('openai'))).reason).toBe('insecure_source');
  });
});

describe('keys.keystore() and keystore:NAME', () => {
  it('resolves through the source and the spec string, picking up a rotation', async () => {
    vi.stubEnv('KEYCARD_HOME', join(dir, 'home'));
    const store = openKeystore({ kdf: FAST });
    expect(store.path).toBe(path);
    const first = testKey('anthropic', 'source-1');
    await store.add('claude', first);
    const source = from('keystore:claude');
    expect(source.describe()).toBe('keystore:claude');
    const secret = await source.resolve({ provider: 'anthropic' });
    expect(secret.reveal()).toBe(first);
    expect(secret.source).toBe('keystore:claude');
    expect(await source.resolve({ provider: 'anthropic' })).toBe(secret);
    const second = testKey('anthropic', 'source-2');
    await openKeystore().rotate('claude', second);
    expect((await source.resolve({ provider: 'anthropic', fresh: true })).reveal()).toBe(second);
    expect(keys.keystore('claude', { path: './other.json' }).describe()).toBe('keystore:claude@./other.json');
  });

  it('takes the passphrase from a KeySource or another variable, spaces included', async () => {
    await openKeystore({ path, kdf: FAST }).add('gemini', testKey('gemini', 'pass-source'));
    vi.stubEnv('KEYCARD_PASSPHRASE', undefined);
    vi.stubEnv('OTHER_PASSPHRASE', `  ${PASSPHRASE}\n`);
    expect((await keystore('gemini', { path, passphrase: 'env:OTHER_PASSPHRASE' }).resolve()).provider).toBe(
      'gemini',
    );
    const custom = { describe: () => 'custom:pass', resolve: async () => new Secret(PASSPHRASE) };
    expect((await keystore('gemini', { path, passphrase: custom }).resolve()).reveal()).toBe(
      testKey('gemini', 'pass-source'),
    );
  });

  it('shows no key or passphrase in inspect or JSON of its objects', async () => {
    const store = openKeystore({ path, kdf: FAST });
    const key = testKey('xai', 'inspect');
    await store.add('xai', key);
    const source = keystore('xai', { path });
    const secret = await source.resolve();
    const shown = [
      inspect(store, { showHidden: true, depth: 9 }),
      inspect(source),
      JSON.stringify(await store.list()),
      `${secret}`,
    ].join('\n');
    expect(shown).not.toContain(key);
    expect(shown).not.toContain(PASSPHRASE);
  });
});

describe('concurrent writers', () => {
  it('loses no entry when four processes add at once', async () => {
    await openKeystore({ path, kdf: FAST }).add('seed', testKey('openai', 'seed'));
    const prefix = testKey('openai', 'writers').slice(0, -8);
    const script = join(import.meta.dirname, '../helpers/keystore-writer.mjs');
    await Promise.all(
      [1, 2, 3, 4].map((writer) =>
        run(process.execPath, [script, path, String(writer), '10', prefix], {
          env: { ...process.env, KEYSTORE_TEST_PASSPHRASE: PASSPHRASE },
        }),
      ),
    );
    const store = openKeystore({ path });
    const entries = await store.list();
    expect(entries).toHaveLength(41);
    for (const writer of [1, 2, 3, 4]) {
      for (let index = 0; index < 10; index += 1) {
        const value = (await store.get(`w${writer}-${index}`)).reveal();
        expect(value).toBe(`${prefix}${writer}x${String(index).padStart(4, '0')}`);
      }
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  }, 30_000);
});
