/**
 * `keycard demo`, the main job: runs offline, shows every part, prints no key, cleans up.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';

describe('keycard demo', () => {
  it('runs the whole offline demo in seconds and prints no key', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await keycard(['demo'], { env: { OPENAI_API_KEY: undefined } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    for (const part of [
      'env:DEMO_OPENAI_API_KEY',
      'file:',
      '/v1/secret/data/gemini#api_key',
      'keystore:slack',
      'OpenAI summarised:',
      'Anthropic classified:',
      'Gemini translated:',
      'Slack posted:',
      'Telegram notified:',
      'Discord posted:       message ',
      'env:DEMO_DISCORD_BOT_TOKEN',
      'CredentialError (wrong_provider)',
      'CredentialError (unauthorized)',
      'BudgetExceededError',
      'is at 50 % this day',
      'is at 100 % this day',
      'debug keycard openai chat.completions gpt-4o-mini sk-proj-****',
      'Authorization: Bearer [REDACTED anthropic sk-ant-api03-****',
      '│ anthropic │ sk-ant-api03-****',
    ]) {
      expect(stdout, part).toContain(part);
    }
    expect(stdout).not.toMatch(CLEAR_KEY);
    // Colours are off with NO_COLOR.
    expect(stdout).not.toContain('\u001b[');
    const home = /KEYCARD_HOME=(\S+)/.exec(stdout)?.[1] ?? '';
    expect(home).not.toBe('');
    expect(existsSync(home)).toBe(false);
    // Its temporary ledger is gone: the last step says how to keep one, and shows no command that
    // would open the user's own, empty ledger.
    const next = stdout.slice(stdout.lastIndexOf('Next:'));
    expect(next).toContain('keycard demo --home ./keycard-demo');
    expect(next).toContain('keycard usage --home ./keycard-demo --chart');
    expect(next).not.toMatch(/keycard usage(?! --home)/);
  });

  it('keeps its ledger in --home, readable by keycard usage', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const home = await mkdtemp(join(tmpdir(), 'keycard-demo-home-'));
    const demo = await keycard(['demo', '--home', home]);
    expect(demo.code).toBe(0);
    // The last step's commands keep --home: run as printed, they show this demo's ledger.
    const next = demo.stdout.slice(demo.stdout.lastIndexOf('Next:'));
    const suggested = [...next.matchAll(/^ {2}keycard (usage .+?)(?: {3}|$)/gm)].map(
      (match) => match[1] ?? '',
    );
    expect(suggested).toHaveLength(3);
    for (const command of suggested) expect(command).toContain(`--home ${home}`);
    const chartCommand = suggested.find((command) => command.endsWith('--chart')) ?? '';
    // Not run with KEYCARD_HOME: the flag alone must find the demo's ledger.
    const chart = await keycard(chartCommand.split(' '), { env: { KEYCARD_HOME: undefined } });
    expect(chart.code).toBe(0);
    expect(chart.stdout).toContain('Daily cost per key');
    expect(chart.stdout).not.toContain('No usage in this range');
    for (const masked of ['sk-proj-****', 'sk-ant-api03-****', 'AIza'])
      expect(chart.stdout).toContain(masked);
    const totals = suggested.find((command) => command.includes('--by provider,model')) ?? '';
    const table = await keycard(totals.split(' '), { env: { KEYCARD_HOME: undefined } });
    expect(table.stdout).toMatch(/│ openai\s+│ gpt-4o-mini\s+│/);
    expect(table.stdout).toContain('total (');
    const usage = await keycard(['usage', '--by', 'provider', '--json'], { env: { KEYCARD_HOME: home } });
    expect(usage.code).toBe(0);
    const rows = JSON.parse(usage.stdout) as Array<{ provider: string; requests: number }>;
    expect(rows.map((row) => row.provider).sort()).toEqual(
      ['anthropic', 'gemini', 'openai', 'slack', 'telegram', 'discord'].sort(),
    );
  });
});
