// Usage: KEYCARD_TEST_KEY=… node create-client-modules.mjs PROVIDER [SIMULATED]
// Imports the built keycard, creates a PROVIDER client against the built simulator (its SIMULATED
// provider, default PROVIDER: 'gemini' for 'google-genai'), makes one verify() call, and prints,
// as JSON, the URL of every module the process loaded. With KEYCARD_TEST_CREATE=fetch:
// createFetch(PROVIDER) and one request through it instead.
import { mkdtempSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [provider, simulated = provider] = process.argv.slice(2);
const file = join(mkdtempSync(join(tmpdir(), 'keycard-modules-')), 'loaded.txt');
register('./resolution-hooks.mjs', import.meta.url, { data: { file } });
const { createClient, keys } = await import('../../dist/index.js');
const { startSimulator } = await import('../../dist/testing/index.js');
const key = process.env.KEYCARD_TEST_KEY;
const simulator = await startSimulator({ keys: [key] });
if (process.env.KEYCARD_TEST_CREATE === 'fetch') {
  // createFetch: one request through the fetch, as a framework would send it.
  const { createFetch } = await import('../../dist/index.js');
  const paths = { openai: '/models', anthropic: '/v1/models', gemini: '/v1beta/models' };
  const fetch = await createFetch(provider, keys.literal(key), { ledger: false });
  const response = await fetch(`${simulator.baseURL(simulated)}${paths[simulated]}`);
  await response.text();
  await fetch.close();
} else {
  const client = await createClient(provider, keys.literal(key), {
    baseURL: simulator.baseURL(simulated),
    ledger: false,
    maxRetries: 0,
  });
  await client.verify();
  await client.close();
}
await simulator.close();
process.stdout.write(JSON.stringify(readFileSync(file, 'utf8').split('\n').filter(Boolean)));
