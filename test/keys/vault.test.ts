/**
 * keys.vault() against the Vault simulator over real HTTP (and HTTPS with a CA made at test
 * time): KV v1 and v2, versions, deletes, mount detection, tokens from every place, AppRole with
 * expiry, namespaces, errors, the cache, the grace window and single flight.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import type { VaultSourceOptions } from '../../src/keys/vault/source.js';
import { startVaultSimulator, type VaultSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';
import { makeTestCertificates } from '../helpers/tls.js';

let vault: VaultSimulator;
let token: string;
const openaiKey = testKey('openai', 'vault-v2');

/** Every Vault variable a developer's shell may hold, cleared for each test. */
const VAULT_VARIABLES = [
  'VAULT_ADDR',
  'VAULT_AGENT_ADDR',
  'VAULT_TOKEN',
  'VAULT_NAMESPACE',
  'VAULT_CACERT',
  'VAULT_ROLE_ID',
  'VAULT_SECRET_ID',
  'VAULT_TOKEN_FILE',
  'BAO_ADDR',
  'BAO_AGENT_ADDR',
  'BAO_TOKEN',
  'BAO_NAMESPACE',
  'BAO_CACERT',
  'BAO_TOKEN_PATH',
  'BAO_ROLE_ID',
  'BAO_SECRET_ID',
];

beforeAll(async () => {
  vault = await startVaultSimulator();
  vault.mount('secret', { version: 2 });
  vault.mount('kv', { version: 1 });
  vault.put('secret', 'openai', { api_key: openaiKey, owner: 'team-a' });
  token = vault.createToken({ policies: ['root'] });
});

afterAll(async () => {
  await vault.close();
});

beforeEach(async () => {
  for (const name of VAULT_VARIABLES) vi.stubEnv(name, undefined);
  // No ~/.vault-token of the developer's is read: point the token file somewhere empty.
  vi.stubEnv('VAULT_TOKEN_FILE', join(await mkdtemp(join(tmpdir(), 'keycard-vault-')), 'none'));
  vault.resetRequests();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function source(path: string, options: VaultSourceOptions = {}) {
  return keys.vault(`${vault.address}/v1/${path}`, { token, ...options });
}

async function credentialError(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await rejection(promise);
  if (!isCredentialError(error)) throw error;
  return error;
}

describe('reading KV secrets', () => {
  it('reads a KV v2 field through an API URL, with its version time as changedAt', async () => {
    const secret = await source('secret/data/openai#api_key').resolve({ provider: 'openai' });
    expect(secret.reveal()).toBe(openaiKey);
    expect(secret.provider).toBe('openai');
    expect(secret.source).toBe(`vault:${vault.address}/v1/secret/data/openai#api_key`);
    expect(secret.changedAt).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - (secret.changedAt?.getTime() ?? 0))).toBeLessThan(60_000);
  });

  it('reads KV v1', async () => {
    const key = testKey('anthropic', 'vault-v1');
    vault.put('kv', 'anthropic', { key });
    const secret = await source('kv/anthropic#key').resolve({ provider: 'anthropic' });
    expect(secret.reveal()).toBe(key);
    expect(secret.changedAt).toBeUndefined();
  });

  it('detects the KV version of a vault:/// mount once, with the address from VAULT_ADDR', async () => {
    vi.stubEnv('VAULT_ADDR', vault.address);
    vi.stubEnv('VAULT_TOKEN', token);
    const v2 = keys.from('vault:///secret/openai#api_key');
    expect(v2.describe()).toBe('vault:///secret/openai#api_key');
    expect((await v2.resolve({ fresh: true })).reveal()).toBe(openaiKey);
    expect((await v2.resolve({ fresh: true })).reveal()).toBe(openaiKey);
    expect(vault.count({ path: 'sys/internal/ui/mounts' })).toBe(1);
    expect(vault.count({ path: 'secret/data/openai' })).toBe(2);
    const key = testKey('gemini', 'vault-detect-v1');
    vault.put('kv', 'gemini', { key });
    expect((await keys.from('vault:///kv/gemini#key').resolve()).reveal()).toBe(key);
  });

  it('skips detection with ?kv= and reads a pinned ?version=', async () => {
    const first = testKey('openai', 'versions-1');
    const second = testKey('openai', 'versions-2');
    const v1 = vault.put('secret', 'versioned', { api_key: first });
    vault.put('secret', 'versioned', { api_key: second });
    vi.stubEnv('VAULT_ADDR', vault.address);
    vi.stubEnv('VAULT_TOKEN', token);
    expect((await keys.from('vault:///secret/versioned?kv=2#api_key').resolve()).reveal()).toBe(second);
    expect((await keys.from(`vault:///secret/versioned?kv=2&version=${v1}#api_key`).resolve()).reveal()).toBe(
      first,
    );
    expect(vault.count({ path: 'sys/internal/ui/mounts' })).toBe(0);
  });

  it('takes the only field when none is named, and lists the fields when there are several', async () => {
    const key = testKey('xai', 'only-field');
    vault.put('secret', 'single', { value: key });
    expect((await source('secret/data/single').resolve()).reveal()).toBe(key);
    const error = await credentialError(source('secret/data/openai').resolve());
    expect(error.reason).toBe('missing');
    expect(error.message).toContain('"api_key", "owner"');
    expect(error.hint).toContain('#');
  });

  it('names the path and field of a missing secret or field, never a value', async () => {
    const missing = await credentialError(source('secret/data/nothing-here#api_key').resolve());
    expect(missing).toMatchObject({ reason: 'missing', status: 404 });
    expect(missing.message).toContain('secret/data/nothing-here');
    const noField = await credentialError(source('secret/data/openai#apikey').resolve());
    expect(noField.reason).toBe('missing');
    expect(noField.message).toContain('no field "apikey"');
    expect(noField.message).not.toContain(openaiKey);
  });

  it('reports a soft-deleted or destroyed version as missing (a 404 with a normal body)', async () => {
    vault.put('secret', 'deleted', { api_key: testKey('openai', 'deleted') });
    vault.softDelete('secret', 'deleted');
    const deleted = await credentialError(source('secret/data/deleted#api_key').resolve());
    expect(deleted.reason).toBe('missing');
    expect(deleted.message).toMatch(/was deleted/);
    expect(deleted.hint).toMatch(/undelete/);
    const version = vault.put('secret', 'destroyed', { api_key: testKey('openai', 'destroyed') });
    vault.destroy('secret', 'destroyed', version);
    const destroyed = await credentialError(source('secret/data/destroyed#api_key').resolve());
    expect(destroyed.message).toMatch(/was destroyed/);
  });

  it('refuses a field that is not a string, and a value that is not a usable key', async () => {
    vault.put('secret', 'number', { api_key: 42 });
    expect((await credentialError(source('secret/data/number#api_key').resolve())).reason).toBe('malformed');
    vault.put('secret', 'placeholder', { api_key: 'your-api-key-here' });
    expect((await credentialError(source('secret/data/placeholder#api_key').resolve())).reason).toBe(
      'malformed',
    );
  });

  it('says so when a mount does not exist (Vault answers 403, as for a mount out of reach)', async () => {
    vi.stubEnv('VAULT_ADDR', vault.address);
    vi.stubEnv('VAULT_TOKEN', token);
    const error = await credentialError(keys.from('vault:///nomount/openai#api_key').resolve());
    expect(error).toMatchObject({ reason: 'source_unavailable', status: 403 });
    expect(error.message).toContain('nomount/openai');
    expect(error.message).toContain('no secrets engine is mounted there');
    expect(error.hint).toContain('vault secrets list');
  });
});

describe('tokens', () => {
  it('sends the token option, X-Vault-Request, and a namespace', async () => {
    vault.mount('secret', { version: 2, namespace: 'team-a/' });
    const key = testKey('openai', 'namespaced');
    vault.put('secret', 'openai', { api_key: key }, { namespace: 'team-a/' });
    const nsToken = vault.createToken({ policies: ['secret/data/openai'], namespace: 'team-a/' });
    const byOption = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, {
      token: nsToken,
      namespace: 'team-a',
    });
    expect((await byOption.resolve()).reveal()).toBe(key);
    const byQuery = keys.vault(`${vault.address}/v1/secret/data/openai?namespace=team-a/#api_key`, {
      token: nsToken,
    });
    expect((await byQuery.resolve()).reveal()).toBe(key);
    vi.stubEnv('VAULT_NAMESPACE', 'team-a/');
    const byEnv = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token: nsToken });
    expect((await byEnv.resolve()).reveal()).toBe(key);
    expect(vault.requests.every((request) => request.namespace === 'team-a/')).toBe(true);
    // The namespaced token is refused outside its namespace.
    vi.stubEnv('VAULT_NAMESPACE', undefined);
    const outside = await credentialError(
      keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token: nsToken }).resolve(),
    );
    expect(outside.reason).toBe('source_unavailable');
  });

  it('reads VAULT_TOKEN, then BAO_TOKEN, then the token file', async () => {
    const url = `${vault.address}/v1/secret/data/openai#api_key`;
    vi.stubEnv('VAULT_TOKEN', token);
    vi.stubEnv('BAO_TOKEN', 'not-a-valid-token');
    expect((await keys.vault(url).resolve()).reveal()).toBe(openaiKey);
    vi.stubEnv('VAULT_TOKEN', '');
    const bao = await credentialError(keys.vault(url).resolve());
    expect(bao.message).toContain('BAO_TOKEN');
    vi.stubEnv('BAO_TOKEN', token);
    expect((await keys.vault(url).resolve()).reveal()).toBe(openaiKey);
    vi.stubEnv('BAO_TOKEN', undefined);
    vi.stubEnv('VAULT_TOKEN', undefined);
    const dir = await mkdtemp(join(tmpdir(), 'keycard-vault-token-'));
    const tokenFile = join(dir, '.vault-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    await chmod(tokenFile, 0o600);
    vi.stubEnv('VAULT_TOKEN_FILE', tokenFile);
    expect((await keys.vault(url).resolve()).reveal()).toBe(openaiKey);
  });

  it('reads a token source again when Vault refuses the token (a renewed agent sink file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keycard-vault-sink-'));
    const sink = join(dir, 'token');
    const first = vault.createToken({ policies: ['secret/*'] });
    await writeFile(sink, first, { mode: 0o600 });
    await chmod(sink, 0o600);
    const reader = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token: keys.file(sink) });
    expect((await reader.resolve()).reveal()).toBe(openaiKey);
    vault.expireToken(first);
    await writeFile(sink, vault.createToken({ policies: ['secret/*'] }));
    expect((await reader.resolve({ fresh: true })).reveal()).toBe(openaiKey);
  });

  it('explains a missing token, and needs none through a Vault agent', async () => {
    const url = `${vault.address}/v1/secret/data/openai#api_key`;
    const error = await credentialError(keys.vault(url).resolve());
    expect(error.reason).toBe('source_unavailable');
    expect(error.hint).toContain('VAULT_TOKEN');
    vi.stubEnv('VAULT_AGENT_ADDR', vault.address);
    // The simulator is not an agent: it refuses the tokenless request, which proves none was sent.
    const refused = await credentialError(keys.vault(url).resolve());
    expect(refused.status).toBe(403);
    expect(vault.requests.at(-1)?.tokenSent).toBe(false);
  });

  it('refuses a token without a policy for the path, with a hint about the policy', async () => {
    const narrow = vault.createToken({ policies: ['secret/data/other'] });
    const error = await credentialError(source('secret/data/openai#api_key', { token: narrow }).resolve());
    expect(error).toMatchObject({ reason: 'source_unavailable', status: 403, retryable: false });
    expect(error.message).toContain('permission denied');
    expect(error.hint).toMatch(/policy grants read on secret\/data\/openai/);
  });

  it('logs in with AppRole, once for many resolves, and again before the token expires', async () => {
    const role = vault.addAppRole({ policies: ['secret/*'], tokenTtlSeconds: 1 });
    const reader = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, {
      appRole: { roleId: role.roleId, secretId: keys.literal(role.secretId) },
    });
    await Promise.all(Array.from({ length: 5 }, () => reader.resolve({ fresh: true })));
    expect(vault.count({ path: 'auth/approle/login' })).toBe(1);
    for (const request of vault.requests) {
      expect(request.tokenSent || request.path.startsWith('auth/')).toBe(true);
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await reader.resolve({ fresh: true })).reveal()).toBe(openaiKey);
    expect(vault.count({ path: 'auth/approle/login' })).toBe(2);
  });

  it('logs in again once when Vault refuses an AppRole token before its lease ends', async () => {
    const role = vault.addAppRole({ policies: ['secret/*'], tokenTtlSeconds: 3600 });
    const reader = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, {
      appRole: { roleId: keys.literal(role.roleId), secretId: role.secretId },
    });
    await reader.resolve();
    vault.expireAllTokens();
    token = vault.createToken({ policies: ['root'] });
    await Promise.all(Array.from({ length: 5 }, () => reader.resolve({ fresh: true })));
    expect(vault.count({ path: 'auth/approle/login' })).toBe(2);
  });

  it('reports a failed AppRole login', async () => {
    const error = await credentialError(
      keys
        .vault(`${vault.address}/v1/secret/data/openai#api_key`, {
          appRole: { roleId: 'nobody', secretId: 'wrong' },
        })
        .resolve(),
    );
    expect(error.reason).toBe('source_unavailable');
    expect(error.message).toContain('AppRole login');
    expect(error.hint).toMatch(/role id and secret id/);
  });
});

describe('when Vault fails', () => {
  it('marks 500, 503, a hang and malformed JSON as retryable source_unavailable', async () => {
    const url = 'secret/data/openai#api_key';
    vault.fail({ status: 500 });
    const server = await credentialError(source(url).resolve());
    expect(server).toMatchObject({ reason: 'source_unavailable', status: 500, retryable: true });
    vault.fail({ status: 503 });
    const sealed = await credentialError(source(url).resolve());
    expect(sealed.message).toMatch(/sealed/i);
    vault.fail({ hang: true });
    const hang = await credentialError(source(url, { timeoutMs: 200 }).resolve());
    expect(hang).toMatchObject({ reason: 'source_unavailable', retryable: true });
    expect(hang.message).toContain('did not answer within 200 ms');
    vault.fail({ malformed: true });
    const malformed = await credentialError(source(url).resolve());
    expect(malformed).toMatchObject({ reason: 'source_unavailable', retryable: true });
    expect(malformed.message).toContain('not valid JSON');
  });

  it('reports a refused connection as retryable', async () => {
    const closed = await startVaultSimulator();
    const address = closed.address;
    await closed.close();
    const error = await credentialError(keys.vault(`${address}/v1/secret/data/x#k`, { token }).resolve());
    expect(error).toMatchObject({ reason: 'source_unavailable', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it("redacts the token in Vault's error text", async () => {
    vault.fail({ status: 500, errors: [`internal error for token ${token}`] });
    const error = await credentialError(source('secret/data/openai#api_key').resolve());
    expect(error.message).toContain('internal error for token [REDACTED');
    expect(`${error.message}${error.stack}`).not.toContain(token);
  });
});

describe('cache, grace and single flight', () => {
  it('makes one request for 1,000 concurrent resolves, then serves the cache', async () => {
    const reader = source('secret/data/openai#api_key');
    const secrets = await Promise.all(
      Array.from({ length: 1000 }, () => reader.resolve({ provider: 'openai' })),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(vault.count()).toBe(1);
    await reader.resolve({ provider: 'openai' });
    expect(vault.count()).toBe(1);
    // A fresh resolve (after a provider rejected the key) always asks Vault.
    await reader.resolve({ provider: 'openai', fresh: true });
    expect(vault.count()).toBe(2);
  });

  it('reads again after the TTL, and keeps the same Secret while the value is unchanged', async () => {
    const reader = source('secret/data/openai#api_key', { cacheTtlMs: 50 });
    const first = await reader.resolve();
    await new Promise((resolve) => setTimeout(resolve, 80));
    const second = await reader.resolve();
    expect(vault.count()).toBe(2);
    expect(second).toBe(first);
  });

  it('serves the cached key within the grace window when Vault is down, with a warning', async () => {
    const reader = source('secret/data/openai#api_key', { cacheTtlMs: 20, staleGraceMs: 5000 });
    const first = await reader.resolve();
    await new Promise((resolve) => setTimeout(resolve, 40));
    vault.fail({ status: 503, times: 2 });
    const warnings: string[] = [];
    const stale = await reader.resolve({ onWarning: (message) => warnings.push(message) });
    expect(stale).toBe(first);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('could not be read');
    expect(warnings[0]).not.toContain(openaiKey);
    // Not after the provider rejected the key: then a stale key is no use.
    const fresh = await credentialError(reader.resolve({ fresh: true, onWarning: () => {} }));
    expect(fresh.reason).toBe('source_unavailable');
    // Not for an error that waiting will not fix.
    vault.fail({ status: 403 });
    expect((await credentialError(reader.resolve({ onWarning: () => {} }))).status).toBe(403);
  });

  it('stops serving the cached key after the grace window', async () => {
    const reader = source('secret/data/openai#api_key', { cacheTtlMs: 10, staleGraceMs: 10 });
    await reader.resolve();
    await new Promise((resolve) => setTimeout(resolve, 40));
    vault.fail({ status: 500 });
    expect((await credentialError(reader.resolve({ onWarning: () => {} }))).status).toBe(500);
  });
});

describe('transport security', () => {
  it('reads over HTTPS with a CA given as an option or in VAULT_CACERT, and refuses an unknown CA', async () => {
    const tls = await makeTestCertificates();
    const secure = await startVaultSimulator({ tls: { key: tls.key, cert: tls.cert } });
    try {
      secure.mount('secret', { version: 2 });
      const key = testKey('openai', 'over-tls');
      secure.put('secret', 'openai', { api_key: key });
      const secureToken = secure.createToken({ policies: ['root'] });
      expect(secure.address).toMatch(/^https:/);
      const url = `${secure.address}/v1/secret/data/openai#api_key`;
      expect((await keys.vault(url, { token: secureToken, ca: tls.ca }).resolve()).reveal()).toBe(key);
      const caFile = join(tls.dir, 'ca.pem');
      await writeFile(caFile, tls.ca);
      vi.stubEnv('VAULT_CACERT', caFile);
      expect((await keys.vault(url, { token: secureToken }).resolve()).reveal()).toBe(key);
      vi.stubEnv('VAULT_CACERT', undefined);
      const untrusted = await credentialError(keys.vault(url, { token: secureToken }).resolve());
      expect(untrusted.reason).toBe('source_unavailable');
      expect(untrusted.hint).toMatch(/VAULT_CACERT/);
    } finally {
      await secure.close();
    }
  });

  it('refuses plain http:// to another machine before sending anything', async () => {
    const error = await credentialError(
      keys.vault('http://vault.example.invalid:8200/v1/secret/data/openai#api_key', { token }).resolve(),
    );
    expect(error.reason).toBe('insecure_source');
    expect(error.hint).toContain('dangerouslyAllowPlainHttp');
    vi.stubEnv('VAULT_ADDR', 'http://vault.example.invalid:8200');
    expect((await credentialError(keys.from('vault:///secret/openai#api_key').resolve())).reason).toBe(
      'insecure_source',
    );
    const allowed = await credentialError(
      keys
        .vault('http://vault.example.invalid:8200/v1/secret/data/openai#api_key', {
          token,
          dangerouslyAllowPlainHttp: true,
          timeoutMs: 2000,
        })
        .resolve(),
    );
    expect(allowed.reason).toBe('source_unavailable');
  });
});
