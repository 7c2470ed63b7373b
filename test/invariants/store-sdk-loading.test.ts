/**
 * A key store source loads its own SDK and no other: an OpenAI client whose key is in AWS
 * Secrets Manager loads the AWS SDK and no 1Password module, and the other way round; neither
 * loads another provider's SDK. Checked on the built package, in a fresh process per store.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testKey } from '../helpers/keys.js';

const script = fileURLToPath(new URL('../helpers/store-source-modules.mjs', import.meta.url));
const PACKAGES = [
  '@aws-sdk/client-secrets-manager',
  '@1password/connect',
  'axios',
  '@google-cloud/secret-manager',
  '@azure/keyvault-secrets',
  '@azure/identity',
  '@anthropic-ai/sdk',
  '@google/generative-ai',
  '@slack/web-api',
  'telegraf',
  'openai',
];

function packagesLoadedWith(store: 'aws' | 'onepassword'): string[] {
  const output = execFileSync(process.execPath, [script, store], {
    encoding: 'utf8',
    env: {
      ...process.env,
      KEYCARD_TEST_KEY: testKey('openai', `store-loading-${store}`),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  const loaded = JSON.parse(output) as string[];
  return PACKAGES.filter((name) => loaded.some((url) => url.includes(`/node_modules/${name}/`)));
}

describe('an OpenAI client with its key in a store', () => {
  it('loads the AWS SDK and no 1Password module with an AWS Secrets Manager source', () => {
    expect(packagesLoadedWith('aws')).toEqual(['@aws-sdk/client-secrets-manager', 'openai']);
  });

  it('loads the Connect SDK and no AWS module with a 1Password source', () => {
    expect(packagesLoadedWith('onepassword')).toEqual(['@1password/connect', 'axios', 'openai']);
  });
});
