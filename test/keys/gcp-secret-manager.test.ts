/**
 * `keys.gcpSecretManager()`: the real `@google-cloud/secret-manager` client (its REST transport)
 * against the Secret Manager simulator over HTTP, signing its requests with a service account key
 * the simulator made and checks.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { CredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { from } from '../../src/keys/spec.js';
import { parseGcpSecretSpec } from '../../src/keys/stores/gcp-secret-manager.js';
import {
  type GcpSecretManagerSimulator,
  type Simulator,
  startGcpSecretManagerSimulator,
  startSimulator,
} from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let gcp: GcpSecretManagerSimulator;
let account: ReturnType<GcpSecretManagerSimulator['serviceAccount']>;
beforeAll(async () => {
  gcp = await startGcpSecretManagerSimulator();
  account = gcp.serviceAccount();
});
afterAll(async () => {
  await gcp.close();
});

let project = 0;
/** A project of its own per test: the simulator is shared. */
function newProject(): string {
  project += 1;
  return `keycard-test-${project}`;
}

const source = (spec: string, options: Parameters<typeof keys.gcpSecretManager>[1] = {}) =>
  keys.gcpSecretManager(spec, { endpoint: gcp.url, credentials: account, ...options });

describe('gcp-sm: specs', () => {
  it('parses project, secret, version and field, and refuses the rest with the accepted forms', () => {
    expect(parseGcpSecretSpec('gcp-sm://my-project/openai-key')).toMatchObject({
      project: 'my-project',
      secret: 'openai-key',
      version: 'latest',
      field: undefined,
      describe: 'gcp-sm://my-project/openai-key/latest',
    });
    expect(parseGcpSecretSpec('gcp-sm://p1/s_1/7#api_key')).toMatchObject({ version: '7', field: 'api_key' });
    for (const bad of [
      'gcp-sm://p',
      'gcp-sm://P!/s',
      'gcp-sm://p/s/v0',
      'gcp-sm://p/s/x/y',
      'gcp-sm://p/s.s',
    ]) {
      expect(() => parseGcpSecretSpec(bad), bad).toThrow(/gcp-sm:/);
    }
    expect(from('gcp-sm://my-project/openai-key#api_key').describe()).toBe(
      'gcp-sm://my-project/openai-key/latest#api_key',
    );
  });
});

describe('gcp-sm: reading a key', () => {
  afterEach(() => {
    gcp.clearFaults();
  });

  it('reads the latest version, a pinned version, a field of a JSON secret, with the version’s age', async () => {
    const name = newProject();
    const first = testKey('openai', 'gcp-first');
    const second = testKey('openai', 'gcp-second');
    gcp.put(name, 'openai', first);
    gcp.put(name, 'openai', second);
    gcp.put(name, 'bundle', { api_key: first, other: 'x' });
    const latest = await source(`gcp-sm://${name}/openai`).resolve({ provider: 'openai' });
    expect(latest.reveal()).toBe(second);
    expect(latest.source).toBe(`gcp-sm://${name}/openai/latest`);
    expect(latest.changedAt).toBeInstanceOf(Date);
    expect(Math.abs((latest.changedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect((await source(`gcp-sm://${name}/openai/1`).resolve()).reveal()).toBe(first);
    expect((await source(`gcp-sm://${name}/bundle#api_key`).resolve()).reveal()).toBe(first);
  });

  it('says missing for a secret, a version or a field that is not there, and malformed for a non-JSON field', async () => {
    const name = newProject();
    gcp.put(name, 'bundle', { api_key: testKey('openai', 'gcp-bundle') });
    gcp.put(name, 'plain', testKey('openai', 'gcp-plain'));
    const nothing = await rejection(source(`gcp-sm://${name}/nothing`).resolve({ provider: 'openai' }));
    expect(nothing).toMatchObject({
      reason: 'missing',
      provider: 'openai',
      source: `gcp-sm://${name}/nothing/latest`,
    });
    expect((nothing as CredentialError).hint).toContain('gcloud secrets versions list nothing');
    expect(await rejection(source(`gcp-sm://${name}/plain/9`).resolve())).toMatchObject({
      reason: 'missing',
    });
    const field = await rejection(source(`gcp-sm://${name}/bundle#token`).resolve());
    expect(field).toMatchObject({ reason: 'missing' });
    expect((field as Error).message).toContain('no field "token" (it has "api_key")');
    expect(await rejection(source(`gcp-sm://${name}/plain#api_key`).resolve())).toMatchObject({
      reason: 'malformed',
    });
  });

  it('says missing for a disabled or destroyed version', async () => {
    const name = newProject();
    gcp.put(name, 'openai', testKey('openai', 'gcp-disabled'));
    gcp.disable(name, 'openai', 1);
    const disabled = await rejection(source(`gcp-sm://${name}/openai`).resolve());
    expect(disabled).toMatchObject({ reason: 'missing' });
    expect((disabled as Error).message).toContain('disabled or destroyed');
  });

  it('names the role to grant when access is denied, and ADC when the credentials are refused', async () => {
    const name = newProject();
    gcp.put(name, 'openai', testKey('openai', 'gcp-denied'));
    const allow = gcp.deny(name, 'openai');
    const denied = await rejection(source(`gcp-sm://${name}/openai`).resolve());
    allow();
    expect(denied).toMatchObject({ reason: 'source_unavailable', status: 403, retryable: false });
    expect((denied as CredentialError).hint).toContain('roles/secretmanager.secretAccessor');
    const other = await startGcpSecretManagerSimulator();
    try {
      const stranger = other.serviceAccount();
      const refused = await rejection(source(`gcp-sm://${name}/openai`, { credentials: stranger }).resolve());
      expect(refused).toMatchObject({ reason: 'source_unavailable', status: 401 });
      expect((refused as CredentialError).hint).toContain('Application Default Credentials');
      // The service account's private key is never printed.
      const printed = `${inspect(refused, { depth: 10, showHidden: true })}${JSON.stringify(refused)}`;
      expect(printed).not.toContain(stranger.private_key.split('\n')[1] ?? 'unreachable');
    } finally {
      await other.close();
    }
  });

  it('reports throttling, 5xx, a hang and garbage as retryable, never with a token or a key', async () => {
    const name = newProject();
    const key = testKey('openai', 'gcp-faults');
    gcp.put(name, 'openai', key);
    const failures: unknown[] = [];
    for (const fault of ['throttled', 'unavailable', 'server_error', 'garbage', 'hang'] as const) {
      gcp.failNext(fault, { times: Number.POSITIVE_INFINITY });
      failures.push(await rejection(source(`gcp-sm://${name}/openai`, { timeoutMs: 1500 }).resolve()));
      gcp.clearFaults();
    }
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(CredentialError);
      expect(failure).toMatchObject({ reason: 'source_unavailable', retryable: true });
      const printed = `${inspect(failure, { depth: 10, showHidden: true })}${JSON.stringify(failure)}`;
      expect(printed).not.toContain(key);
      expect(printed).not.toMatch(/Bearer ey/);
    }
    expect((failures[4] as Error).message).toContain('did not answer within 1500 ms');
  }, 60_000);

  it('reads once for many callers at the same moment, and serves the cached key through an outage', async () => {
    const name = newProject();
    const key = testKey('openai', 'gcp-flight');
    gcp.put(name, 'openai', key);
    const warnings: string[] = [];
    const shared = source(`gcp-sm://${name}/openai`, { cacheTtlMs: 0, timeoutMs: 1000 });
    const before = gcp.accessCount();
    const all = await Promise.all(Array.from({ length: 12 }, () => shared.resolve({ provider: 'openai' })));
    expect(all.every((secret) => secret.reveal() === key)).toBe(true);
    expect(gcp.accessCount() - before).toBe(1);
    gcp.failNext('unavailable', { times: Number.POSITIVE_INFINITY });
    const served = await shared.resolve({ onWarning: (message) => warnings.push(message) });
    expect(served.reveal()).toBe(key);
    expect(warnings[0]).toMatch(/until Google Secret Manager answers again/);
    expect(warnings[0]).not.toContain(key);
    // A fresh read (after the provider rejected the key) never takes the cached key.
    expect(await rejection(shared.resolve({ fresh: true }))).toMatchObject({ reason: 'source_unavailable' });
  }, 60_000);

  it('is read again after the provider rejects the key: a rotated key is used at once', async () => {
    const name = newProject();
    const oldKey = testKey('openai', 'gcp-rotation-old');
    const newKey = testKey('openai', 'gcp-rotation-new');
    gcp.put(name, 'openai', oldKey);
    const provider: Simulator = await startSimulator({ keys: [oldKey] });
    try {
      const rotating = await createClient('openai', source(`gcp-sm://${name}/openai`), {
        baseURL: provider.baseURL('openai'),
        ledger: false,
      });
      provider.revokeKey(oldKey);
      provider.addKey(newKey);
      gcp.put(name, 'openai', newKey);
      const models = await rotating.sdk.models.list();
      expect(models.data.length).toBeGreaterThan(0);
      expect(rotating.maskedId.slice(-4)).toBe(newKey.slice(-4));
      expect(inspect(rotating, { depth: 10 })).not.toContain(newKey);
      await rotating.close();
    } finally {
      await provider.close();
    }
  }, 60_000);

  it('refuses an endpoint that would send credentials in clear, and a bad option', () => {
    expect(() =>
      keys.gcpSecretManager('gcp-sm://p/s', { endpoint: 'http://secretmanager.example.com' }),
    ).toThrow(/https/);
    expect(() => keys.gcpSecretManager('gcp-sm://p/s', { cacheTtlMs: -1 })).toThrow(/cacheTtlMs/);
    expect(() =>
      keys.gcpSecretManager('gcp-sm://p/s', { credentials: { client_email: 'x' } as never }),
    ).toThrow(/service account key/);
  });
});
