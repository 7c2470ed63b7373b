/**
 * A keycard OpenAI client against a fresh simulator, with its own in-memory ledger and a logger
 * that keeps every line, for tests.
 */
import { inspect } from 'node:util';
import type OpenAI from 'openai';
import { type ClientOptions, createClient, type KeycardClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import type { KeySource } from '../../src/keys/types.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from './keys.js';

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

export interface OpenAIFixture {
  key: string;
  simulator: Simulator;
  ledger: MemoryLedger;
  logger: CapturingLogger;
  client: KeycardClient<OpenAI>;
  events(): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

/** Starts a simulator accepting `key` and creates a client with it (literal source unless given). */
export async function openAIFixture(
  options: { key?: string; source?: KeySource | string; client?: ClientOptions<'openai'> } = {},
): Promise<OpenAIFixture> {
  const key = options.key ?? testKey('openai', 'fixture');
  const simulator = await startSimulator({ keys: [key] });
  const ledger = new MemoryLedger();
  const logger = new CapturingLogger();
  const client = await createClient('openai', options.source ?? keys.literal(key), {
    baseURL: simulator.baseURL('openai'),
    maxRetries: 0,
    ledger,
    logger,
    ...options.client,
  });
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
