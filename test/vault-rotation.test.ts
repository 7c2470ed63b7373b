/**
 * A client whose key lives in Vault: created from a spec string, and rotated under load. 100
 * calls are in flight while the key changes in Vault and the old one is revoked: none fails, none
 * is tried more than twice, Vault is read again once, and calls that start after the new key is in
 * use never send the old one. The real `openai` SDK against the provider and Vault simulators.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/client.js';
import { keys } from '../src/keys/index.js';
import { MemoryLedger } from '../src/ledger/memory.js';
import type { UsageEvent } from '../src/ledger/types.js';
import {
  type Simulator,
  startSimulator,
  startVaultSimulator,
  type VaultSimulator,
} from '../src/testing/index.js';
import { CapturingLogger } from './helpers/fixture.js';
import { testKey } from './helpers/keys.js';

let vault: VaultSimulator;
let provider: Simulator;
let token: string;

beforeAll(async () => {
  vault = await startVaultSimulator();
  vault.mount('secret', { version: 2 });
  token = vault.createToken({ policies: ['secret/*'] });
  provider = await startSimulator({ latencyMs: 30 });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([vault.close(), provider.close()]);
});

async function allEvents(ledger: MemoryLedger): Promise<UsageEvent[]> {
  const events: UsageEvent[] = [];
  for await (const event of ledger.events()) events.push(event);
  return events;
}

describe('a key in Vault', () => {
  it('works from a spec string with VAULT_ADDR and VAULT_TOKEN', async () => {
    const key = testKey('anthropic', 'vault-client');
    vault.put('secret', 'anthropic', { api_key: key });
    provider.addKey(key);
    vi.stubEnv('VAULT_ADDR', vault.address);
    vi.stubEnv('VAULT_TOKEN', token);
    const client = await createClient('anthropic', 'vault:///secret/anthropic#api_key', {
      baseURL: provider.baseURL('anthropic'),
      ledger: false,
      maxRetries: 0,
    });
    expect(client.source).toBe('vault:///secret/anthropic#api_key');
    const message = await client.sdk.messages.create({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content.length).toBeGreaterThan(0);
    const verified = await client.verify();
    expect(verified.keyAgeDays).toBe(0);
    await client.close();
  });

  it('is rotated under load: no call fails, one re-read, the old key is not used once replaced', async () => {
    const oldKey = testKey('openai', 'vault-load-old');
    const newKey = testKey('openai', 'vault-load-new');
    vault.put('secret', 'openai', { api_key: oldKey });
    provider.addKey(oldKey);
    const ledger = new MemoryLedger();
    const logger = new CapturingLogger();
    /** Per call (by its x-call header): the keys its attempts sent. */
    const attempts = new Map<string, string[]>();
    const recordingFetch: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      const call = headers.get('x-call') ?? 'unknown';
      const key = headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
      attempts.set(call, [
        ...(attempts.get(call) ?? []),
        key === oldKey ? 'old' : key === newKey ? 'new' : 'other',
      ]);
      return fetch(input, init);
    };
    const client = await createClient(
      'openai',
      keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token }),
      { baseURL: provider.baseURL('openai'), ledger, logger, maxRetries: 0, fetch: recordingFetch },
    );
    const oldFingerprint = client.fingerprint;
    vault.resetRequests();

    let noticedAt = Number.POSITIVE_INFINITY;
    const startedAfterNotice = new Set<string>();
    const calls: Promise<unknown>[] = [];
    for (let index = 0; index < 100; index += 1) {
      const call = String(index);
      if (client.fingerprint !== oldFingerprint) {
        noticedAt = Math.min(noticedAt, index);
        startedAfterNotice.add(call);
      }
      calls.push(
        client.sdk.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `call ${call}` }] },
          { headers: { 'x-call': call } },
        ),
      );
      if (index === 30) {
        // The key is replaced in Vault and the old one revoked while calls are in flight.
        vault.put('secret', 'openai', { api_key: newKey });
        provider.addKey(newKey);
        provider.revokeKey(oldKey);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const results = await Promise.allSettled(calls);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(client.maskedId).toBe(`sk-proj-****${newKey.slice(-4)}`);
    // Vault was read again once, however many calls were rejected together.
    expect(vault.count({ path: 'secret/data/openai' })).toBe(1);
    for (const [call, sent] of attempts) {
      expect(sent.length, `call ${call}`).toBeLessThanOrEqual(2);
      if (sent.length === 2) expect(sent, `call ${call}`).toEqual(['old', 'new']);
    }
    expect(startedAfterNotice.size).toBeGreaterThan(0);
    for (const call of startedAfterNotice) expect(attempts.get(call), `call ${call}`).toEqual(['new']);
    expect(noticedAt).toBeLessThan(100);
    // The ledger holds every attempt under the key it actually used.
    const events = await allEvents(ledger);
    const ok = events.filter((event) => event.outcome === 'ok');
    expect(ok).toHaveLength(100);
    const rejected = events.filter((event) => event.outcome === 'unauthorized');
    expect(rejected.every((event) => event.keyFingerprint === oldFingerprint)).toBe(true);
    expect(ok.filter((event) => event.keyFingerprint === oldFingerprint).length + rejected.length).toBe(
      [...attempts.values()].flat().filter((key) => key === 'old').length,
    );
    expect(logger.lines.filter((line) => line.includes('rotated'))).toHaveLength(1);
    await client.close();
  });
});
