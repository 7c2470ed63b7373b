/**
 * The Vault spec forms: vault://HOST/MOUNT/PATH#field, vault:///…, API URLs, query options, and
 * refusals that never echo credentials.
 */
import { describe, expect, it } from 'vitest';
import { from, KeySpecError } from '../../src/keys/spec.js';
import { parseVaultSpec } from '../../src/keys/vault/location.js';
import { vault } from '../../src/keys/vault/source.js';

describe('parseVaultSpec', () => {
  it.each([
    [
      'vault://vault.internal/secret/openai#api_key',
      { address: 'https://vault.internal:8200', kind: 'logical', path: 'secret/openai', field: 'api_key' },
      'vault://vault.internal/secret/openai#api_key',
    ],
    [
      'vault://vault.internal:8300/team/apps/openai?kv=2&version=3#key',
      { address: 'https://vault.internal:8300', path: 'team/apps/openai', kv: 2, version: 3 },
      'vault://vault.internal:8300/team/apps/openai?kv=2&version=3#key',
    ],
    [
      'vault:///secret/openai#api_key',
      { address: undefined, kind: 'logical', path: 'secret/openai', field: 'api_key' },
      'vault:///secret/openai#api_key',
    ],
    [
      'https://vault.internal:8200/v1/secret/data/openai#api_key',
      { address: 'https://vault.internal:8200', kind: 'raw', path: 'secret/data/openai', field: 'api_key' },
      'vault:https://vault.internal:8200/v1/secret/data/openai#api_key',
    ],
    [
      'vault:https://vault.internal:8200/v1/secret/data/openai#api_key',
      { kind: 'raw', path: 'secret/data/openai' },
      'vault:https://vault.internal:8200/v1/secret/data/openai#api_key',
    ],
    [
      'http://127.0.0.1:8200/v1/kv/openai?namespace=team-a',
      {
        address: 'http://127.0.0.1:8200',
        kind: 'raw',
        path: 'kv/openai',
        namespace: 'team-a/',
        field: undefined,
      },
      'vault:http://127.0.0.1:8200/v1/kv/openai?namespace=team-a',
    ],
    ['vault://v/secret/openai#/api_key', { field: 'api_key' }, 'vault://v/secret/openai#api_key'],
  ])('%s', (spec, expected, describe) => {
    const location = parseVaultSpec(spec);
    expect(location).toMatchObject(expected);
    expect(location.describe).toBe(describe);
  });

  it.each([
    ['no path', 'vault://vault.internal/secret', /mount and a path/],
    ['an API URL without /v1/', 'https://vault.internal/secret/openai#k', /starts with \/v1\//],
    ['a bad kv', 'vault://v/secret/x?kv=3#k', /kv= must be 1 or 2/],
    ['a bad version', 'vault://v/secret/x?version=0#k', /positive whole number/],
    ['an unknown option', 'vault://v/secret/x?colour=red#k', /unknown query parameter "colour"/],
    ['a token in the query', 'vault://v/secret/x?token=abc#k', /credential in its query/],
    ['a password', 'https://u:p@v/v1/secret/x#k', /user name or password/],
  ])('refuses %s', (_name, spec, message) => {
    let error: unknown;
    try {
      parseVaultSpec(spec);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KeySpecError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('Vault specs through keys.from() and keys.vault()', () => {
  it('gives a source that describes where, not what', () => {
    expect(from('vault://vault.internal/secret/openai#api_key').describe()).toBe(
      'vault://vault.internal/secret/openai#api_key',
    );
    expect(from('https://vault.internal:8200/v1/secret/data/openai#api_key').describe()).toBe(
      'vault:https://vault.internal:8200/v1/secret/data/openai#api_key',
    );
    expect(vault('vault:///secret/openai', { field: 'key', kv: 1 }).describe()).toBe(
      'vault:///secret/openai',
    );
  });

  it('checks its options', () => {
    expect(() => vault('vault:///secret/x#k', { kv: 3 as 1 })).toThrow(/kv must be 1 or 2/);
    expect(() => vault('vault:///secret/x#k', { version: 1.5 })).toThrow(/version/);
    expect(() => vault('vault:///secret/x#k', { cacheTtlMs: -1 })).toThrow(/cacheTtlMs/);
    expect(() => vault('vault:///secret/x#k', { token: '  ' })).toThrow(/token option is empty/);
    expect(() => vault('vault:///secret/x#k', { field: '' })).toThrow(/field/);
  });
});
