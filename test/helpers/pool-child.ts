/**
 * A worker process with a pooled OpenAI client on a shared ledger: waits for its first read of
 * the store, makes one call, prints the pool's states as JSON, and exits.
 * argv: ledger URL, simulator base URL. Env: POOL_CHILD_KEYS, the members' keys, comma-separated;
 * POOL_CHILD_EXPECT=exhausted to wait until the first key's shared state has arrived.
 */
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { openLedger } from '../../src/ledger/open.js';

const [ledgerUrl, baseURL] = process.argv.slice(2);
const members = (process.env['POOL_CHILD_KEYS'] ?? '').split(',');
const ledger = await openLedger(ledgerUrl as string);
const client = await createClient(
  'openai',
  keys.pool(
    members.map((key) => keys.literal(key)),
    { syncMs: 50 },
  ),
  {
    baseURL,
    ledger,
    maxRetries: 0,
  },
);
// POOL_CHILD_EXPECT=exhausted: wait (up to 10 s) until the first key's state, found by another
// process, has been read from the store; else a moment for the first read.
const deadline = Date.now() + 10_000;
do await new Promise((resolve) => setTimeout(resolve, 25));
while (
  process.env['POOL_CHILD_EXPECT'] === 'exhausted' &&
  client.pool()?.[0]?.state !== 'exhausted' &&
  Date.now() < deadline
);
await client.sdk.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hi' }],
});
process.stdout.write(JSON.stringify(client.pool()?.map((member) => member.state)));
await client.close();
await ledger.close();
