/**
 * `keycard demo` in a project that installed only some SDKs (`npm i keycard openai`, as the
 * README says): the steps whose SDK is installed run, the others are shown as skipped with the
 * command that installs them, the end says so, and it exits 0.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';

const hide = (...packages: string[]) => ({
  NODE_OPTIONS: `--import=${join(import.meta.dirname, '../helpers/hide-packages.mjs')}`,
  KEYCARD_TEST_HIDE_PACKAGES: packages.join(','),
  OPENAI_API_KEY: undefined,
});

describe('keycard demo without some SDKs', () => {
  it('runs the OpenAI steps when only openai is installed, and names what to install for the rest', async () => {
    const { code, stdout, stderr } = await keycard(['demo'], {
      env: hide(
        '@anthropic-ai/sdk',
        '@google/generative-ai',
        '@slack/web-api',
        'telegraf',
        '@discordjs/rest',
      ),
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/OpenAI summarised: +Simulated reply/);
    expect(stdout).toContain('Anthropic classified: skipped: npm i @anthropic-ai/sdk');
    expect(stdout).toContain('Gemini translated:    skipped: npm i @google/generative-ai');
    expect(stdout).toContain('Slack posted:         skipped: npm i @slack/web-api');
    expect(stdout).toContain('Telegram notified:    skipped: npm i telegraf');
    expect(stdout).toContain('Discord posted:       skipped: npm i @discordjs/rest');
    // The bad-key step still shows both kinds: a shape caught offline, a key the provider rejected.
    expect(stdout).toContain('CredentialError (wrong_provider)');
    expect(stdout).toContain('CredentialError (unauthorized)');
    expect(stdout).toContain('is at 100 % this day');
    expect(stdout).toContain('BudgetExceededError');
    expect(stdout).toContain(
      'Skipped Anthropic, Google Gemini, Slack, Telegram, Discord: their SDKs are not installed. To see every step: npm i @anthropic-ai/sdk @google/generative-ai @slack/web-api telegraf @discordjs/rest',
    );
    expect(stdout).not.toMatch(CLEAR_KEY);
  });

  it('runs the others when openai is the one missing', async () => {
    const { code, stdout, stderr } = await keycard(['demo'], { env: hide('openai') });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('OpenAI summarised:    skipped: npm i openai');
    expect(stdout).toMatch(/Anthropic classified: \S/);
    expect(stdout).not.toContain('Anthropic classified: skipped');
    expect(stdout).toContain('Telegram notified:    message');
    expect(stdout).toContain('Discord posted:       message');
    expect(stdout).toContain('CredentialError (unauthorized)');
    expect(stdout).toContain('Skipped OpenAI: its SDK is not installed. To see every step: npm i openai');
    expect(stdout).not.toMatch(CLEAR_KEY);
  });
});
