/**
 * The keystore at today's KDF guidance and safe with files and locks: scrypt N=2^17 for new files,
 * older files read and upgraded on their next write, a floor below which files are refused, a
 * warning for short passphrases, symbolic links refused, stale locks (dangling links, dead
 * processes) taken over, and every failure a CredentialError.
 */
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keycardHome } from '../../src/home.js';
import { openKeystore } from '../../src/keys/keystore.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const PASSPHRASE = 'correct horse battery staple hardening';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keycard-keystore-hard-'));
  path = join(dir, 'keys.json');
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

const kdfOf = async (file: string) =>
  JSON.parse(await readFile(file, 'utf8')).kdf as { N: number; r: number; p: number };

describe('key derivation', () => {
  it('creates new files with scrypt N=2^17, r=8, p=1', async () => {
    await openKeystore({ path }).add('openai', testKey('openai', 'kdf-new'));
    expect(await kdfOf(path)).toMatchObject({ N: 2 ** 17, r: 8, p: 1 });
  });

  it('reads an older, cheaper file and encrypts it again with the current parameters on the next write', async () => {
    const openai = testKey('openai', 'kdf-old');
    await openKeystore({ path, kdf: { N: 2 ** 15 } }).add('openai', openai);
    expect((await kdfOf(path)).N).toBe(2 ** 15);
    const store = openKeystore({ path });
    expect((await store.get('openai')).reveal()).toBe(openai);
    expect((await kdfOf(path)).N).toBe(2 ** 15); // reading changes nothing
    const slack = testKey('slack', 'kdf-old');
    await store.add('slack', slack);
    expect((await kdfOf(path)).N).toBe(2 ** 17);
    expect((await store.get('openai')).reveal()).toBe(openai);
    expect((await store.get('slack')).reveal()).toBe(slack);
    expect((await store.list()).find((entry) => entry.name === 'openai')?.version).toBe(1);
  });

  it('refuses a file below the floor (N < 2^14 or r < 8) as insecure', async () => {
    await openKeystore({ path, kdf: { N: 2 ** 14 } }).add('openai', testKey('openai', 'kdf-floor'));
    const json = JSON.parse(await readFile(path, 'utf8'));
    for (const weak of [{ N: 2 ** 10 }, { r: 1 }]) {
      await writeFile(path, JSON.stringify({ ...json, kdf: { ...json.kdf, ...weak } }), { mode: 0o600 });
      const error = await credentialError(openKeystore({ path }).get('openai'));
      expect(error.reason).toBe('insecure_source');
      expect(error.message).toContain('below keycard');
    }
  });

  it('warns when a new keystore gets a passphrase shorter than 12 characters', async () => {
    vi.stubEnv('KEYCARD_PASSPHRASE', 'short-pass1');
    const warnings: string[] = [];
    await openKeystore({ path, kdf: { N: 2 ** 14 }, onWarning: (message) => warnings.push(message) }).add(
      'openai',
      testKey('openai', 'short-pass'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('fewer than 12 characters');
    expect(warnings[0]).not.toContain('short-pass1');
  });
});

describe('files and locks', () => {
  it('refuses a keystore that is a symbolic link, and leaves the link as it is', async () => {
    const real = join(dir, 'real.json');
    await openKeystore({ path: real, kdf: { N: 2 ** 14 } }).add('openai', testKey('openai', 'link'));
    await symlink(real, path);
    for (const attempt of [
      openKeystore({ path }).get('openai'),
      openKeystore({ path }).add('x', testKey('slack', 'l')),
    ]) {
      const error = await credentialError(attempt);
      expect(error.reason).toBe('insecure_source');
      expect(error.message).toContain('symbolic link');
    }
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
  });

  it('takes over a lock that is a dangling symbolic link, at once', async () => {
    await symlink(join(dir, 'nowhere'), `${path}.lock`);
    const started = Date.now();
    await openKeystore({ path, kdf: { N: 2 ** 14 } }).add('openai', testKey('openai', 'dangling'));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('takes over a fresh lock whose process is gone, at once', async () => {
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    await writeFile(`${path}.lock`, JSON.stringify({ pid: Number(dead), at: new Date().toISOString() }));
    const started = Date.now();
    await openKeystore({ path, kdf: { N: 2 ** 14 } }).add('openai', testKey('openai', 'dead-pid'));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a keystore that cannot be written as a CredentialError', async () => {
    await writeFile(join(dir, 'file'), 'not a directory');
    const error = await credentialError(
      openKeystore({ path: join(dir, 'file', 'keys.json'), kdf: { N: 2 ** 14 } }).add(
        'openai',
        testKey('openai', 'w'),
      ),
    );
    expect(error.reason).toBe('source_unavailable');
    expect(error.message).toMatch(/cannot be changed: its directory cannot be made \((ENOTDIR|EEXIST)\)/);
  });
});

describe('KEYCARD_HOME', () => {
  it('warns once when group or others may read it', async () => {
    const home = join(dir, 'open-home');
    await mkdir(home, { mode: 0o755 });
    expect((await stat(home)).mode & 0o077).not.toBe(0);
    vi.stubEnv('KEYCARD_HOME', home);
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      keycardHome();
      keycardHome();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    const ours = warnings.filter((warning) => (warning as { code?: string }).code === 'KEYCARD_HOME_SHARED');
    expect(ours).toHaveLength(1);
    expect(ours[0]?.message).toContain(`chmod 700 ${home}`);
  });
});
