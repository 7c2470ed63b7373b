/**
 * `keycard check` where the provider's SDK is not installed: the shape check needs no SDK, so
 * `--offline` works; a live check still reads the key and checks its shape, then says in one
 * line which package to install to verify it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/testing/index.js';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const key = testKey('anthropic', 'check-without-sdk');
const withoutAnthropic = (value: string) => ({
  NODE_OPTIONS: `--import=${join(import.meta.dirname, '../helpers/hide-packages.mjs')}`,
  KEYCARD_TEST_HIDE_PACKAGES: '@anthropic-ai/sdk',
  ANTHROPIC_API_KEY: value,
});

describe('keycard check without the SDK', () => {
  it('checks the shape offline', async () => {
    const result = await keycard(['check', 'anthropic', '--offline'], { env: withoutAnthropic(key) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/│ ok\s+│/);
    expect(result.stdout).toContain(`sk-ant-api03-****${key.slice(-4)}`);
    expect(result.stdout).not.toMatch(CLEAR_KEY);
  });

  it('reads the key for a live check and names the package to install, in one line', async () => {
    const result = await keycard(['check', 'anthropic'], { env: withoutAnthropic(key) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`sk-ant-api03-****${key.slice(-4)}`);
    const failures = result.stdout.split('\n').filter((line) => line.startsWith('✗'));
    expect(failures).toEqual([
      '✗ anthropic: the key has the right shape, but verifying it live needs the Anthropic SDK: run `npm i @anthropic-ai/sdk` (or check the shape only with --offline).',
    ]);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toMatch(CLEAR_KEY);
  });

  it('reports a key of the wrong shape as such, not as a missing SDK', async () => {
    const result = await keycard(['check', 'anthropic', '--json'], {
      env: withoutAnthropic(testKey('openai', 'check-without-sdk')),
    });
    expect(result.code).toBe(1);
    const [row] = JSON.parse(result.stdout) as Array<{ status: string; message: string }>;
    expect(row?.status).toBe('wrong_provider');
    expect(row?.message).not.toContain('npm i');
  });
});

describe('keycard check gemini, with one of the two Gemini SDKs', () => {
  const geminiKey = testKey('gemini', 'check-without-sdk');
  const hiding = (packages: string) => ({
    NODE_OPTIONS: `--import=${join(import.meta.dirname, '../helpers/hide-packages.mjs')}`,
    KEYCARD_TEST_HIDE_PACKAGES: packages,
    GEMINI_API_KEY: geminiKey,
    GOOGLE_API_KEY: '',
  });

  it('verifies with @google/genai when @google/generative-ai is not installed', async () => {
    const simulator = await startSimulator({ keys: [geminiKey] });
    try {
      const result = await keycard(['check', 'gemini', '--base-url', simulator.baseURL('gemini'), '--json'], {
        env: hiding('@google/generative-ai'),
      });
      expect(result.code).toBe(0);
      const [row] = JSON.parse(result.stdout) as Array<{
        provider: string;
        status: string;
        identity: string;
      }>;
      expect(row).toMatchObject({ provider: 'gemini', status: 'ok', identity: 'models=6' });
      // The model list is what the google-genai client verifies with.
      expect(simulator.requests.map((request) => request.path)).toEqual([
        '/gemini/v1beta/models?pageSize=1000',
      ]);
      expect(result.stdout).not.toMatch(CLEAR_KEY);
    } finally {
      await simulator.close();
    }
  });

  it('names @google/genai, the SDK for new code, when neither is installed', async () => {
    const result = await keycard(['check', 'gemini'], { env: hiding('@google/generative-ai,@google/genai') });
    expect(result.code).toBe(1);
    const failures = result.stdout.split('\n').filter((line) => line.startsWith('✗'));
    expect(failures).toEqual([
      '✗ gemini: the key has the right shape, but verifying it live needs the Google Gemini SDK: run `npm i @google/genai` (or check the shape only with --offline).',
    ]);
  });
});
