// Usage: node store-client-modules.cjs gcp|azure
// Reads an OpenAI key from one secret store's simulator (the built CommonJS package), makes a
// call with it, and prints, as JSON, every module the process loaded.
const keycard = require('../../dist/index.cjs');
const testing = require('../../dist/testing/index.cjs');

async function main() {
  const [store] = process.argv.slice(2);
  const key = process.env.KEYCARD_TEST_KEY;
  const provider = await testing.startSimulator({ keys: [key] });
  let source;
  let close;
  if (store === 'gcp') {
    const gcp = await testing.startGcpSecretManagerSimulator();
    gcp.put('lazy', 'openai', key);
    source = keycard.keys.gcpSecretManager('gcp-sm://lazy/openai', {
      endpoint: gcp.url,
      credentials: gcp.serviceAccount(),
    });
    close = () => gcp.close();
  } else {
    const tls = JSON.parse(process.env.KEYCARD_TEST_TLS);
    const azure = await testing.startAzureKeyVaultSimulator({ tls });
    azure.setSecret('openai', key);
    const app = azure.application();
    const { ClientSecretCredential } = require('@azure/identity');
    const credential = new ClientSecretCredential(app.tenantId, app.clientId, app.clientSecret, {
      authorityHost: azure.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: tls.ca },
    });
    source = keycard.keys.azureKeyVault('azure-kv://lazy-vault/openai', {
      vaultUrl: azure.url,
      credential,
      ca: tls.ca,
    });
    close = () => azure.close();
  }
  const client = await keycard.createClient('openai', source, {
    baseURL: provider.baseURL('openai'),
    ledger: false,
  });
  await client.sdk.models.list();
  await client.close();
  await close();
  await provider.close();
  process.stdout.write(JSON.stringify(Object.keys(require.cache)));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
