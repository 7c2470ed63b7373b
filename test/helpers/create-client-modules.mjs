// Usage: KEYCARD_TEST_KEY=… node create-client-modules.mjs PROVIDER [SIMULATED]
// Imports the built keycard, creates a PROVIDER client against the built simulator (its SIMULATED
// provider, default PROVIDER: 'gemini' for 'google-genai'), makes one verify() call, and prints,
// as JSON, the URL of every module the process loaded.
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
const client = await createClient(provider, keys.literal(key), {
  baseURL: simulator.baseURL(simulated),
  ledger: false,
  maxRetries: 0,
});
await client.verify();
await client.close();
await simulator.close();
process.stdout.write(JSON.stringify(readFileSync(file, 'utf8').split('\n').filter(Boolean)));
