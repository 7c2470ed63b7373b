/**
 * The examples are templates that run: each workflow node against the simulators (keys in env
 * variables, as a no-code platform would configure them), and each script as a process. No clear
 * key is ever printed.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isCredentialError } from '../../src/errors.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { fakeKey, type Simulator, startSimulator } from '../../src/testing/index.js';
import { CLEAR_KEY } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

type Node = { run(config: Record<string, unknown>, input: string): Promise<Record<string, unknown>> };
const load = async (name: string) =>
  (await import(pathToFileURL(`${root}examples/nodes/${name}.mjs`).href)) as Node;

let simulator: Simulator;
const made = {
  openai: fakeKey('openai'),
  anthropic: fakeKey('anthropic'),
  gemini: fakeKey('gemini'),
  xai: fakeKey('xai'),
  slack: fakeKey('slack'),
  telegram: fakeKey('telegram'),
  discord: fakeKey('discord'),
};

beforeAll(async () => {
  simulator = await startSimulator({ keys: Object.values(made) });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await simulator.close();
});

describe('workflow nodes', () => {
  it.each([
    ['openai-summarize', 'openai', 'OPENAI_API_KEY', {}, 'summary'],
    ['anthropic-classify', 'anthropic', 'ANTHROPIC_API_KEY', {}, 'label'],
    ['gemini-translate', 'gemini', 'GEMINI_API_KEY', { language: 'German' }, 'translation'],
    ['xai-answer', 'xai', 'XAI_API_KEY', {}, 'answer'],
    ['slack-post', 'slack', 'SLACK_BOT_TOKEN', { channel: 'C0GENERAL' }, 'ts'],
    ['telegram-notify', 'telegram', 'TELEGRAM_BOT_TOKEN', { chatId: 42 }, 'messageId'],
    ['discord-post', 'discord', 'DISCORD_BOT_TOKEN', { channelId: '1100000000000000009' }, 'messageId'],
  ] as const)(
    '%s returns its output and records its call',
    async (name, provider, variable, extra, field) => {
      vi.stubEnv(variable, made[provider]);
      const ledger = new MemoryLedger();
      const node = await load(name);
      const output = await node.run(
        { key: `env:${variable}`, baseURL: simulator.baseURL(provider), ledger, ...extra },
        'The launch moves to Monday.',
      );
      expect(output[field]).toBeTruthy();
      expect(output['maskedId']).toMatch(/\*\*\*\*/);
      expect(JSON.stringify(output)).not.toMatch(CLEAR_KEY);
      expect((await ledger.totals())[0]?.requests).toBe(1);
    },
  );

  it('rejects a bad key with a CredentialError a platform can show', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-your-api-key-here');
    const node = await load('openai-summarize');
    const error = await node
      .run({ key: 'env:OPENAI_API_KEY', baseURL: simulator.baseURL('openai'), ledger: false }, 'x')
      .catch((caught: unknown) => caught);
    expect(isCredentialError(error) && error.reason).toBe('malformed');
  });
});

describe('workflow nodes run as scripts', () => {
  const noKeys = Object.fromEntries(
    [
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'GEMINI_API_KEY',
      'GOOGLE_API_KEY',
      'XAI_API_KEY',
      'SLACK_BOT_TOKEN',
      'TELEGRAM_BOT_TOKEN',
      'DISCORD_BOT_TOKEN',
    ].map((name) => [name, '']),
  );
  it.each([
    ['openai-summarize', 'summary'],
    ['anthropic-classify', 'label'],
    ['gemini-translate', 'translation'],
    ['xai-answer', 'answer'],
    ['slack-post', 'ts'],
    ['telegram-notify', 'messageId'],
    ['discord-post', 'messageId'],
  ])('%s runs offline on the simulator when no key is set', async (name, field) => {
    const { stdout, stderr } = await run(process.execPath, [`examples/nodes/${name}.mjs`], {
      cwd: root,
      env: { ...process.env, ...noKeys, NO_COLOR: '1' },
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`${field}: \\S`));
    expect(stdout).toMatch(/maskedId: '[^']*\*\*\*\*/);
    expect(stdout).not.toMatch(CLEAR_KEY);
  });
});

describe('the package', () => {
  const examples = (directory: string): string[] =>
    readdirSync(`${root}${directory}`, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? examples(`${directory}/${entry.name}`) : [`${directory}/${entry.name}`],
    );

  it('ships every example, and each says what to install and imports keycard by name', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const shipped = new Set(pack?.files.map((file) => file.path));
    const files = examples('examples');
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      expect(shipped, file).toContain(file);
      const text = readFileSync(`${root}${file}`, 'utf8');
      expect(text, file).toMatch(/Install: npm i keycard \S/);
      expect(text, file).not.toMatch(/from '\.\.\/|\/src\/|\/dist\//);
    }
  });
});

describe('scripts', () => {
  const node = (file: string, ...args: string[]) =>
    run(process.execPath, [`examples/${file}`, ...args], {
      cwd: root,
      env: { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', NO_COLOR: '1' },
    });

  it('script.mjs --offline runs the multi-provider job', async () => {
    const { stdout, stderr } = await node('script.mjs', '--offline');
    expect(stderr).toBe('');
    expect(stdout).toContain("summary: 'Simulated reply");
    expect(stdout).toMatch(/slack: 1 request\(s\)/);
    expect(stdout).not.toMatch(CLEAR_KEY);
  });

  it('script.mjs runs offline when the keys are not set, as copied', async () => {
    const { stdout, stderr } = await node('script.mjs');
    expect(stderr).toBe('');
    expect(stdout).toContain("summary: 'Simulated reply");
    expect(stdout).toMatch(/slack: 1 request\(s\)/);
    expect(stdout).not.toMatch(CLEAR_KEY);
  });

  it('budgets.mjs shows alerts and a blocked call', async () => {
    const { stdout } = await node('budgets.mjs');
    expect(stdout).toContain('is at 50 % this day');
    expect(stdout).toContain('is at 100 % this day');
    expect(stdout).toMatch(/call 6: blocked \(requests\), resets at/);
    expect(stdout).toContain('used: 5 requests');
    expect(stdout).toContain('the simulator served 5');
  });

  it('vault-rotation.mjs picks up a rotated key without a failure', async () => {
    const { stdout } = await node('vault-rotation.mjs');
    const before = /before: (\S+)/.exec(stdout)?.[1];
    const after = /after: {2}(\S+)/.exec(stdout)?.[1];
    expect(before).toMatch(/^sk-proj-\*\*\*\*/);
    expect(after).toMatch(/^sk-proj-\*\*\*\*/);
    expect(after).not.toBe(before);
    expect(stdout).toContain(`key rotated from ${before} to ${after}`);
    expect(stdout).toContain('refresh: changed=false');
    expect(stdout).not.toMatch(CLEAR_KEY);
  });

  it('pino-logging.mjs redacts a key logged by mistake, errors included', async () => {
    const { stdout } = await node('pino-logging.mjs');
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => String(line['msg']).startsWith('keycard anthropic messages'))).toBe(true);
    expect(stdout).toContain('connecting with [REDACTED anthropic sk-ant-api03-****');
    expect(stdout).toContain('request failed for [REDACTED anthropic');
    expect(stdout).not.toMatch(CLEAR_KEY);
  });
});
