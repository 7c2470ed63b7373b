/**
 * A worker whose PostgreSQL ledger goes away while it makes calls (run with `node --import tsx`,
 * forked with an IPC channel). argv[2] is a JSON `OutageChildConfig`. It makes real OpenAI SDK
 * calls against a simulator from several concurrent loops, sends `{ type: 'ready' }` once calls
 * are flowing, stops on `{ type: 'stop' }`, waits for the ledger to say it is back (when told
 * to), closes, and sends `{ type: 'result', … }` (an `OutageChildResult`).
 */
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import type { Budget } from '../../src/ledger/budget.js';
import { openPostgresLedger, type PostgresLedgerOptions } from '../../src/ledger/postgres.js';
import { fakeKey, startSimulator } from '../../src/testing/index.js';

export interface OutageChildConfig {
  /** The ledger URL, through the parent's proxy. */
  url: string;
  /** Concurrent call loops. */
  concurrency: number;
  /** A pause between two calls of a loop, in milliseconds. */
  pauseMs: number;
  /** Ledger options. */
  ledger?: PostgresLedgerOptions;
  budget?: Budget;
  /** Wait for the ledger's `recovered` warning before closing. */
  awaitRecovery: boolean;
}

export interface OutageChildResult {
  type: 'result';
  ok: number;
  failures: string[];
  served: { requests: number; inputTokens: number; outputTokens: number };
  warnings: Array<{ kind: string; message: string; lost: number | undefined; written: number | undefined }>;
  lostEvents: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as OutageChildConfig;
const send = (message: object) => process.send?.(message);

const key = fakeKey('openai');
const simulator = await startSimulator({ keys: [key] });
const ledger = await openPostgresLedger(config.url, { flushIntervalMs: 10, ...config.ledger });
const warnings: OutageChildResult['warnings'] = [];
let recovered: () => void = () => undefined;
const recovery = new Promise<void>((resolve) => {
  recovered = resolve;
});
(ledger as unknown as { on(event: string, listener: (warning: never) => void): void }).on(
  'warning',
  (warning: { kind: string; message: string; lost?: number; written?: number }) => {
    warnings.push({
      kind: warning.kind,
      message: warning.message,
      lost: warning.lost,
      written: warning.written,
    });
    if (warning.kind === 'recovered') recovered();
  },
);
const client = await createClient('openai', keys.literal(key), {
  baseURL: simulator.baseURL('openai'),
  ledger,
  maxRetries: 0,
  ...(config.budget === undefined ? {} : { budget: config.budget }),
});

let stopping = false;
process.on('message', (message: { type?: string }) => {
  if (message.type === 'stop') stopping = true;
});

let ok = 0;
const failures: string[] = [];
const pause = () => new Promise((resolve) => setTimeout(resolve, config.pauseMs));
const loop = async () => {
  while (!stopping) {
    try {
      await client.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello through an outage' }],
      });
      ok += 1;
    } catch (error) {
      failures.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    await pause();
  }
};
const loops = Array.from({ length: config.concurrency }, loop);
const ready = setInterval(() => {
  if (ok < 20) return;
  clearInterval(ready);
  send({ type: 'ready' });
}, 5);
await Promise.all(loops);
clearInterval(ready);
if (config.awaitRecovery) {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([recovery, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
  clearTimeout(timer);
}
await client.close();
await ledger.close();
const served = simulator.tally().total;
await simulator.close();
const result: OutageChildResult = {
  type: 'result',
  ok,
  failures: failures.slice(0, 20),
  served: { requests: served.requests, inputTokens: served.inputTokens, outputTokens: served.outputTokens },
  warnings,
  lostEvents: ledger.lostEvents,
};
send(result);
process.disconnect?.();
