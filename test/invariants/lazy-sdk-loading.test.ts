/**
 * Each client loads its own SDK and no other: creating (and using) a Slack client loads no AI
 * SDK; a fetch from createFetch loads none. Checked on the built package, in a fresh process per
 * provider.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adapters, providerOf, type SupportedProvider } from '../../src/providers/registry.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';

const script = fileURLToPath(new URL('../helpers/create-client-modules.mjs', import.meta.url));
const SDK_PACKAGES = [
  'openai',
  '@anthropic-ai/sdk',
  '@google/generative-ai',
  '@google/genai',
  '@slack/web-api',
  'telegraf',
  '@discordjs/rest',
  '@aws-sdk/client-secrets-manager',
  '@1password/connect',
];

describe.each(Object.keys(adapters))('a %s client', (provider) => {
  it('loads its own SDK and no other', () => {
    // A client of another SDK ('google-genai') takes its provider's keys and simulator ('gemini').
    const keyProvider = providerOf(provider as SupportedProvider);
    const output = execFileSync(process.execPath, [script, provider, keyProvider], {
      encoding: 'utf8',
      env: { ...process.env, KEYCARD_TEST_KEY: testKey(keyProvider as TestKeyKind, 'lazy-loading') },
    });
    const loaded = JSON.parse(output) as string[];
    const sdks = SDK_PACKAGES.filter((name) => loaded.some((url) => url.includes(`/node_modules/${name}/`)));
    const own = adapters[provider as keyof typeof adapters].packageName;
    expect(sdks).toEqual([own]);
  });
});

describe.each(['openai', 'anthropic', 'gemini'])('a %s fetch from createFetch', (provider) => {
  it('loads no SDK', () => {
    const output = execFileSync(process.execPath, [script, provider], {
      encoding: 'utf8',
      env: {
        ...process.env,
        KEYCARD_TEST_KEY: testKey(provider as TestKeyKind, 'lazy-loading'),
        KEYCARD_TEST_CREATE: 'fetch',
      },
    });
    const loaded = JSON.parse(output) as string[];
    expect(loaded.some((url) => url.includes('/dist/index.'))).toBe(true);
    expect(
      SDK_PACKAGES.filter((name) => loaded.some((url) => url.includes(`/node_modules/${name}/`))),
    ).toEqual([]);
  });
});
