/**
 * Invariant 1 for the secrets that guard keys: a canary Vault token, AppRole secret id and
 * keystore passphrase go through successful reads, every Vault failure (403, 500 echoing the
 * token, a hang, malformed JSON, a stale read), a failed AppRole login, a wrong passphrase, a
 * tampered keystore, and util.inspect / JSON of sources, clients, stores and errors. Their secret
 * parts appear in no output.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { openKeystore } from '../../src/keys/keystore.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { startSimulator, startVaultSimulator } from '../../src/testing/index.js';
import { captureProcessOutput, capturing, leaksOf } from '../helpers/capture.js';
import { CapturingLogger } from '../helpers/fixture.js';
import { CANARY_MARKER, randomString, seededRandom, testKey } from '../helpers/keys.js';

let captured: string[] = [];
beforeEach(() => {
  captured = [];
  captureProcessOutput(captured);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const random = seededRandom(7);
const vaultToken = `hvs.${CANARY_MARKER}${randomString(random, 80)}`;
const secretId = `${CANARY_MARKER}-secret-id-${randomString(random, 24)}`;
const passphrase = `pass ${CANARY_MARKER} phrase ${randomString(random, 16)}`;

describe('a canary Vault token and AppRole secret id', () => {
  it('never appear in any output', async () => {
    const key = testKey('openai', 'vault-canary');
    const vault = await startVaultSimulator();
    const provider = await startSimulator({ keys: [key] });
    const logger = new CapturingLogger();
    const capture = capturing(captured);
    try {
      vault.mount('secret', { version: 2 });
      vault.put('secret', 'openai', { api_key: key });
      vault.createToken({ id: vaultToken, policies: ['secret/data/openai'] });
      const role = vault.addAppRole({ policies: ['secret/*'], secretId });
      const url = `${vault.address}/v1/secret/data/openai#api_key`;
      const source = keys.vault(url, { token: vaultToken, cacheTtlMs: 0, staleGraceMs: 60_000 });
      capture.value(source);
      const client = await createClient('openai', source, {
        baseURL: provider.baseURL('openai'),
        ledger: new MemoryLedger(),
        logger,
        maxRetries: 0,
      });
      await client.sdk.models.list();
      capture.value(client);
      capture.value(await client.verify());

      const other = `${vault.address}/v1/secret/data/other#api_key`;
      await capture.failure(() => keys.vault(other, { token: vaultToken }).resolve());
      vault.fail({ status: 500, errors: [`backend failed for token ${vaultToken}`] });
      await capture.failure(() => keys.vault(url, { token: vaultToken }).resolve());
      vault.fail({ hang: true });
      await capture.failure(() => keys.vault(url, { token: vaultToken, timeoutMs: 100 }).resolve());
      vault.fail({ malformed: true });
      await capture.failure(() => keys.vault(url, { token: vaultToken }).resolve());
      // A stale read, warned about through the client's logger and through process warnings.
      vault.fail({ status: 503, times: 2 });
      await client.refresh().catch((error: unknown) => capture.value(error));
      capture.value(await source.resolve({ provider: 'openai', onWarning: (line) => captured.push(line) }));
      vi.stubEnv('VAULT_TOKEN', vaultToken);
      await capture.failure(() => keys.vault(`${vault.address}/v1/secret/data/missing#k`).resolve());
      const approle = keys.vault(url, { appRole: { roleId: role.roleId, secretId } });
      capture.value(await approle.resolve());
      await capture.failure(() =>
        keys.vault(url, { appRole: { roleId: 'wrong', secretId: keys.literal(secretId) } }).resolve(),
      );
      capture.value(vault.requests);
      await client.close();
    } finally {
      captured.push(...logger.lines);
      await Promise.all([vault.close(), provider.close()]);
    }
    expect(captured.join('\n')).toContain('[REDACTED');
    expect(leaksOf(captured, vaultToken)).toEqual([]);
    expect(leaksOf(captured, secretId)).toEqual([]);
  });
});

describe('a canary keystore passphrase', () => {
  it('never appears in any output', async () => {
    const key = testKey('anthropic', 'keystore-canary');
    const provider = await startSimulator({ keys: [key] });
    const capture = capturing(captured);
    const logger = new CapturingLogger();
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-canary-keystore-')), 'keys.json');
    try {
      vi.stubEnv('KEYCARD_PASSPHRASE', passphrase);
      const store = openKeystore({ path, kdf: { N: 2 ** 14 } });
      capture.value(store);
      capture.value(await store.add('claude', key));
      capture.value(await store.list());
      const client = await createClient('anthropic', keys.keystore('claude', { path }), {
        baseURL: provider.baseURL('anthropic'),
        ledger: new MemoryLedger(),
        logger,
        maxRetries: 0,
      });
      capture.value(client);
      capture.value(await client.verify());
      await client.close();
      vi.stubEnv('KEYCARD_PASSPHRASE', `${passphrase} but wrong`);
      await capture.failure(() => openKeystore({ path }).get('claude'));
      vi.stubEnv('KEYCARD_PASSPHRASE', passphrase);
      const json = JSON.parse(await readFile(path, 'utf8'));
      json.entries.claude.provider = 'openai';
      await writeFile(path, JSON.stringify(json));
      await capture.failure(() => openKeystore({ path }).get('claude'));
      captured.push(await readFile(path, 'utf8'));
    } finally {
      captured.push(...logger.lines);
      await provider.close();
    }
    expect(leaksOf(captured, passphrase)).toEqual([]);
  });
});
