// A provider of your own: an OpenAI-compatible service registered in a few lines, then used as a
// built-in provider (key checks, masked ids, redaction, ledger, prices). Offline: the service is
// keycard's simulator, which speaks OpenAI's API.
// Install: npm i keycard openai
// Run it with `node custom-provider.mjs` (in this repository: `npm run build && node examples/custom-provider.mjs`).
// For real use, drop the simulator and `baseURL`, and put your key in MY_LLM_API_KEY.
import { randomBytes } from 'node:crypto';
import { createClient, isCredentialError, keys, memoryLedger, redactText, registerProvider } from 'keycard';
import { startSimulator } from 'keycard/testing';

// Usually in a module of its own (keycard-providers.mjs), which the CLI reads too:
// KEYCARD_PROVIDERS=./keycard-providers.mjs npx keycard providers
const myLlm = registerProvider({
  id: 'my-llm',
  label: 'My LLM',
  envVars: ['MY_LLM_API_KEY'],
  keyPage: 'https://llm.example.com/keys',
  key: { prefix: 'myllm-' },
  prices: 'openai', // it serves OpenAI's models at OpenAI's prices
  openAICompatible: { baseURL: 'https://llm.example.com/v1' },
});

// A made-up key with the service's prefix, accepted by the simulator.
const key = `myllm-${randomBytes(30).toString('hex')}`;
const simulator = await startSimulator({ keys: [key] });
process.env.MY_LLM_API_KEY = key;

const ledger = memoryLedger();
const client = await createClient(myLlm, undefined, {
  baseURL: simulator.baseURL('openai'),
  workflow: 'custom-provider',
  ledger,
});
console.log('client:', client); // the masked id, never the key

const completion = await client.sdk.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello from my own provider.' }],
});
console.log('reply:', completion.choices[0]?.message.content);

// Its keys are found in any text by their prefix, like the built-in providers' keys.
console.log('redacted:', redactText(`MY_LLM_API_KEY=myllm-${randomBytes(30).toString('hex')}`));

// Another provider's key is refused before any call, with the reason.
try {
  await createClient(myLlm, keys.literal(`sk-ant-api03-${randomBytes(70).toString('base64url')}`));
} catch (error) {
  if (!isCredentialError(error)) throw error;
  console.log(`caught CredentialError (${error.reason}): ${error.message}`);
}

await client.close();
console.log('usage:', await ledger.totals({ by: ['provider', 'model'] }));
await simulator.close();
