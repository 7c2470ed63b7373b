// Usage: KEYCARD_TEST_KEY=… KEYCARD_HOME=… node cold-start-client.mjs esm|cjs [DELAY_MS]
// Imports the built keycard (ESM, or CommonJS through require), creates an OpenAI client with the
// default ledger against the built simulator, and notes, the moment createClient has returned,
// whether the ledger file exists and which modules are loaded. Then (ESM only) five calls one
// after another, with loading better-sqlite3 slowed by DELAY_MS so that they end before the
// ledger is open, client.close(), and the default ledger's events. Last, keycard/shapes, which
// loads zod's full build: it shows that the module list would see zod. Prints it all as JSON.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [mode, delay = '0'] = process.argv.slice(2);
const key = process.env.KEYCARD_TEST_KEY;
const home = process.env.KEYCARD_HOME;
const dist = join(import.meta.dirname, '../../dist');
const require = createRequire(import.meta.url);
const file = join(mkdtempSync(join(tmpdir(), 'keycard-modules-')), 'loaded.txt');
if (mode === 'esm') {
  register('./slow-sqlite-hooks.mjs', import.meta.url, { data: { file, delayMs: Number(delay) } });
}
const loaded = () =>
  mode === 'esm' ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : Object.keys(require.cache);

const { createClient, defaultLedger, keys } =
  mode === 'esm' ? await import(join(dist, 'index.js')) : require(join(dist, 'index.cjs'));
const { startSimulator } = await import(join(dist, 'testing/index.js'));
const simulator = await startSimulator({ keys: [key] });
const output = {};

const client = await createClient('openai', keys.literal(key), {
  baseURL: simulator.baseURL('openai'),
  maxRetries: 0,
});
// Nothing asynchronous has run since createClient returned.
output.ledgerFileAtReturn = existsSync(join(home, 'ledger.db'));
output.loadedAtReturn = loaded();

if (mode === 'esm') {
  const models = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-4.1-nano'];
  for (const model of models) {
    await client.sdk.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  }
  output.ledgerFileAfterCalls = existsSync(join(home, 'ledger.db'));
  output.models = models;
  await client.close();
  const ledger = await defaultLedger();
  output.driver = ledger.driver;
  output.events = [];
  for await (const event of ledger.events())
    output.events.push({ model: event.model, outcome: event.outcome });
}
await simulator.close();

const before = loaded().length;
await (mode === 'esm' ? import(join(dist, 'shapes.js')) : require(join(dist, 'shapes.cjs')));
output.loadedByShapes = loaded().slice(before);
process.stdout.write(JSON.stringify(output));
process.exit(0);
