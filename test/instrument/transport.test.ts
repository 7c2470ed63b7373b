/**
 * The transport rule: a key goes over plain http:// only to this machine. A name that resolves to
 * this machine (through a DNS hook, so no packet leaves it) is still another host by name, and is
 * refused before anything is sent, for every provider; the per-client opt-out lets it through.
 */
import dns from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { ProviderId } from '../../src/providers/ids.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

const HOST = 'keycard-transport.test';
const originalLookup = dns.lookup;
let simulator: Simulator;
const providers: ProviderId[] = ['openai', 'anthropic', 'gemini', 'slack', 'telegram', 'xai'];
const keyOf = Object.fromEntries(providers.map((provider) => [provider, testKey(provider, 'transport')]));

beforeAll(async () => {
  // The test host resolves to this machine: even if the rule failed, nothing would leave it.
  (dns as { lookup: unknown }).lookup = function lookup(this: unknown, hostname: string, ...rest: unknown[]) {
    return (originalLookup as (...args: unknown[]) => unknown).call(
      this,
      hostname === HOST ? '127.0.0.1' : hostname,
      ...rest,
    );
  };
  simulator = await startSimulator({ keys: Object.values(keyOf) });
});

afterAll(async () => {
  (dns as { lookup: unknown }).lookup = originalLookup;
  await simulator.close();
});

const onHost = (url: string) => url.replace('127.0.0.1', HOST);

async function call(provider: ProviderId, sdk: object): Promise<unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: one call per SDK, each typed by its own test file.
  const any = sdk as Record<string, any>;
  switch (provider) {
    case 'openai':
    case 'xai':
      return any['chat'].completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
    case 'anthropic':
      return any['messages'].create({
        model: 'claude-3-5-haiku-latest',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      });
    case 'gemini':
      return any['getGenerativeModel']({ model: 'gemini-2.0-flash' }).generateContent('hi');
    case 'slack':
      return any['auth'].test();
    case 'telegram':
      return any['getMe']();
  }
}

describe.each(providers)('%s', (provider) => {
  it('refuses plain http:// to another host before anything is sent', async () => {
    const before = simulator.tally().total.requests;
    const error = await rejection(
      createClient(provider, keys.literal(keyOf[provider] as string), {
        baseURL: onHost(simulator.baseURL(provider)),
        ledger: false,
      }),
    );
    expect(isCredentialError(error) && error.reason).toBe('insecure_source');
    expect(String((error as Error).message)).toContain(`plain http:// to ${HOST}`);
    expect(String((error as Error).message)).not.toContain(keyOf[provider] as string);
    expect(simulator.tally().total.requests).toBe(before);
  });

  it('sends it there with { dangerouslyAllowPlainHttp: true }', async () => {
    const ledger = new MemoryLedger();
    const client = await createClient(provider, keys.literal(keyOf[provider] as string), {
      baseURL: onHost(simulator.baseURL(provider)),
      ledger,
      dangerouslyAllowPlainHttp: true,
    });
    await call(provider, client.sdk);
    expect((await ledger.totals())[0]?.requests).toBe(1);
    await client.close();
  });
});

describe('loopback', () => {
  it.each(['localhost', '127.0.0.1'])('always allows plain http:// to %s', async (host) => {
    const client = await createClient('openai', keys.literal(keyOf['openai'] as string), {
      baseURL: simulator.baseURL('openai').replace('127.0.0.1', host),
      ledger: false,
    });
    await call('openai', client.sdk);
  });
});

describe('a base URL changed after creation', () => {
  it('is checked on every request: withOptions() to another host is refused, nothing sent', async () => {
    const client = await createClient('openai', keys.literal(keyOf['openai'] as string), {
      baseURL: simulator.baseURL('openai'),
      ledger: false,
      maxRetries: 0,
    });
    const before = simulator.tally().total.requests;
    const moved = client.sdk.withOptions({ baseURL: onHost(simulator.baseURL('openai')) });
    const error = await rejection(call('openai', moved));
    expect(isCredentialError(error) && error.reason).toBe('insecure_source');
    expect(simulator.tally().total.requests).toBe(before);
  });
});

describe('keycard check --base-url', () => {
  // 0.0.0.0 is not loopback by name (so it is refused), yet a connection to it stays on this machine.
  it('refuses plain http:// to another host with a hint that names the flag, and sends nothing', async () => {
    const { keycard } = await import('../helpers/cli.js');
    const before = simulator.tally().total.requests;
    const result = await keycard(
      ['check', 'openai', 'env:KEYCARD_TRANSPORT_KEY', '--base-url', 'http://0.0.0.0:9/v1'],
      {
        env: { KEYCARD_TRANSPORT_KEY: keyOf['openai'] },
      },
    );
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('--allow-plain-http');
    expect(result.stdout + result.stderr).not.toContain('dangerouslyAllowPlainHttp');
    expect(simulator.tally().total.requests).toBe(before);
  });
});
