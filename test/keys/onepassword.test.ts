/**
 * keys.onePassword() through the real @1password/connect SDK against the 1Password Connect
 * simulator over loopback: references with and without a section, names and ids, the item's
 * updatedAt as key age, missing vault, item and field, a refused or revoked token (read again
 * from its source), 403, 5xx, a hang, garbage, single flight, the grace window, and the token
 * kept out of everything printed or thrown.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../src/keys/index.js';
import type { OnePasswordOptions } from '../../src/keys/stores/onepassword.js';
import type { KeySource } from '../../src/keys/types.js';
import { redactText } from '../../src/redact/redactor.js';
import { Secret } from '../../src/secret.js';
import {
  type OnePasswordConnectSimulator,
  startOnePasswordConnectSimulator,
} from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection, thrownBy } from '../helpers/rejections.js';
import { makeTestCertificates } from '../helpers/tls.js';

let connect: OnePasswordConnectSimulator;
let token: string;
const openaiKey = testKey('openai', 'onepassword');

beforeAll(async () => {
  connect = await startOnePasswordConnectSimulator();
  connect.putItem('Production', {
    title: 'OpenAI',
    fields: [
      { label: 'credential', value: openaiKey },
      { label: 'username', value: 'team-a', type: 'STRING' },
    ],
  });
  token = connect.createToken();
});

afterAll(async () => {
  await connect.close();
});

beforeEach(() => {
  vi.stubEnv('OP_CONNECT_HOST', undefined);
  vi.stubEnv('OP_CONNECT_TOKEN', undefined);
  connect.resetRequests();
  return () => vi.unstubAllEnvs();
});

function source(reference: string, options: OnePasswordOptions = {}) {
  return keys.onePassword(reference, { host: connect.url, token, ...options });
}

describe('reading items', () => {
  it('reads a field by reference, with the item updatedAt as changedAt, in three requests', async () => {
    const updated = new Date(Date.now() - 5 * 86_400_000);
    const key = testKey('anthropic', 'op-age');
    connect.putItem(
      'Team',
      { title: 'Anthropic', fields: [{ label: 'api key', value: key }] },
      { updatedAt: updated },
    );
    const reader = source('op://Team/Anthropic/api key');
    expect(reader.describe()).toBe('op://Team/Anthropic/api key');
    const secret = await reader.resolve({ provider: 'anthropic' });
    expect(secret.reveal()).toBe(key);
    expect(secret.source).toBe('op://Team/Anthropic/api key');
    expect(secret.changedAt?.getTime()).toBe(updated.getTime());
    expect(
      connect.requests.map((request) => [request.path.replace(/[a-z0-9]{26}/g, 'ID'), request.filter]),
    ).toEqual([
      ['/v1/vaults/', 'title eq "Team"'],
      ['/v1/vaults/ID/items/', 'title eq "Anthropic"'],
      ['/v1/vaults/ID/items/ID', undefined],
    ]);
    expect(connect.requests.every((request) => request.knownToken)).toBe(true);
  });

  it('reads a field of a section, and vault, item and field by id', async () => {
    const key = testKey('gemini', 'op-section');
    const other = testKey('gemini', 'op-section-other');
    const itemId = connect.putItem('Team', {
      title: 'Gemini',
      fields: [
        { label: 'credential', value: other, section: 'staging' },
        { label: 'credential', value: key, section: 'production', id: 'prodcredential' },
      ],
    });
    const vaultId = connect.addVault('Team');
    expect((await source('op://Team/Gemini/production/credential').resolve()).reveal()).toBe(key);
    expect((await source('op://Team/Gemini/Staging/credential').resolve()).reveal()).toBe(other);
    expect((await source(`op://${vaultId}/${itemId}/prodcredential`).resolve()).reveal()).toBe(key);
    const ambiguous = await credentialRejection(source('op://Team/Gemini/credential').resolve());
    expect(ambiguous.reason).toBe('missing');
    expect(ambiguous.hint).toContain('section');
  });

  it('reads host and token from OP_CONNECT_HOST and OP_CONNECT_TOKEN through keys.from', async () => {
    vi.stubEnv('OP_CONNECT_HOST', connect.url);
    vi.stubEnv('OP_CONNECT_TOKEN', token);
    expect((await keys.from('op://Production/OpenAI/credential').resolve()).reveal()).toBe(openaiKey);
    vi.stubEnv('OP_CONNECT_TOKEN', undefined);
    const error = await credentialRejection(keys.from('op://Production/OpenAI/credential').resolve());
    expect(error.message).toContain('OP_CONNECT_TOKEN is not set');
  });

  it('says which of vault, item, field or section is missing', async () => {
    const vault = await credentialRejection(source('op://Nope/OpenAI/credential').resolve());
    expect(vault).toMatchObject({ reason: 'missing' });
    expect(vault.message).toContain('no vault "Nope"');
    const item = await credentialRejection(source('op://Production/Nope/credential').resolve());
    expect(item.message).toContain('no item "Nope" in the vault "Production"');
    const field = await credentialRejection(source('op://Production/OpenAI/password').resolve());
    expect(field.message).toContain('no field "password"');
    expect(field.message).toContain('"credential", "username"');
    expect(field.message).not.toContain(openaiKey);
    const section = await credentialRejection(source('op://Production/OpenAI/extra/credential').resolve());
    expect(section.message).toContain('no section "extra"');
  });

  it('refuses a value that is not a key', async () => {
    connect.putItem('Production', {
      title: 'Notes',
      fields: [{ label: 'credential', value: 'two\nlines of text' }],
    });
    expect(
      (await credentialRejection(source('op://Production/Notes/credential').resolve({ provider: 'openai' })))
        .reason,
    ).toBe('malformed');
  });
});

describe('tokens', () => {
  it('maps a token without access to the vault to source_unavailable with a hint about vault access', async () => {
    const limited = connect.createToken({ vaults: ['Other'] });
    const hidden = await credentialRejection(
      source('op://Production/OpenAI/credential', { token: limited }).resolve(),
    );
    // Connect lists only the vaults a token may read: a vault out of reach is not found.
    expect(hidden.reason).toBe('missing');
    expect(hidden.hint).toContain('access to that vault');
    const vaultId = connect.addVault('Production');
    const refused = await credentialRejection(
      source(`op://${vaultId}/OpenAI/credential`, { token: limited }).resolve(),
    );
    expect(refused).toMatchObject({ reason: 'source_unavailable', status: 403, retryable: false });
    expect(refused.hint).toContain('read access to the vault');
  });

  it('reports a revoked token (401) without showing it', async () => {
    const revoked = connect.createToken();
    const reader = source('op://Production/OpenAI/credential', { token: revoked });
    await reader.resolve();
    connect.revokeToken(revoked);
    const error = await credentialRejection(reader.resolve({ fresh: true }));
    expect(error).toMatchObject({ reason: 'source_unavailable', status: 401, retryable: false });
    expect(error.hint).toContain('OP_CONNECT_TOKEN');
    const printed = `${error.message} ${error.hint} ${error.stack} ${inspect(error, { depth: 8 })} ${inspect(reader, { depth: 8 })}`;
    expect(printed).not.toContain(revoked);
    expect(redactText(`Bearer ${revoked}`)).not.toContain(revoked);
  });

  it('reads a token source again when Connect refuses the token', async () => {
    let current = connect.createToken();
    let reads = 0;
    const tokenSource: KeySource = {
      describe: () => 'test:op-token',
      resolve: async () => {
        reads += 1;
        return new Secret(current, { source: 'test:op-token' });
      },
    };
    const reader = source('op://Production/OpenAI/credential', { token: tokenSource });
    expect((await reader.resolve()).reveal()).toBe(openaiKey);
    connect.revokeToken(current);
    current = connect.createToken();
    expect((await reader.resolve({ fresh: true })).reveal()).toBe(openaiKey);
    expect(reads).toBe(2);
  });
});

describe('when Connect fails', () => {
  it('marks 5xx, throttling (429), a hang and garbage as retryable source_unavailable', async () => {
    const reference = 'op://Production/OpenAI/credential';
    connect.fail({ status: 500 });
    expect(await credentialRejection(source(reference).resolve())).toMatchObject({
      reason: 'source_unavailable',
      status: 500,
      retryable: true,
    });
    // On the second request: the vault was found, the item list fails.
    connect.fail({ status: 503, path: `/v1/vaults/${connect.addVault('Production')}/items` });
    const unavailable = await credentialRejection(source(reference).resolve());
    expect(unavailable).toMatchObject({ status: 503, retryable: true });
    expect(connect.count()).toBe(3);
    connect.fail({ status: 429, message: 'Too many requests' });
    const throttled = await credentialRejection(source(reference).resolve());
    expect(throttled).toMatchObject({ reason: 'source_unavailable', status: 429, retryable: true });
    expect(throttled.message).toContain('Too many requests');
    connect.fail({ hang: true });
    const hang = await credentialRejection(source(reference, { timeoutMs: 300 }).resolve());
    expect(hang).toMatchObject({ reason: 'source_unavailable', retryable: true });
    expect(hang.message).toContain('did not answer within 300 ms');
    connect.fail({ garbage: true });
    expect(await credentialRejection(source(reference).resolve())).toMatchObject({
      reason: 'source_unavailable',
      retryable: true,
    });
  });

  it('reports a certificate it does not trust, not retryable, with a hint about the CA', async () => {
    const tls = await makeTestCertificates();
    const secure = await startOnePasswordConnectSimulator({ tls: { key: tls.key, cert: tls.cert } });
    try {
      expect(secure.url).toMatch(/^https:/);
      const error = await credentialRejection(
        source('op://A/B/C', { host: secure.url, token: secure.createToken() }).resolve(),
      );
      expect(error).toMatchObject({ reason: 'source_unavailable', retryable: false });
      expect(error.message).toContain('TLS certificate');
      expect(error.hint).toContain('NODE_EXTRA_CA_CERTS');
    } finally {
      await secure.close();
    }
  });

  it('reports a refused connection as retryable', async () => {
    const closed = await startOnePasswordConnectSimulator();
    const url = closed.url;
    await closed.close();
    const error = await credentialRejection(source('op://A/B/C', { host: url }).resolve());
    expect(error).toMatchObject({ reason: 'source_unavailable', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('cache, grace and single flight', () => {
  it('makes one read (three requests) for 500 concurrent resolves, then serves the cache', async () => {
    const reader = source('op://Production/OpenAI/credential');
    const secrets = await Promise.all(
      Array.from({ length: 500 }, () => reader.resolve({ provider: 'openai' })),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(connect.count()).toBe(3);
    await reader.resolve({ provider: 'openai' });
    expect(connect.count()).toBe(3);
    await reader.resolve({ provider: 'openai', fresh: true });
    expect(connect.count()).toBe(6);
  });

  it('serves the cached key within the grace window during an outage, with a warning', async () => {
    const reader = source('op://Production/OpenAI/credential', { cacheTtlMs: 20, staleGraceMs: 5000 });
    const first = await reader.resolve();
    await new Promise((resolve) => setTimeout(resolve, 40));
    connect.fail({ status: 503 });
    const warnings: string[] = [];
    expect(await reader.resolve({ onWarning: (message) => warnings.push(message) })).toBe(first);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('until 1Password answers again');
    expect(warnings[0]).not.toContain(openaiKey);
  });
});

describe('the SDK', () => {
  it('can be handed over (a bundle), and must be the Connect module', async () => {
    const sdk = await import('@1password/connect');
    expect((await source('op://Production/OpenAI/credential', { sdk }).resolve()).reveal()).toBe(openaiKey);
    expect(() => source('op://Production/OpenAI/credential', { sdk: {} })).toThrow(/OnePasswordConnect/);
  });
});

describe('references', () => {
  it.each([
    'op://Production/OpenAI',
    'op://Production/OpenAI/a/b/c',
    'op://Production//credential',
    'op://Production/OpenAI/credential?attribute=otp',
    'op://Pro*duction/OpenAI/credential',
  ])('refuses %s', (reference) => {
    expect(thrownBy(() => keys.from(reference))).toMatchObject({ name: 'KeySpecError' });
  });

  it('refuses plain http to another machine unless allowed', async () => {
    const error = await credentialRejection(
      keys.onePassword('op://A/B/C', { host: 'http://connect.example:8080', token }).resolve(),
    );
    expect(error.reason).toBe('insecure_source');
  });
});
