// Rotation with Vault, without a restart: the key lives in Vault (here the Vault simulator); it is
// replaced and the old one revoked while the client runs; the next call is rejected once, keycard
// reads Vault again and replays the call with the new key. client.refresh() switches on demand.
// Install: npm i keycard openai
import { createClient, keys } from 'keycard';
import { fakeKey, startSimulator, startVaultSimulator } from 'keycard/testing';

const vault = await startVaultSimulator();
const oldKey = fakeKey('openai');
const newKey = fakeKey('openai');
const provider = await startSimulator({ keys: [oldKey] });
vault.mount('secret', { version: 2 });
vault.put('secret', 'openai', { api_key: oldKey });
const token = vault.createToken({ policies: ['secret/data/openai'] });

// In real use: keys.vault('vault://vault.internal/secret/openai#api_key'), token from VAULT_TOKEN.
const source = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token });
// keycard logs the rotation at info level (its debug line per call is left out here).
const logger = { info: (message) => console.log(message), warn: (message) => console.warn(message) };
const openai = await createClient('openai', source, {
  baseURL: provider.baseURL('openai'),
  ledger: false,
  logger,
});
const ask = () =>
  openai.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

try {
  await ask();
  console.log(`before: ${openai.maskedId}`);
  // An operator rotates: a new version in Vault, the old key revoked at the provider.
  vault.put('secret', 'openai', { api_key: newKey });
  provider.addKey(newKey);
  provider.revokeKey(oldKey);
  await ask(); // rejected once, re-read from Vault, replayed: no error reaches the caller
  console.log(`after:  ${openai.maskedId}`);
  const refreshed = await openai.refresh();
  console.log(`refresh: changed=${refreshed.changed}, key ${refreshed.maskedId}`);
} finally {
  await openai.close();
  await Promise.all([vault.close(), provider.close()]);
}
