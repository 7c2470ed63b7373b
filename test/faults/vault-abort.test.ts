/**
 * keys.vault() when callers give up: several resolves share one request to Vault, and one
 * caller's AbortSignal ends that caller's wait only. The request is stopped only once every
 * caller waiting for it has given up, or after `timeoutMs`. Run against the Vault simulator (a
 * delayed answer) and against a server that never answers.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import type { VaultSourceOptions } from '../../src/keys/vault/source.js';
import { startVaultSimulator, type VaultSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';
import { startStallServer } from '../helpers/stall-server.js';

let vault: VaultSimulator;
let token: string;
const key = testKey('openai', 'vault-abort');

beforeAll(async () => {
  vault = await startVaultSimulator();
  vault.mount('secret', { version: 2 });
  vault.put('secret', 'openai', { api_key: key });
  token = vault.createToken({ policies: ['root'] });
});

afterAll(async () => {
  await vault.close();
});

beforeEach(() => {
  for (const name of ['VAULT_ADDR', 'VAULT_TOKEN', 'VAULT_NAMESPACE', 'VAULT_ROLE_ID', 'VAULT_SECRET_ID']) {
    vi.stubEnv(name, undefined);
  }
  vault.resetRequests();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function source(options: VaultSourceOptions = {}) {
  return keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token, kv: 2, ...options });
}

const abortAfter = (ms: number, reason?: unknown) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), ms);
  return controller.signal;
};

/** Every way an error gets printed; none of them may throw. */
function printed(error: unknown): string {
  const value = error as Error;
  return [
    String(value),
    value.message,
    value.stack,
    inspect(value, { depth: 10 }),
    JSON.stringify(value),
  ].join('\n');
}

describe('a shared Vault read with callers who give up', () => {
  it('rejects only the caller who aborted; the others get the key from the same request', async () => {
    const reader = source();
    vault.fail({ delayMs: 300 });
    const started = Date.now();
    const leaving = reader.resolve({ provider: 'openai', signal: abortAfter(30) });
    const staying = [
      reader.resolve({ provider: 'openai' }),
      reader.resolve({ provider: 'openai', signal: new AbortController().signal }),
    ];
    const gone = await rejection(leaving);
    expect((gone as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(250);
    for (const secret of await Promise.all(staying)) expect(secret.reveal()).toBe(key);
    expect(vault.count({ path: 'secret/data/openai' })).toBe(1);
    // The answer was kept: the next resolve is served from the cache.
    await reader.resolve({ provider: 'openai' });
    expect(vault.count({ path: 'secret/data/openai' })).toBe(1);
  });

  it('gives each caller its own abort reason', async () => {
    const reader = source();
    vault.fail({ delayMs: 300 });
    const first = reader.resolve({ signal: abortAfter(20, new Error('first left')) });
    const second = reader.resolve({ signal: abortAfter(60, new Error('second left')) });
    const third = reader.resolve();
    expect(((await rejection(first)) as Error).message).toBe('first left');
    expect(((await rejection(second)) as Error).message).toBe('second left');
    expect((await third).reveal()).toBe(key);
  });

  it('refuses a signal that is already aborted without touching the read in flight', async () => {
    const reader = source();
    vault.fail({ delayMs: 150 });
    const waiting = reader.resolve();
    const aborted = AbortSignal.abort(new Error('too late'));
    expect(((await rejection(reader.resolve({ signal: aborted }))) as Error).message).toBe('too late');
    expect((await waiting).reveal()).toBe(key);
    expect(vault.count({ path: 'secret/data/openai' })).toBe(1);
  });

  it('stops the request once every waiting caller gave up, and the next resolve asks again', async () => {
    const silent = await startStallServer('silent');
    try {
      const reader = keys.vault(`${silent.url}/v1/secret/data/openai#api_key`, {
        token,
        kv: 2,
        timeoutMs: 10_000,
      });
      const callers = [
        reader.resolve({ signal: abortAfter(30) }),
        reader.resolve({ signal: abortAfter(60) }),
      ];
      for (const caller of callers) expect(((await rejection(caller)) as Error).name).toBe('AbortError');
      expect(silent.connections()).toBe(1);
      // Nobody waits any more: the connection is closed by keycard, long before timeoutMs.
      await silent.drained(1_000);
      const again = reader.resolve({ signal: abortAfter(30) });
      expect(((await rejection(again)) as Error).name).toBe('AbortError');
      expect(silent.connections()).toBe(2);
      await silent.drained(1_000);
    } finally {
      await silent.close();
    }
  });

  it('keeps the read going while one caller without a signal still waits', async () => {
    const reader = source();
    vault.fail({ delayMs: 200 });
    const leaving = reader.resolve({ signal: abortAfter(20) });
    const patient = reader.resolve();
    await rejection(leaving);
    expect((await patient).reveal()).toBe(key);
  });

  it('shares an AppRole login the same way', async () => {
    const role = vault.addAppRole({ policies: ['secret/*'] });
    const reader = source({ token: undefined, appRole: { roleId: role.roleId, secretId: role.secretId } });
    vault.fail({ path: 'auth/', delayMs: 250 });
    const leaving = reader.resolve({ signal: abortAfter(20) });
    const staying = reader.resolve();
    expect(((await rejection(leaving)) as Error).name).toBe('AbortError');
    expect((await staying).reveal()).toBe(key);
    expect(vault.count({ path: 'auth/approle/login' })).toBe(1);
  });

  it('ends every waiting caller after timeoutMs with a CredentialError that prints safely', async () => {
    const silent = await startStallServer('silent');
    try {
      const reader = keys.vault(`${silent.url}/v1/secret/data/openai#api_key`, {
        token,
        kv: 2,
        timeoutMs: 300,
      });
      const started = Date.now();
      const errors = await Promise.all(
        [reader.resolve(), reader.resolve({ signal: new AbortController().signal })].map(rejection),
      );
      expect(Date.now() - started).toBeLessThan(300 + 1_500);
      for (const error of errors) {
        expect(isCredentialError(error) && error.reason === 'source_unavailable').toBe(true);
        expect((error as Error).message).toContain('did not answer within 300 ms');
        const text = printed(error);
        expect(text).not.toContain(token);
        expect(text).not.toContain(key);
      }
      expect(silent.connections()).toBe(1);
      await silent.drained(1_000);
    } finally {
      await silent.close();
    }
  });
});
