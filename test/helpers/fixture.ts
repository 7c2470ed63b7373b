/**
 * A keycard client of any provider against a fresh simulator, with its own in-memory ledger and a
 * logger that keeps every line, for tests.
 */
import { inspect } from 'node:util';
import { type ClientOptions, createClient, type KeycardClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import type { KeySource } from '../../src/keys/types.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { providerOf, type SdkFor, type SupportedProvider } from '../../src/providers/registry.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { type TestKeyKind, testKey } from './keys.js';

/** Everything a logger was given, formatted as util.inspect would print it. */
export class CapturingLogger {
  readonly lines: string[] = [];
  readonly entries: Array<{ level: string; args: unknown[] }> = [];
  #write(level: string, args: unknown[]) {
    this.entries.push({ level, args });
    this.lines.push(
      `${level} ${args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 20 }))).join(' ')}`,
    );
  }
  error = (...args: unknown[]) => this.#write('error', args);
  warn = (...args: unknown[]) => this.#write('warn', args);
  info = (...args: unknown[]) => this.#write('info', args);
  debug = (...args: unknown[]) => this.#write('debug', args);
}

export interface ClientFixture<P extends SupportedProvider> {
  key: string;
  simulator: Simulator;
  ledger: MemoryLedger;
  logger: CapturingLogger;
  client: KeycardClient<SdkFor<P>>;
  events(): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

/** What a fixture is built from. */
export interface FixtureOptions<P extends SupportedProvider> {
  /** The key the simulator accepts and the client uses. Default: `testKey(provider, 'fixture')`. */
  key?: string;
  /** The client's key source. Default: `keys.literal(key)`. */
  source?: KeySource | string;
  /** Further client options. */
  client?: ClientOptions<P>;
}

/** Starts a simulator accepting `key` and creates a `provider` client with it. */
export async function clientFixture<P extends SupportedProvider>(
  provider: P,
  options: FixtureOptions<P> = {},
): Promise<ClientFixture<P>> {
  // A client of another SDK ('google-genai') takes its provider's keys and simulator ('gemini').
  const keyProvider = providerOf(provider);
  const key = options.key ?? testKey(keyProvider as TestKeyKind, 'fixture');
  const simulator = await startSimulator({ keys: [key] });
  const ledger = new MemoryLedger();
  const logger = new CapturingLogger();
  const client = await createClient(provider, options.source ?? keys.literal(key), {
    baseURL: simulator.baseURL(keyProvider),
    maxRetries: 0,
    ledger,
    logger,
    ...options.client,
  } as ClientOptions<P>);
  return {
    key,
    simulator,
    ledger,
    logger,
    client,
    async events() {
      const all: UsageEvent[] = [];
      for await (const event of ledger.events()) all.push(event);
      return all;
    },
    async close() {
      await client.close();
      await simulator.close();
    },
  };
}

/** An OpenAI client fixture. */
export const openAIFixture = (options: FixtureOptions<'openai'> = {}) => clientFixture('openai', options);

/** The fixture type of an OpenAI client. */
export type OpenAIFixture = ClientFixture<'openai'>;
