/**
 * A worker sharing a budget with others (run with `node --import tsx`). argv[2] is a JSON
 * `LeaseChildConfig`; the key comes in BUDGET_KEY. It makes real OpenAI SDK calls against the
 * parent's simulator, with prompts of random length (so that costs vary and estimates miss):
 * - `hammer`: `concurrency` loops call until each is blocked once; then it closes and prints a
 *   `LeaseChildResult`;
 * - `hold`: `calls` calls, then (its lease holding part of the budget) prints a `LeaseChildResult`
 *   and stays alive, calling no more, until it is killed;
 * - `exit`: as `hold`, then `process.exit()` without closing anything.
 */
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { type Budget, BudgetExceededError, periodStart } from '../../src/ledger/budget.js';
import { openLedger } from '../../src/ledger/open.js';

export interface LeaseChildConfig {
  mode: 'hammer' | 'hold' | 'exit';
  baseURL: string;
  ledger: string;
  budget: Budget;
  concurrency: number;
  /** `hold`: calls to make before holding. */
  calls?: number;
  budgetLeaseMs?: number;
}

export interface LeaseChildResult {
  ok: number;
  blocked: number;
  /** Lease operations: store round trips under the lock. */
  leaseOperations: number;
  /** `hold`: what this process's lease holds (requests) when it stops calling. */
  held?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as LeaseChildConfig;
const ledger = await openLedger(config.ledger, {
  flushIntervalMs: 5,
  ...(config.budgetLeaseMs === undefined ? {} : { budgetLeaseMs: config.budgetLeaseMs }),
});
const client = await createClient('openai', keys.literal(process.env['BUDGET_KEY'] ?? ''), {
  baseURL: config.baseURL,
  ledger,
  maxRetries: 0,
  budget: config.budget,
});
const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');
const call = () =>
  client.sdk.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: words(1 + Math.floor(Math.random() * 300)) }],
    max_tokens: 1 + Math.floor(Math.random() * 200),
  });

let ok = 0;
let blocked = 0;
if (config.mode === 'hammer') {
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      for (;;) {
        try {
          await call();
          ok += 1;
        } catch (error) {
          if (!BudgetExceededError.is(error)) throw error;
          blocked += 1;
          return;
        }
      }
    }),
  );
  const result: LeaseChildResult = { ok, blocked, leaseOperations: ledger.leaseOperations };
  await client.close();
  await ledger.close();
  process.stdout.write(JSON.stringify(result));
} else {
  let started = 0;
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (started < (config.calls ?? 0)) {
        started += 1;
        await call();
        ok += 1;
      }
    }),
  );
  // What the lease holds now, as every process sees it (nothing of this process is in flight):
  // when the last call used up its slice, one more call takes a new one.
  const scope = { field: 'key' as const, value: client.fingerprint, id: `key:${client.fingerprint}` };
  const since = [periodStart(config.budget.period ?? 'month', new Date())];
  let held = 0;
  for (let attempt = 0; attempt < 20 && held === 0; attempt += 1) {
    if (attempt > 0) {
      await call();
      ok += 1;
    }
    held = (await ledger.lease(scope, since, 'probe', () => undefined)).held.requests;
  }
  const result: LeaseChildResult = { ok, blocked, leaseOperations: ledger.leaseOperations, held };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (config.mode === 'exit') process.exit(0);
  setInterval(() => undefined, 1000);
}
