/**
 * What the framework tests share: a simulator, a `createFetch` fetch and a built-in client on it,
 * each with its own in-memory ledger, and comparisons of ledger and simulator.
 */
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { createClient, type KeycardClient } from '../../src/client.js';
import { createFetch, type FetchOptions, type KeycardFetch } from '../../src/fetch.js';
import { keys } from '../../src/keys/index.js';
import type { KeySource } from '../../src/keys/types.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import type { ProviderId } from '../../src/providers/ids.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { CapturingLogger } from '../helpers/fixture.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';

export interface FetchFixture {
  key: string;
  simulator: Simulator;
  ledger: MemoryLedger;
  logger: CapturingLogger;
  fetch: KeycardFetch;
  baseURL: string;
  events(): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

export async function readEvents(ledger: MemoryLedger): Promise<UsageEvent[]> {
  await ledger.flush();
  const all: UsageEvent[] = [];
  for await (const event of ledger.events()) all.push(event);
  return all;
}

/** A simulator accepting one key, and a `createFetch` fetch for `provider` with it. */
export async function fetchFixture(
  provider: ProviderId,
  options: { source?: KeySource; key?: string; fetch?: FetchOptions } = {},
): Promise<FetchFixture> {
  const key = options.key ?? testKey(provider as TestKeyKind, 'frameworks');
  const simulator = await startSimulator({ keys: [key] });
  const ledger = new MemoryLedger();
  const logger = new CapturingLogger();
  const fetch = await createFetch(provider, options.source ?? keys.literal(key), {
    ledger,
    logger,
    telemetry: false,
    ...options.fetch,
  });
  return {
    key,
    simulator,
    ledger,
    logger,
    fetch,
    baseURL: simulator.baseURL(provider),
    events: () => readEvents(ledger),
    async close() {
      await fetch.close();
      await simulator.close();
    },
  };
}

/** A built-in client on the fixture's simulator, with a ledger of its own. */
export async function builtInClient<P extends 'openai' | 'anthropic' | 'gemini'>(
  fixture: FetchFixture,
  provider: P,
): Promise<{ client: KeycardClient; ledger: MemoryLedger }> {
  const ledger = new MemoryLedger();
  const client = await createClient(provider, keys.literal(fixture.key), {
    ledger,
    baseURL: fixture.simulator.baseURL(provider),
    telemetry: false,
    maxRetries: 0,
  });
  return { client: client as unknown as KeycardClient, ledger };
}

/** The ledger's totals equal what the simulator served for `provider`. */
export function expectLedgerMatchesSimulator(
  events: UsageEvent[],
  fixture: FetchFixture,
  provider: ProviderId,
) {
  const served = fixture.simulator.tally().byProvider[provider];
  expect(served).toBeDefined();
  const sum = (pick: (event: UsageEvent) => number | null) =>
    events.reduce((total, event) => total + (pick(event) ?? 0), 0);
  expect({
    requests: sum((event) => event.requests),
    inputTokens: sum((event) => event.inputTokens),
    outputTokens: sum((event) => event.outputTokens),
  }).toEqual({
    requests: served?.requests,
    inputTokens: served?.inputTokens,
    outputTokens: served?.outputTokens,
  });
}

/** Nothing printed or logged holds the key. */
export function expectNoKey(fixture: FetchFixture, ...printed: unknown[]) {
  const texts = [
    inspect(fixture.fetch, { depth: 10, showHidden: true }),
    JSON.stringify(fixture.fetch),
    String(fixture.fetch),
    ...fixture.logger.lines,
    ...printed.map((value) => inspect(value, { depth: 10, showHidden: true })),
    ...printed.map((value) => {
      try {
        return JSON.stringify(value);
      } catch {
        return '';
      }
    }),
  ];
  for (const text of texts) expect(text).not.toContain(fixture.key);
}
