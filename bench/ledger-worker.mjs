// Writes events to a ledger from its own process and reports events per second.
// argv: ledger URL, count, writer id.
import { openLedger } from '../dist/index.js';

const [url, count, writer] = process.argv.slice(2);
const ledger = await openLedger(url);
const base = {
  provider: 'openai',
  operation: 'chat.completions',
  model: 'gpt-4o-mini',
  maskedId: 'sk-proj-****bench',
  workflow: `bench-${writer}`,
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
const started = performance.now();
for (let index = 0; index < Number(count); index += 1) {
  ledger.record({ ...base, time: new Date(), keyFingerprint: `bench${writer}`.padEnd(12, '0') });
  if (index % 5000 === 4999) await new Promise((resolve) => setImmediate(resolve));
}
await ledger.close();
process.stdout.write(String(Number(count) / ((performance.now() - started) / 1000)));
