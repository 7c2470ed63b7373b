// Writes usage events to a ledger from its own process. argv: url, mode, count, writer id.
// mode: close (write, then close), exit (write, then process.exit without close),
// forever (write batches until killed).
import { openLedger } from '../../dist/index.js';

const [url, mode, count, writer] = process.argv.slice(2);
const ledger = await openLedger(url, { flushIntervalMs: 5, maxBatch: 50 });
const event = (index) => ({
  time: new Date(Date.UTC(2026, 10, 1, 10, 0, 0, index % 1000)),
  provider: 'openai',
  operation: 'chat.completions',
  model: 'gpt-4o-mini',
  keyFingerprint: `writer${writer}`.padEnd(12, '0'),
  maskedId: 'sk-proj-****test',
  workflow: `w${writer}`,
  inputTokens: 10,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 5,
  reasoningTokens: 0,
  requests: 1,
  costUsd: 0.000001,
  pricing: 'test',
  latencyMs: 1,
  outcome: 'ok',
  status: 200,
  stream: false,
});
if (mode === 'forever') {
  process.stdout.write('ready\n');
  for (let index = 0; ; index += 1) {
    ledger.record(event(index));
    if (index % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
for (let index = 0; index < Number(count); index += 1) {
  ledger.record(event(index));
  if (index % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
}
if (mode === 'exit') process.exit(0);
await ledger.close();
