/**
 * The Vault simulator itself, with plain fetch: the shapes keycard relies on (KV v1/v2, metadata,
 * mounts, lookup and renewal, namespaces as header or path prefix, agent header, faults).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultSimulator, type VaultSimulator } from '../../src/testing/index.js';

let vault: VaultSimulator;
let root: string;

beforeAll(async () => {
  vault = await startVaultSimulator();
  vault.mount('secret', { version: 2 });
  vault.mount('secret', { version: 2, namespace: 'ns1/' });
  root = vault.createToken({ policies: ['root'] });
});

afterAll(async () => {
  await vault.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${vault.address}/v1/${path}`, {
    headers: { 'x-vault-token': root, ...headers },
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests walk Vault's JSON answers freely.
  return { status: response.status, body: (await response.json()) as any };
}

describe('Vault simulator', () => {
  it('keeps KV v2 versions and their metadata', async () => {
    vault.put('secret', 'app', { value: 'one' });
    vault.put('secret', 'app', { value: 'two' });
    expect((await get('secret/data/app')).body.data.data).toEqual({ value: 'two' });
    expect((await get('secret/data/app?version=1')).body.data.metadata.version).toBe(1);
    const metadata = await get('secret/metadata/app');
    expect(metadata.body.data.current_version).toBe(2);
    expect(Object.keys(metadata.body.data.versions)).toEqual(['1', '2']);
    expect((await get('secret/data/app')).body.data.metadata.created_time).toMatch(/\.\d{9}Z$/);
  });

  it('answers lookup-self with the remaining ttl and renews a renewable token', async () => {
    const token = vault.createToken({ policies: ['secret/*'], ttlSeconds: 60 });
    const lookup = await get('auth/token/lookup-self', { 'x-vault-token': token });
    expect(lookup.body.data.ttl).toBeGreaterThan(50);
    expect(lookup.body.data.policies).toEqual(['secret/*']);
    const renewed = await fetch(`${vault.address}/v1/auth/token/renew-self`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await renewed.json()) as { auth: { lease_duration: number } }).auth.lease_duration).toBe(60);
    vault.expireToken(token);
    expect((await get('auth/token/lookup-self', { 'x-vault-token': token })).status).toBe(403);
  });

  it('reads a namespace from the header or from the path', async () => {
    vault.put('secret', 'ns-app', { value: 'in ns1' }, { namespace: 'ns1' });
    expect((await get('secret/data/ns-app', { 'x-vault-namespace': 'ns1' })).body.data.data.value).toBe(
      'in ns1',
    );
    expect((await get('ns1/secret/data/ns-app')).body.data.data.value).toBe('in ns1');
    expect((await get('secret/data/ns-app')).status).toBe(404);
    expect(vault.requests.at(-2)?.namespace).toBe('ns1/');
  });

  it('describes a mount, and refuses a preflight without a valid token', async () => {
    const mount = await get('sys/internal/ui/mounts/secret/app');
    expect(mount.body.data).toMatchObject({ path: 'secret/', type: 'kv', options: { version: '2' } });
    expect((await get('sys/internal/ui/mounts/secret/app', { 'x-vault-token': 'nope' })).status).toBe(403);
    expect((await get('sys/internal/ui/mounts/elsewhere/app')).status).toBe(400);
  });

  it('applies faults in order to matching paths, and logs no token', async () => {
    vault.fail({ path: 'secret/data/slow', delayMs: 50 });
    vault.fail({ path: /never-matches/, status: 500 });
    const started = Date.now();
    expect((await get('secret/data/slow')).status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    vault.fail({ status: 429 });
    expect((await get('secret/data/app')).body.errors).toEqual(['rate limit quota exceeded']);
    expect(JSON.stringify(vault.requests)).not.toContain(root);
  });

  it('refuses requests without X-Vault-Request when it acts as an agent listener', async () => {
    const agent = await startVaultSimulator({ requireRequestHeader: true });
    try {
      const response = await fetch(`${agent.address}/v1/secret/data/x`);
      expect(response.status).toBe(412);
    } finally {
      await agent.close();
    }
  });

  it('closes promptly with a request hanging', async () => {
    const hanging = await startVaultSimulator();
    hanging.fail({ hang: true });
    const request = fetch(`${hanging.address}/v1/secret/data/x`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await request).toBeInstanceOf(Error);
  });
});
