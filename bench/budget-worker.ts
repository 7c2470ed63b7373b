// The budget check in its own process (run with `node --import tsx`): `calls` calls through the
// budget gate (admit, record the event, settle), `concurrency` at a time, against a SQLite
// ledger, with a USD budget (`on`) or none (`off`: recording only). Prints the process CPU time
// per call in microseconds, and the lease operations made (store round trips under the lock).
// argv: on|off, calls, concurrency, ledger path.
import { BudgetGate } from '../src/instrument/budget-gate.js';
import { resolveBudget } from '../src/ledger/budget.js';
import { openSqliteLedger } from '../src/ledger/sqlite.js';
import type { UsageEvent } from '../src/ledger/types.js';
import type { KeycardLogger } from '../src/redact/logger.js';
import type { Secret } from '../src/secret.js';

const [mode, count, width, path] = process.argv.slice(2);
const calls = Number(count);
const ledger = await openSqliteLedger(path as string);
const quiet = () => undefined;
const logger = { error: quiet, warn: quiet, info: quiet, debug: quiet } as unknown as KeycardLogger;
const budgets = mode === 'on' ? [resolveBudget({ usd: 1_000_000, period: 'month' })] : [];
const gate = new BudgetGate(budgets, ledger, 'openai', null, logger);
const secret = { fingerprint: 'benchbudget0', maskedId: 'sk-proj-****bdgt' } as Secret;

async function call(): Promise<void> {
  const admission = await gate.admit(secret, 'gpt-4o-mini');
  if (admission instanceof Error) throw admission;
  const event: UsageEvent = {
    time: new Date(),
    provider: 'openai',
    operation: 'chat.completions',
    model: 'gpt-4o-mini',
    keyFingerprint: secret.fingerprint,
    tags: {},
    maskedId: secret.maskedId,
    workflow: null,
    inputTokens: 100,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 50,
    reasoningTokens: 0,
    requests: 1,
    costUsd: 0.0001,
    pricing: 'bench',
    latencyMs: 1,
    outcome: 'ok',
    status: 200,
    stream: false,
  };
  ledger.record(event, admission.releases);
  if (admission.checks.length > 0) await gate.settle(admission, event);
}

async function run(total: number): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: Number(width) }, async () => {
      while (started < total) {
        started += 1;
        await call();
      }
    }),
  );
  await ledger.flush();
}

await run(Math.min(1000, calls));
const operations = ledger.leaseOperations;
const before = process.cpuUsage();
await run(calls);
const used = process.cpuUsage(before);
await gate.close();
await ledger.close();
process.stdout.write(
  JSON.stringify({
    cpuUs: (used.user + used.system) / calls,
    leaseOperations: ledger.leaseOperations - operations,
  }),
);
