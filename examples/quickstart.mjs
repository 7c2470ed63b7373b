// keycard quick start, offline: the real OpenAI SDK talks to keycard's local simulator.
// Install: npm i keycard openai
// Run it with `node quickstart.mjs` (in this repository: `npm run build && node examples/quickstart.mjs`).
// For real use, drop the simulator and `baseURL`, and put your key in OPENAI_API_KEY.
import { randomBytes } from 'node:crypto';
import { createClient, isCredentialError, keys, memoryLedger } from 'keycard';
import { startSimulator } from 'keycard/testing';

// A made-up key in the shape of an OpenAI project key, accepted by the simulator.
const key = `sk-proj-${randomBytes(60).toString('base64url')}`;
const simulator = await startSimulator({ keys: [key] });
process.env.DEMO_OPENAI_KEY = key;

const ledger = memoryLedger();
const openai = await createClient('openai', keys.env('DEMO_OPENAI_KEY'), {
  baseURL: simulator.baseURL('openai'),
  workflow: 'quickstart',
  ledger,
});

console.log('client:', openai); // shows the masked id, never the key

const completion = await openai.sdk.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to keycard.' }],
});
console.log('reply:', completion.choices[0]?.message.content);

const stream = await openai.sdk.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Stream a short answer.' }],
  stream: true,
});
let streamed = '';
for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
console.log('streamed:', streamed);

console.log('verify:', await openai.verify());

// A revoked key: the provider's 401 becomes a CredentialError with a hint.
simulator.revokeKey(key);
try {
  await openai.sdk.models.list();
} catch (error) {
  if (!isCredentialError(error)) throw error;
  console.log(`caught CredentialError (${error.reason}): ${error.message}`);
}

console.log('usage:', await ledger.totals({ by: ['model'] }));
await openai.close();
await simulator.close();
