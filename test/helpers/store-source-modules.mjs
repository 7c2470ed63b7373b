// Usage: KEYCARD_TEST_KEY=… node store-source-modules.mjs aws|onepassword
// Imports the built keycard, puts the key in a simulated AWS Secrets Manager or 1Password
// Connect, creates an OpenAI client with that source against the built simulators, makes one
// verify() call, and prints, as JSON, the URL of every module the process loaded (ESM through the
// loader hooks, CommonJS from require.cache).
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [store] = process.argv.slice(2);
const file = join(mkdtempSync(join(tmpdir(), 'keycard-modules-')), 'loaded.txt');
register('./resolution-hooks.mjs', import.meta.url, { data: { file } });
const { createClient, keys } = await import('../../dist/index.js');
const testing = await import('../../dist/testing/index.js');
const key = process.env.KEYCARD_TEST_KEY;
const simulator = await testing.startSimulator({ keys: [key] });
let source;
let storeSimulator;
if (store === 'aws') {
  storeSimulator = await testing.startAwsSecretsManagerSimulator();
  storeSimulator.putSecretValue('prod/openai', JSON.stringify({ api_key: key }));
  source = keys.awsSecretsManager('aws-sm://eu-west-1/prod/openai#api_key', {
    endpoint: storeSimulator.endpoint,
    credentials: storeSimulator.createCredentials(),
  });
} else {
  storeSimulator = await testing.startOnePasswordConnectSimulator();
  storeSimulator.putItem('Production', { title: 'OpenAI', fields: [{ label: 'credential', value: key }] });
  source = keys.onePassword('op://Production/OpenAI/credential', {
    host: storeSimulator.url,
    token: storeSimulator.createToken(),
  });
}
const client = await createClient('openai', source, {
  baseURL: simulator.baseURL('openai'),
  ledger: false,
  maxRetries: 0,
});
await client.verify();
await client.close();
await simulator.close();
await storeSimulator.close();
const loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean);
for (const path of Object.keys(createRequire(import.meta.url).cache)) loaded.push(pathToFileURL(path).href);
process.stdout.write(JSON.stringify(loaded));
