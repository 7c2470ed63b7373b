// Budgets and alerts: a free-tier quota of 5 requests a day for one key, a USD budget for a
// workflow, alerts at 50 % and 100 %, and the BudgetExceededError a blocked call throws before
// anything is sent. With OPENAI_API_KEY set it calls OpenAI (5 small requests); otherwise, or
// with --offline, the OpenAI simulator and a made-up key.
// Install: npm i keycard openai
import { BudgetExceededError, createClient, keys, openLedger } from 'keycard';
import { fakeKey, startSimulator } from 'keycard/testing';

const offline = process.argv.includes('--offline') || !process.env.OPENAI_API_KEY;
const key = offline ? fakeKey('openai') : undefined;
const simulator = offline ? await startSimulator({ keys: [key] }) : undefined;
const ledger = await openLedger('memory:'); // or 'sqlite:./usage.db', 'postgres://…' to share with other workers
ledger.on('alert', (alert) => console.log(`ALERT ${alert.message}`));

const openai = await createClient('openai', offline ? keys.literal(key) : keys.env('OPENAI_API_KEY'), {
  ...(offline ? { baseURL: simulator.baseURL('openai') } : {}),
  ledger,
  workflow: 'newsletter',
  budget: [
    { requests: 5, period: 'day', alertAt: [0.5, 1] },
    { usd: 1, period: 'month', scope: 'workflow' },
  ],
});

try {
  for (let call = 1; call <= 7; call += 1) {
    try {
      await openai.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `draft ${call}` }],
      });
      console.log(`call ${call}: ok`);
    } catch (error) {
      if (!BudgetExceededError.is(error)) throw error;
      console.log(`call ${call}: blocked (${error.limit}), resets at ${error.resetsAt.toISOString()}`);
    }
  }
  await ledger.flush();
  const [row] = await ledger.totals();
  console.log(
    `used: ${row?.requests} requests, $${(row?.costUsd ?? 0).toFixed(6)}; ${offline ? `the simulator served ${simulator.tally().total.requests}` : 'sent to OpenAI'}`,
  );
} finally {
  await openai.close();
  await simulator?.close();
}
