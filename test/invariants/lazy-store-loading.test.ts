/**
 * A key source loads its own store's client and no other: an OpenAI client whose key is in
 * Google Secret Manager loads no Azure module, and the other way round. Checked on the built
 * CommonJS package (its `require.cache` lists every module), in a fresh process per store.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testKey } from '../helpers/keys.js';
import { makeTestCertificates } from '../helpers/tls.js';

const script = fileURLToPath(new URL('../helpers/store-client-modules.cjs', import.meta.url));
const STORE_PACKAGES = {
  gcp: ['@google-cloud/secret-manager'],
  azure: ['@azure/keyvault-secrets', '@azure/identity'],
} as const;
const ALL = ['@google-cloud/', '@azure/keyvault-secrets', '@aws-sdk/', '@1password/'];

describe.each(['gcp', 'azure'] as const)('an OpenAI client with its key in the %s store', (store) => {
  it("loads that store's client and no other store's", async () => {
    const { ca, key, cert } = await makeTestCertificates();
    const output = execFileSync(process.execPath, [script, store], {
      encoding: 'utf8',
      env: {
        ...process.env,
        KEYCARD_TEST_KEY: testKey('openai', `lazy-${store}`),
        KEYCARD_TEST_TLS: JSON.stringify({ ca, key, cert }),
      },
    });
    const loaded = JSON.parse(output) as string[];
    const found = ALL.filter((prefix) => loaded.some((path) => path.includes(`/node_modules/${prefix}`)));
    const own = STORE_PACKAGES[store].filter((name) =>
      loaded.some((path) => path.includes(`/node_modules/${name}/`)),
    );
    expect(own).toEqual([...STORE_PACKAGES[store]]);
    expect(found).toEqual(store === 'gcp' ? ['@google-cloud/'] : ['@azure/keyvault-secrets']);
  }, 60_000);
});
