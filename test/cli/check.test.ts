/**
 * `keycard check`: against the simulator (live) and offline; table, JSON, exit codes.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const good = testKey('openai', 'cli-check');
const revoked = testKey('openai', 'cli-check-revoked');
const bot = testKey('discord', 'cli-check');
let simulator: Simulator;
/** No provider variable of the developer's shell leaks into these runs. */
const clean = {
  OPENAI_API_KEY: undefined,
  ANTHROPIC_API_KEY: undefined,
  GEMINI_API_KEY: undefined,
  GOOGLE_API_KEY: undefined,
  SLACK_BOT_TOKEN: undefined,
  SLACK_TOKEN: undefined,
  TELEGRAM_BOT_TOKEN: undefined,
  XAI_API_KEY: undefined,
  DISCORD_BOT_TOKEN: undefined,
  DISCORD_TOKEN: undefined,
};

beforeAll(async () => {
  simulator = await startSimulator({ keys: [good, bot] });
});
afterAll(async () => {
  await simulator.close();
});

describe('keycard check', () => {
  it('verifies a key live and prints provider, source, masked id, fingerprint, status and identity', async () => {
    const result = await keycard(['check', 'openai', '--base-url', simulator.baseURL('openai')], {
      env: { ...clean, OPENAI_API_KEY: good },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('env:OPENAI_API_KEY');
    expect(result.stdout).toContain(`sk-proj-****${good.slice(-4)}`);
    expect(result.stdout).toMatch(/│ ok\s+│/);
    expect(result.stdout).toContain('organization=org-simulated');
    expect(result.stdout).not.toMatch(CLEAR_KEY);
  });

  it('verifies a Discord bot token live, naming the bot and its application', async () => {
    const result = await keycard(['check', 'discord', '--base-url', simulator.baseURL('discord')], {
      env: { ...clean, DISCORD_BOT_TOKEN: bot },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('env:DISCORD_BOT_TOKEN|DISCORD_TOKEN');
    expect(result.stdout).toContain(`${bot.split('.')[0]}.****${bot.slice(-4)}`);
    expect(result.stdout).toMatch(/│ ok\s+│ bot=keycard-bot botId=\d+ application=keycard-bot/);
    expect(result.stdout).not.toMatch(CLEAR_KEY);
  });

  it('fails with the reason and hint for a rejected key, as JSON too', async () => {
    const result = await keycard(
      ['check', 'openai', 'env:REVOKED_KEY', '--base-url', simulator.baseURL('openai'), '--json'],
      {
        env: { ...clean, REVOKED_KEY: revoked },
      },
    );
    expect(result.code).toBe(1);
    const rows = JSON.parse(result.stdout) as Array<{ status: string; hint: string; maskedId: string }>;
    expect(rows[0]).toMatchObject({ status: 'unauthorized', maskedId: `sk-proj-****${revoked.slice(-4)}` });
    expect(rows[0]?.hint).toMatch(/platform\.openai\.com/);
    expect(result.stdout).not.toMatch(CLEAR_KEY);
  });

  it('checks every member of a pool, a row each', async () => {
    const result = await keycard(
      ['check', 'openai', 'pool:env:POOLCHECK_*', '--base-url', simulator.baseURL('openai'), '--json'],
      { env: { ...clean, POOLCHECK_1: good, POOLCHECK_2: revoked } },
    );
    expect(result.code).toBe(1);
    const rows = JSON.parse(result.stdout) as Array<{ source: string; status: string }>;
    expect(rows.map((row) => [row.source, row.status])).toEqual([
      ['env:POOLCHECK_1', 'ok'],
      ['env:POOLCHECK_2', 'unauthorized'],
    ]);
    expect(result.stdout).not.toMatch(CLEAR_KEY);
  });

  it('checks shapes offline, from a file, and reports a malformed key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keycard-cli-check-'));
    const file = join(dir, 'anthropic.key');
    await writeFile(file, testKey('anthropic', 'cli-file'));
    await chmod(file, 0o600);
    const ok = await keycard(['check', 'anthropic', `file:${file}`, '--offline'], { env: clean });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('sk-ant-api03-****');
    expect(ok.stdout).toMatch(/0 d/);
    const wrong = await keycard(['check', 'anthropic', 'env:WRONG', '--offline'], {
      env: { ...clean, WRONG: good },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('wrong_provider');
    expect(wrong.stdout).not.toMatch(CLEAR_KEY);
  });

  it('checks every provider whose variables are set, and fails when none is', async () => {
    const some = await keycard(['check', '--offline'], {
      env: { ...clean, SLACK_BOT_TOKEN: testKey('slack', 'cli-all') },
    });
    expect(some.code).toBe(0);
    expect(some.stdout).toMatch(/slack .*xoxb-\*\*\*\*/);
    expect(some.stdout).toMatch(/openai .*not set/);
    const none = await keycard(['check', '--offline'], { env: clean });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('No key is set');
  });

  it('exits 2 on a usage error, without a stack', async () => {
    const unknown = await keycard(['check', 'acme'], { env: clean });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown provider "acme"');
    expect(unknown.stderr).not.toContain('    at ');
    const spec = await keycard(['check', 'openai', 'nonsense:thing'], { env: clean });
    expect(spec.code).toBe(2);
    expect(spec.stderr).toContain('cannot read a key source');
  });
});
