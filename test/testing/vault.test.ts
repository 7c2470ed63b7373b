/**
 * The Vault simulator over real HTTP (and HTTPS with a CA made at test time), with plain fetch:
 * KV v1 and v2 reads, versions, deletes, metadata, mount detection, policies, namespaces as a
 * header or a path prefix, AppRole, token lookup and renewal, faults, the agent header, the
 * request log. Secret values are made at run time; no token is ever written down.
 */
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultSimulator, type VaultSimulator } from '../../src/testing/index.js';
import { makeTestCertificates } from '../helpers/tls.js';

let vault: VaultSimulator;
let root: string;

const value = () => `value-${randomUUID()}`;
const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';
const INVALID_TOKEN = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';
/** RFC 3339 with up to nine fraction digits, as Go writes it. */
const VAULT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

beforeAll(async () => {
  vault = await startVaultSimulator();
  vault.mount('secret', { version: 2 });
  vault.mount('kv1', { version: 1 });
  vault.mount('team/apps', { version: 2 });
  vault.mount('secret', { version: 2, namespace: 'ns1/' });
  vault.mount('secret', { version: 2, namespace: 'ns1/ns2' });
  vault.mount('secret', { version: 2, namespace: 'other/' });
  root = vault.createToken({ policies: ['root'] });
});

afterAll(async () => {
  await vault.close();
});

interface CallOptions {
  method?: string;
  /** The token to send; `null` sends none. @default the root token */
  token?: string | null;
  bearer?: boolean;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  address?: string;
}

async function call(path: string, options: CallOptions = {}) {
  const token = options.token === undefined ? root : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (token !== null) {
    if (options.bearer === true) headers['authorization'] = `Bearer ${token}`;
    else headers['x-vault-token'] = token;
  }
  const response = await fetch(`${options.address ?? vault.address}/v1/${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: the tests walk Vault's JSON answers freely.
  const body: any = text === '' ? undefined : JSON.parse(text);
  return { status: response.status, body };
}

describe('KV v1', () => {
  it("answers a read in Vault's envelope, with the mount's advisory lease", async () => {
    const secret = { api_key: value(), owner: 'team-a' };
    expect(vault.put('kv1', 'app', secret)).toBe(1);
    const read = await call('kv1/app');
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      request_id: expect.any(String),
      lease_id: '',
      renewable: false,
      lease_duration: 2_764_800,
      data: secret,
      wrap_info: null,
      warnings: null,
      auth: null,
    });
  });

  it('takes the lease from a ttl option or a ttl field, and replaces on put', async () => {
    vault.put('kv1', 'short', { api_key: value() }, { ttl: '1h' });
    expect((await call('kv1/short')).body.lease_duration).toBe(3600);
    const replaced = value();
    expect(vault.put('kv1', 'short', { api_key: replaced, ttl: '1h30m' })).toBe(1);
    const read = await call('kv1/short');
    expect(read.body.lease_duration).toBe(5400);
    expect(read.body.data.api_key).toBe(replaced);
  });

  it('answers 404 {"errors":[]} for a missing secret', async () => {
    expect(await call('kv1/nothing-here')).toEqual({ status: 404, body: { errors: [] } });
  });
});

describe('KV v2', () => {
  it('keeps versions, each readable with ?version=', async () => {
    const first = value();
    const second = value();
    expect(vault.put('secret', 'app', { api_key: first })).toBe(1);
    expect(vault.put('secret', 'app', { api_key: second })).toBe(2);
    const latest = await call('secret/data/app');
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0, auth: null });
    expect(latest.body.data.data).toEqual({ api_key: second });
    expect(latest.body.data.metadata).toEqual({
      created_time: expect.stringMatching(VAULT_TIME),
      custom_metadata: null,
      deletion_time: '',
      destroyed: false,
      version: 2,
    });
    const pinned = await call('secret/data/app?version=1');
    expect(pinned.body.data.data).toEqual({ api_key: first });
    expect(pinned.body.data.metadata.version).toBe(1);
    expect(await call('secret/data/app?version=3')).toEqual({ status: 404, body: { errors: [] } });
    expect(await call('secret/data/missing')).toEqual({ status: 404, body: { errors: [] } });
  });

  it('answers a soft-deleted version with 404 and a normal body, older versions still readable', async () => {
    const kept = value();
    vault.put('secret', 'deleted', { api_key: kept });
    vault.put('secret', 'deleted', { api_key: value() });
    vault.softDelete('secret', 'deleted');
    const read = await call('secret/data/deleted');
    expect(read.status).toBe(404);
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.data).toBeNull();
    expect(read.body.data.metadata).toMatchObject({ version: 2, destroyed: false });
    expect(read.body.data.metadata.deletion_time).toMatch(VAULT_TIME);
    expect((await call('secret/data/deleted?version=1')).body.data.data).toEqual({ api_key: kept });
  });

  it('answers a destroyed version with 404, data null and destroyed true', async () => {
    const version = vault.put('secret', 'destroyed', { api_key: value() });
    vault.destroy('secret', 'destroyed', version);
    const read = await call('secret/data/destroyed');
    expect(read.status).toBe(404);
    expect(read.body.data).toMatchObject({ data: null, metadata: { destroyed: true, deletion_time: '' } });
  });

  it('describes every version in metadata/', async () => {
    vault.put('secret', 'meta', { api_key: value() }, { customMetadata: { owner: 'team-a' } });
    vault.put('secret', 'meta', { api_key: value() });
    vault.put('secret', 'meta', { api_key: value() });
    vault.softDelete('secret', 'meta', { version: 1 });
    vault.destroy('secret', 'meta', 2);
    const metadata = await call('secret/metadata/meta');
    expect(metadata.status).toBe(200);
    expect(metadata.body.data).toMatchObject({ current_version: 3, custom_metadata: { owner: 'team-a' } });
    expect(Object.keys(metadata.body.data.versions)).toEqual(['1', '2', '3']);
    expect(metadata.body.data.versions['1'].deletion_time).toMatch(VAULT_TIME);
    expect(metadata.body.data.versions['2']).toMatchObject({ destroyed: true, deletion_time: '' });
    expect(metadata.body.data.versions['3']).toEqual({
      created_time: expect.stringMatching(VAULT_TIME),
      deletion_time: '',
      destroyed: false,
    });
    expect(JSON.stringify(metadata.body)).not.toContain('value-');
    expect((await call('secret/metadata/nothing')).status).toBe(404);
  });

  it('lists keys with ?list=true, and warns about a read without data/', async () => {
    vault.put('team/apps', 'billing/openai', { api_key: value() });
    vault.put('team/apps', 'billing/anthropic', { api_key: value() });
    vault.put('team/apps', 'search', { api_key: value() });
    expect((await call('team/apps/metadata/?list=true')).body.data.keys).toEqual(['billing/', 'search']);
    expect((await call('team/apps/metadata/billing/?list=true')).body.data.keys).toEqual([
      'anthropic',
      'openai',
    ]);
    expect(await call('team/apps/metadata/empty/?list=true')).toEqual({ status: 404, body: { errors: [] } });
    const raw = await call('team/apps/search');
    expect(raw.status).toBe(404);
    expect(raw.body.data).toBeNull();
    expect(raw.body.warnings[0]).toMatch(/^Invalid path for a versioned K\/V secrets engine/);
  });

  it('answers 404 "no handler" for a path under no mount', async () => {
    const read = await call('nomount/data/x');
    expect(read.status).toBe(404);
    expect(read.body.errors[0]).toContain('no handler for route');
  });
});

describe('mount detection', () => {
  it('describes the mount serving a path, with its KV version', async () => {
    expect((await call('sys/internal/ui/mounts/secret/app')).body.data).toMatchObject({
      path: 'secret/',
      type: 'kv',
      options: { version: '2' },
    });
    expect((await call('sys/internal/ui/mounts/kv1/app')).body.data.options).toEqual({ version: '1' });
    expect((await call('sys/internal/ui/mounts/team/apps/billing/openai')).body.data.path).toBe('team/apps/');
    const narrow = vault.createToken({ policies: ['secret/data/openai'] });
    expect((await call('sys/internal/ui/mounts/secret/openai', { token: narrow })).status).toBe(200);
  });

  it('refuses a missing or invalid token, a mount out of reach and a path under no mount with 403', async () => {
    const gone = vault.createToken({ policies: ['root'] });
    vault.expireToken(gone);
    for (const token of [null, gone]) {
      expect(await call('sys/internal/ui/mounts/secret/app', { token })).toEqual({
        status: 403,
        body: { errors: ['permission denied'] },
      });
    }
    const narrow = vault.createToken({ policies: ['kv1/*'] });
    const outOfReach = await call('sys/internal/ui/mounts/secret/app', { token: narrow });
    expect(outOfReach.status).toBe(403);
    expect(outOfReach.body.errors[0]).toBe(
      `preflight capability check returned 403, please ensure client's policies grant access to path "secret/app/"`,
    );
    const noMount = await call('sys/internal/ui/mounts/elsewhere/app');
    expect(noMount.status).toBe(403);
    expect(noMount.body.errors[0]).toContain('preflight capability check returned 403');
  });
});

describe('tokens and policies', () => {
  it('lets a token read what its policy globs match, and nothing else', async () => {
    vault.put('secret', 'openai', { api_key: value() });
    vault.put('secret', 'other', { api_key: value() });
    const exact = vault.createToken({ policies: ['secret/data/openai'] });
    expect((await call('secret/data/openai', { token: exact })).status).toBe(200);
    expect(await call('secret/data/other', { token: exact })).toEqual({
      status: 403,
      body: { errors: [PERMISSION_DENIED] },
    });
    // A path the token may not read is refused even when nothing is there.
    expect((await call('secret/data/nothing', { token: exact })).status).toBe(403);
    const prefix = vault.createToken({ policies: ['secret/*'] });
    expect((await call('secret/data/other', { token: prefix })).status).toBe(200);
    expect((await call('secret/metadata/other', { token: prefix })).status).toBe(200);
    expect((await call('kv1/app', { token: prefix })).status).toBe(403);
    const segment = vault.createToken({ policies: ['team/apps/data/+/openai'] });
    expect((await call('team/apps/data/billing/openai', { token: segment })).status).toBe(200);
    expect((await call('team/apps/data/billing/anthropic', { token: segment })).status).toBe(403);
  });

  it('takes the token from X-Vault-Token or Authorization: Bearer', async () => {
    vault.put('secret', 'bearer', { api_key: value() });
    expect((await call('secret/data/bearer', { bearer: true })).status).toBe(200);
  });

  it('refuses an absent, unknown, expired or revoked token with 403', async () => {
    expect(await call('secret/data/app', { token: null })).toEqual({
      status: 403,
      body: { errors: ['permission denied'] },
    });
    expect((await call('secret/data/app', { token: `unknown-${randomUUID()}` })).body.errors).toEqual([
      INVALID_TOKEN,
    ]);
    const revoked = vault.createToken({ policies: ['secret/*'] });
    expect((await call('secret/data/app', { token: revoked })).status).toBe(200);
    vault.expireToken(revoked);
    expect(await call('secret/data/app', { token: revoked })).toEqual({
      status: 403,
      body: { errors: [INVALID_TOKEN] },
    });
    const short = vault.createToken({ policies: ['secret/*'], ttlSeconds: 1 });
    expect((await call('secret/data/app', { token: short })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call('secret/data/app', { token: short })).status).toBe(403);
  });

  it('makes random hvs. service tokens', () => {
    const tokens = [vault.createToken({ policies: [] }), vault.createToken({ policies: [] })];
    for (const token of tokens) expect(token).toMatch(/^hvs\.[A-Za-z0-9_-]{90,120}$/);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('answers lookup-self with the remaining ttl, expire time and policies', async () => {
    const token = vault.createToken({ policies: ['secret/*'], ttlSeconds: 600 });
    const lookup = await call('auth/token/lookup-self', { token });
    expect(lookup.status).toBe(200);
    expect(lookup.body.data).toMatchObject({
      creation_ttl: 600,
      policies: ['secret/*'],
      renewable: true,
      type: 'service',
      path: 'auth/token/create',
    });
    // Vault returns the token itself as `id`.
    expect(lookup.body.data.id).toBe(token);
    expect(lookup.body.data.ttl).toBeGreaterThan(590);
    expect(lookup.body.data.ttl).toBeLessThanOrEqual(600);
    expect(Date.parse(lookup.body.data.expire_time) - Date.now()).toBeGreaterThan(590_000);
    const forever = await call('auth/token/lookup-self');
    expect(forever.body.data).toMatchObject({
      ttl: 0,
      expire_time: null,
      renewable: false,
      policies: ['root'],
    });
    expect((await call('auth/token/lookup-self', { token: null })).status).toBe(403);
  });

  it('renews a renewable token, capped by its max TTL', async () => {
    const token = vault.createToken({ policies: ['secret/*'], ttlSeconds: 60, maxTtlSeconds: 600 });
    const renewed = await call('auth/token/renew-self', { token, body: {} });
    expect(renewed.status).toBe(200);
    expect(renewed.body.auth).toMatchObject({ client_token: token, lease_duration: 60, renewable: true });
    const longer = await call('auth/token/renew-self', { token, bearer: true, body: { increment: '5m' } });
    expect(longer.body.auth.lease_duration).toBe(300);
    expect((await call('auth/token/lookup-self', { token })).body.data.ttl).toBeGreaterThan(290);
    const capped = await call('auth/token/renew-self', { token, body: { increment: '1h' } });
    expect(capped.body.auth.lease_duration).toBeLessThanOrEqual(600);
    expect(capped.body.auth.lease_duration).toBeGreaterThan(590);
    expect(capped.body.warnings[0]).toContain('max_ttl');
    const fixed = vault.createToken({ policies: ['secret/*'], ttlSeconds: 60, renewable: false });
    expect(await call('auth/token/renew-self', { token: fixed, body: {} })).toEqual({
      status: 400,
      body: { errors: ['lease is not renewable'] },
    });
  });
});

describe('AppRole', () => {
  it('logs in with role and secret ids, and the token works until it expires', async () => {
    const { roleId, secretId } = vault.addAppRole({ policies: ['secret/*'], tokenTtlSeconds: 1200 });
    const login = await call('auth/approle/login', {
      token: null,
      body: { role_id: roleId, secret_id: secretId },
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ data: null, lease_id: '', lease_duration: 0, renewable: false });
    const auth = login.body.auth;
    expect(auth).toMatchObject({
      token_policies: ['default', 'secret/*'],
      policies: ['default', 'secret/*'],
      lease_duration: 1200,
      renewable: true,
      accessor: expect.any(String),
    });
    expect(auth.client_token).toMatch(/^hvs\./);
    vault.put('secret', 'approle', { api_key: value() });
    expect((await call('secret/data/approle', { token: auth.client_token })).status).toBe(200);
    expect(
      (await call('auth/token/lookup-self', { token: auth.client_token })).body.data.ttl,
    ).toBeGreaterThan(1190);
    vault.expireToken(auth.client_token);
    expect((await call('secret/data/approle', { token: auth.client_token })).status).toBe(403);
  });

  it('refuses wrong ids with 400, and serves other mounts and namespaces', async () => {
    const { roleId } = vault.addAppRole({ policies: ['secret/*'] });
    expect(
      await call('auth/approle/login', { token: null, body: { role_id: roleId, secret_id: randomUUID() } }),
    ).toEqual({ status: 400, body: { errors: ['invalid role or secret ID'] } });
    expect((await call('auth/approle/login', { token: null, body: {} })).body.errors).toEqual([
      'missing role_id',
    ]);
    const custom = vault.addAppRole({ policies: ['secret/*'], mount: 'ci-approle', namespace: 'ns1' });
    const body = { role_id: custom.roleId, secret_id: custom.secretId };
    expect((await call('auth/approle/login', { token: null, body })).status).toBe(400);
    expect((await call('auth/ci-approle/login', { token: null, body })).status).toBe(400);
    const login = await call('ns1/auth/ci-approle/login', { token: null, body });
    expect(login.status).toBe(200);
    vault.put('secret', 'in-ns1', { api_key: value() }, { namespace: 'ns1/' });
    const token = login.body.auth.client_token as string;
    expect(
      (await call('secret/data/in-ns1', { token, headers: { 'x-vault-namespace': 'ns1' } })).status,
    ).toBe(200);
  });
});

describe('namespaces', () => {
  it('reads a namespace from X-Vault-Namespace or from the path, the same way', async () => {
    const secret = value();
    vault.put('secret', 'shared', { api_key: secret }, { namespace: 'ns1' });
    vault.resetRequests();
    for (const namespace of ['ns1', 'ns1/', '/ns1/']) {
      const read = await call('secret/data/shared', { headers: { 'x-vault-namespace': namespace } });
      expect(read.body.data.data.api_key).toBe(secret);
    }
    expect((await call('ns1/secret/data/shared')).body.data.data.api_key).toBe(secret);
    expect((await call('secret/data/shared')).status).toBe(404);
    expect(vault.requests.map((request) => [request.path, request.namespace, request.namespaceFrom])).toEqual(
      [
        ['secret/data/shared', 'ns1/', 'header'],
        ['secret/data/shared', 'ns1/', 'header'],
        ['secret/data/shared', 'ns1/', 'header'],
        ['secret/data/shared', 'ns1/', 'path'],
        ['secret/data/shared', undefined, undefined],
      ],
    );
  });

  it('reaches a child namespace by header, path or both', async () => {
    const secret = value();
    vault.put('secret', 'deep', { api_key: secret }, { namespace: 'ns1/ns2/' });
    expect(
      (await call('secret/data/deep', { headers: { 'x-vault-namespace': 'ns1/ns2' } })).body.data.data
        .api_key,
    ).toBe(secret);
    expect((await call('ns1/ns2/secret/data/deep')).body.data.data.api_key).toBe(secret);
    const both = await call('ns2/secret/data/deep', { headers: { 'x-vault-namespace': 'ns1' } });
    expect(both.body.data.data.api_key).toBe(secret);
    expect(vault.requests.at(-1)).toMatchObject({ namespace: 'ns1/ns2/', namespaceFrom: 'header+path' });
    expect((await call('ns1/ns2/sys/internal/ui/mounts/secret/deep')).body.data.path).toBe('secret/');
  });

  it('keeps a token to its namespace and the ones below it', async () => {
    vault.put('secret', 'scoped', { api_key: value() }, { namespace: 'ns1/' });
    vault.put('secret', 'scoped', { api_key: value() }, { namespace: 'ns1/ns2/' });
    vault.put('secret', 'scoped', { api_key: value() }, { namespace: 'other/' });
    vault.put('secret', 'scoped', { api_key: value() });
    const ns1 = vault.createToken({ policies: ['secret/*', 'ns2/secret/*'], namespace: 'ns1/' });
    expect((await call('ns1/secret/data/scoped', { token: ns1 })).status).toBe(200);
    expect((await call('ns1/ns2/secret/data/scoped', { token: ns1 })).status).toBe(200);
    expect((await call('secret/data/scoped', { token: ns1 })).status).toBe(403);
    expect((await call('other/secret/data/scoped', { token: ns1 })).status).toBe(403);
    // A root-namespace token reaches a namespace through policies naming it.
    const parent = vault.createToken({ policies: ['ns1/secret/*'] });
    expect((await call('ns1/secret/data/scoped', { token: parent })).status).toBe(200);
    expect((await call('secret/data/scoped', { token: parent })).status).toBe(403);
    expect((await call('other/secret/data/scoped', { token: parent })).status).toBe(403);
  });
});

describe('faults', () => {
  it('answers a queued status with Vault-like errors, for matching paths only, as many times as asked', async () => {
    vault.put('secret', 'faulty', { api_key: value() });
    vault.fail({ status: 503, path: 'secret/data/faulty', times: 2 });
    expect(await call('secret/data/app')).toMatchObject({ status: 200 });
    expect(await call('secret/data/faulty')).toEqual({ status: 503, body: { errors: ['Vault is sealed'] } });
    expect((await call('secret/data/faulty')).status).toBe(503);
    expect((await call('secret/data/faulty')).status).toBe(200);
    vault.fail({ status: 500, path: /faulty$/, errors: ['backend down'] });
    expect(await call('secret/data/faulty')).toEqual({ status: 500, body: { errors: ['backend down'] } });
    vault.fail({ status: 429 });
    expect((await call('secret/data/faulty')).body.errors[0]).toContain('rate limit quota exceeded');
    vault.fail({ status: 502, path: 'ns1/secret/' });
    const namespaced = await call('secret/data/shared', { headers: { 'x-vault-namespace': 'ns1' } });
    expect(namespaced.status).toBe(200);
    expect((await call('ns1/secret/data/shared')).status).toBe(502);
    expect(vault.requests.at(-1)).toMatchObject({ fault: 'status', status: 502 });
  });

  it('answers 200 with broken JSON', async () => {
    vault.fail({ malformed: true });
    const response = await fetch(`${vault.address}/v1/secret/data/app`, {
      headers: { 'x-vault-token': root },
    });
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('delays a normal answer', async () => {
    vault.fail({ delayMs: 150, path: 'secret/data/app' });
    const started = performance.now();
    expect((await call('secret/data/app')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('never answers a hang, and still closes promptly', async () => {
    const hanging = await startVaultSimulator();
    try {
      hanging.fail({ hang: true, times: 2 });
      const timedOut = call('secret/data/x', { address: hanging.address, signal: AbortSignal.timeout(200) });
      await expect(timedOut).rejects.toMatchObject({ name: 'TimeoutError' });
      const pending = call('secret/data/x', { address: hanging.address }).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(hanging.requests.map((request) => [request.fault, request.status])).toEqual([
        ['hang', null],
        ['hang', null],
      ]);
      const started = performance.now();
      await hanging.close();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(Error);
    } finally {
      await hanging.close();
    }
  });
});

describe('the agent header', () => {
  it('refuses requests without X-Vault-Request: true with 412, as an agent listener does', async () => {
    const agent = await startVaultSimulator({ requireRequestHeader: true });
    try {
      agent.mount('secret', { version: 2 });
      agent.put('secret', 'app', { api_key: value() });
      const token = agent.createToken({ policies: ['root'] });
      expect(await call('secret/data/app', { address: agent.address, token })).toEqual({
        status: 412,
        body: { errors: ["missing 'X-Vault-Request' header"] },
      });
      const accepted = await call('secret/data/app', {
        address: agent.address,
        token,
        headers: { 'x-vault-request': 'true' },
      });
      expect(accepted.status).toBe(200);
      expect(agent.requests.map((request) => request.requestHeader)).toEqual([false, true]);
    } finally {
      await agent.close();
    }
  });
});

describe('the request log', () => {
  it('counts requests by path and method, and never holds a token or a secret value', async () => {
    const secret = value();
    vault.put('secret', 'logged', { api_key: secret });
    const token = vault.createToken({ policies: ['secret/*'] });
    vault.resetRequests();
    expect(vault.count()).toBe(0);
    await call('secret/data/logged?version=1', { token });
    await call('secret/data/logged', { token, bearer: true });
    await call('secret/metadata/logged', { token });
    await call('auth/token/renew-self', { token: null, body: {} });
    expect(vault.count()).toBe(4);
    expect(vault.count({ path: 'secret/data/logged' })).toBe(2);
    expect(vault.count({ path: /^secret\/(data|metadata)\// })).toBe(3);
    expect(vault.count({ method: 'post' })).toBe(1);
    expect(vault.count({ path: 'secret/', method: 'GET' })).toBe(3);
    expect(vault.requests[0]).toEqual({
      method: 'GET',
      path: 'secret/data/logged',
      query: '?version=1',
      namespace: undefined,
      namespaceFrom: undefined,
      tokenSent: true,
      requestHeader: false,
      fault: null,
      status: 200,
    });
    expect(vault.requests.map((request) => request.tokenSent)).toEqual([true, true, true, false]);
    const logged = JSON.stringify(vault.requests);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(root);
    expect(logged).not.toContain(secret);
    // Not even when a client puts the token in the URL by mistake.
    await call(`secret/data/logged?token=${encodeURIComponent(token)}`, { token });
    expect(vault.requests.at(-1)?.query).toBe('?token=[token]');
    expect(JSON.stringify(vault.requests)).not.toContain(token);
    vault.resetRequests();
    expect(vault.requests).toEqual([]);
  });

  it('throws plain errors from its own methods, without secret values', () => {
    const secret = value();
    expect(() => vault.put('nowhere', 'app', { api_key: secret })).toThrow(/no KV mount at "nowhere"/);
    try {
      vault.put('nowhere', 'app', { api_key: secret });
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
    expect(() => vault.destroy('secret', 'app', 99)).toThrow(/no version 99/);
    expect(() => vault.fail({ status: 42 })).toThrow(/HTTP status/);
  });
});

describe('HTTPS', () => {
  it('serves HTTPS with a certificate made at test time, trusted only with its CA', async () => {
    const tls = await makeTestCertificates();
    const secure = await startVaultSimulator({ tls: { key: tls.key, cert: tls.cert } });
    try {
      expect(secure.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      secure.mount('secret', { version: 2 });
      const secret = value();
      secure.put('secret', 'app', { api_key: secret });
      const token = secure.createToken({ policies: ['secret/*'] });
      const get = (ca: string | undefined, servername?: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const url = new URL(`${secure.address}/v1/secret/data/app`);
          const request = httpsRequest(
            {
              host: '127.0.0.1',
              port: url.port,
              ...(servername === undefined ? {} : { servername }),
              path: url.pathname,
              headers: { 'x-vault-token': token },
              ...(ca === undefined ? {} : { ca }),
            },
            (response) => {
              let text = '';
              response.setEncoding('utf8');
              response.on('data', (chunk: string) => {
                text += chunk;
              });
              response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
            },
          );
          request.on('error', reject);
          request.end();
        });
      const trusted = await get(tls.ca);
      expect(trusted.status).toBe(200);
      expect(JSON.parse(trusted.text).data.data.api_key).toBe(secret);
      expect((await get(tls.ca, 'localhost')).status).toBe(200);
      await expect(get(undefined)).rejects.toMatchObject({
        code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/),
      });
      await expect(fetch(`${secure.address}/v1/sys/health`)).rejects.toThrow();
    } finally {
      await secure.close();
    }
  });
});
