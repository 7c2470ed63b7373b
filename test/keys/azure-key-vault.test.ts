/**
 * `keys.azureKeyVault()`: the real `@azure/keyvault-secrets` client and `@azure/identity`'s
 * `ClientSecretCredential` against the Key Vault simulator over HTTPS on loopback (a CA made at
 * test time), through Key Vault's bearer challenge and the client-credentials sign-in.
 */
import { inspect } from 'node:util';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { CredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { from } from '../../src/keys/spec.js';
import { parseAzureSecretSpec } from '../../src/keys/stores/azure-key-vault.js';
import {
  type AzureKeyVaultSimulator,
  type AzureSimulatedApplication,
  startAzureKeyVaultSimulator,
  startSimulator,
} from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls.js';

let azure: AzureKeyVaultSimulator;
let certificates: TestCertificates;
let app: AzureSimulatedApplication;
beforeAll(async () => {
  certificates = await makeTestCertificates();
  azure = await startAzureKeyVaultSimulator({ tls: certificates });
  app = azure.application();
});
afterAll(async () => {
  await azure.close();
});
afterEach(() => {
  azure.clearFaults();
});

function credential(application = app) {
  return new ClientSecretCredential(application.tenantId, application.clientId, application.clientSecret, {
    authorityHost: azure.url,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: certificates.ca },
  });
}

let count = 0;
/** A secret name of its own per test: the simulator is shared. */
function newSecret(): string {
  count += 1;
  return `openai-key-${count}`;
}

const source = (spec: string, options: Parameters<typeof keys.azureKeyVault>[1] = {}) =>
  keys.azureKeyVault(spec, {
    vaultUrl: azure.url,
    credential: credential(),
    ca: certificates.ca,
    maxRetries: 0,
    ...options,
  });

describe('azure-kv: specs', () => {
  it('parses vault, secret, version and field, and refuses the rest', () => {
    expect(parseAzureSecretSpec('azure-kv://team-vault/openai-key')).toMatchObject({
      vault: 'team-vault',
      secret: 'openai-key',
      version: undefined,
      describe: 'azure-kv://team-vault/openai-key',
    });
    expect(parseAzureSecretSpec('azure-kv://team-vault/ai/0123abcd#openai')).toMatchObject({
      version: '0123abcd',
      field: 'openai',
    });
    for (const bad of [
      'azure-kv://v',
      'azure-kv://ab/s',
      'azure-kv://team_vault/s',
      'azure-kv://team-vault/s_1',
    ]) {
      expect(() => parseAzureSecretSpec(bad), bad).toThrow(/azure-kv:/);
    }
    expect(from('azure-kv://team-vault/openai-key').describe()).toBe('azure-kv://team-vault/openai-key');
    expect(() => keys.azureKeyVault('azure-kv://team-vault/s', { vaultUrl: 'http://127.0.0.1:1' })).toThrow(
      /https/,
    );
  });
});

describe('azure-kv: reading a key', () => {
  it('signs in, reads the current version, a pinned version, a field, with the key’s age', async () => {
    const name = newSecret();
    const first = testKey('openai', 'azure-first');
    const second = testKey('openai', 'azure-second');
    const firstVersion = azure.setSecret(name, first);
    azure.setSecret(name, second);
    azure.setSecret(`${name}-bundle`, { api_key: first });
    const current = await source(`azure-kv://team-vault/${name}`).resolve({ provider: 'openai' });
    expect(current.reveal()).toBe(second);
    expect(current.source).toBe(`azure-kv://team-vault/${name}`);
    expect(Math.abs((current.changedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect((await source(`azure-kv://team-vault/${name}/${firstVersion}`).resolve()).reveal()).toBe(first);
    expect((await source(`azure-kv://team-vault/${name}-bundle#api_key`).resolve()).reveal()).toBe(first);
    // The challenge, the sign-in, then the read: the way the real service is met.
    const paths = azure.requests().map((request) => `${request.path} ${request.status}`);
    expect(paths.slice(0, 4)).toEqual([
      `/secrets/${name}/ 401`,
      expect.stringMatching(/\/v2\.0\/\.well-known\/openid-configuration 200$/),
      expect.stringMatching(/\/oauth2\/v2\.0\/token 200$/),
      `/secrets/${name}/ 200`,
    ]);
  });

  it('says missing for a secret or a version that is not there and for a disabled one', async () => {
    const name = newSecret();
    azure.setSecret(name, testKey('openai', 'azure-missing'));
    const none = await rejection(
      source(`azure-kv://team-vault/${name}-none`).resolve({ provider: 'openai' }),
    );
    expect(none).toMatchObject({ reason: 'missing', provider: 'openai', status: 404 });
    expect((none as CredentialError).hint).toContain('az keyvault secret show --vault-name team-vault');
    expect(await rejection(source(`azure-kv://team-vault/${name}/00ff`).resolve())).toMatchObject({
      reason: 'missing',
    });
    azure.disable(name);
    const disabled = await rejection(source(`azure-kv://team-vault/${name}`).resolve());
    expect(disabled).toMatchObject({ reason: 'missing' });
    expect((disabled as Error).message).toContain('is disabled');
  });

  it('names the role when access is refused, and the credentials when sign-in fails', async () => {
    const name = newSecret();
    azure.setSecret(name, testKey('openai', 'azure-denied'));
    const allow = azure.deny(name);
    const denied = await rejection(source(`azure-kv://team-vault/${name}`).resolve());
    allow();
    expect(denied).toMatchObject({ reason: 'source_unavailable', status: 403, retryable: false });
    expect((denied as CredentialError).hint).toContain('Key Vault Secrets User');
    const wrongSecret = { ...app, clientSecret: `${app.clientSecret}x` };
    const refused = await rejection(
      source(`azure-kv://team-vault/${name}`, { credential: credential(wrongSecret) }).resolve(),
    );
    expect(refused).toMatchObject({ reason: 'source_unavailable' });
    expect((refused as CredentialError).hint).toContain('AZURE_CLIENT_ID');
    const printed = `${inspect(refused, { depth: 10, showHidden: true })}${JSON.stringify(refused)}`;
    expect(printed).not.toContain(app.clientSecret);
  });

  it('reports throttling, 5xx, a hang and garbage as retryable, never with a token or a key', async () => {
    const name = newSecret();
    const key = testKey('openai', 'azure-faults');
    azure.setSecret(name, key);
    const failures: unknown[] = [];
    for (const fault of ['throttled', 'unavailable', 'server_error', 'garbage', 'hang'] as const) {
      azure.failNext(fault, { times: Number.POSITIVE_INFINITY });
      failures.push(await rejection(source(`azure-kv://team-vault/${name}`, { timeoutMs: 1500 }).resolve()));
      azure.clearFaults();
    }
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(CredentialError);
      expect(failure).toMatchObject({ reason: 'source_unavailable', retryable: true });
      const printed = `${inspect(failure, { depth: 10, showHidden: true })}${JSON.stringify(failure)}`;
      expect(printed).not.toContain(key);
      expect(printed).not.toMatch(/Bearer eyJ/);
    }
    expect((failures[4] as Error).message).toContain('did not answer within 1500 ms');
  }, 60_000);

  it('reads once for many callers at the same moment, and serves the cached key through an outage', async () => {
    const name = newSecret();
    const key = testKey('openai', 'azure-flight');
    azure.setSecret(name, key);
    const shared = source(`azure-kv://team-vault/${name}`, { cacheTtlMs: 0, timeoutMs: 2000 });
    await shared.resolve(); // signed in once; the token is then reused
    const before = azure.readCount();
    const all = await Promise.all(Array.from({ length: 12 }, () => shared.resolve({ provider: 'openai' })));
    expect(all.every((secret) => secret.reveal() === key)).toBe(true);
    expect(azure.readCount() - before).toBe(1);
    const warnings: string[] = [];
    azure.failNext('unavailable', { times: Number.POSITIVE_INFINITY });
    expect((await shared.resolve({ onWarning: (message) => warnings.push(message) })).reveal()).toBe(key);
    expect(warnings[0]).toMatch(/until Azure Key Vault answers again/);
    expect(await rejection(shared.resolve({ fresh: true }))).toMatchObject({ reason: 'source_unavailable' });
  }, 60_000);

  it('is read again after the provider rejects the key: a rotated key is used at once', async () => {
    const name = newSecret();
    const oldKey = testKey('openai', 'azure-rotation-old');
    const newKey = testKey('openai', 'azure-rotation-new');
    azure.setSecret(name, oldKey);
    const provider = await startSimulator({ keys: [oldKey] });
    try {
      const client = await createClient('openai', source(`azure-kv://team-vault/${name}`), {
        baseURL: provider.baseURL('openai'),
        ledger: false,
      });
      provider.revokeKey(oldKey);
      provider.addKey(newKey);
      azure.setSecret(name, newKey);
      const models = await client.sdk.models.list();
      expect(models.data.length).toBeGreaterThan(0);
      expect(client.maskedId.slice(-4)).toBe(newKey.slice(-4));
      expect(inspect(client, { depth: 10 })).not.toContain(newKey);
      await client.close();
    } finally {
      await provider.close();
    }
  }, 60_000);
});
