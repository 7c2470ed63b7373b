// A worker process sharing a ledger and a key quota with others. argv: baseURL, ledger URL,
// calls, quota. The key comes in BUDGET_KEY. Prints { ok, blocked, alerts } as JSON.
import { BudgetExceededError, createClient, keys, openLedger } from '../../dist/index.js';

const [baseURL, ledgerUrl, calls, quota] = process.argv.slice(2);
const ledger = await openLedger(ledgerUrl, { flushIntervalMs: 5 });
const alerts = [];
ledger.on('alert', (alert) => alerts.push(alert.threshold));
const client = await createClient('openai', keys.literal(process.env.BUDGET_KEY), {
  baseURL,
  ledger,
  maxRetries: 0,
  budget: { requests: Number(quota), period: 'month', alertAt: [0.5, 1] },
});
let ok = 0;
let blocked = 0;
await Promise.all(
  Array.from({ length: 3 }, async () => {
    for (let index = 0; index < Number(calls) / 3; index += 1) {
      try {
        await client.sdk.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        });
        ok += 1;
      } catch (error) {
        if (!BudgetExceededError.is(error)) throw error;
        blocked += 1;
      }
    }
  }),
);
await client.close();
await ledger.close();
process.stdout.write(JSON.stringify({ ok, blocked, alerts }));
