/**
 * `keycard keys`: the keystore from the command line; keys come on standard input, never as
 * arguments; nothing printed holds a key or the passphrase.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keystore } from '../../src/keys/keystore.js';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const passphrase = 'cli keystore passphrase words';
let path: string;
const env = () => ({ KEYCARD_PASSPHRASE: passphrase });

beforeAll(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'keycard-cli-keys-')), 'keys.json');
});

describe('keycard keys', () => {
  it('adds a key from standard input, lists it masked, rotates and removes it', async () => {
    const first = testKey('openai', 'cli-keys-1');
    const added = await keycard(['keys', 'add', 'openai', '--path', path], {
      env: env(),
      input: `${first}\n`,
    });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`Added openai (openai sk-proj-****${first.slice(-4)}`);
    const list = await keycard(['keys', 'list', '--path', path], { env: { KEYCARD_PASSPHRASE: undefined } });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/openai .*sk-proj-\*\*\*\*/);
    const second = testKey('openai', 'cli-keys-2');
    const rotated = await keycard(['keys', 'rotate', 'openai', '--path', path], {
      env: env(),
      input: second,
    });
    expect(rotated.stdout).toContain('version 2');
    expect(
      (
        await keystore('openai', {
          path,
          passphrase: {
            describe: () => 'test',
            resolve: async () => new (await import('../../src/secret.js')).Secret(passphrase),
          },
        }).resolve()
      ).reveal(),
    ).toBe(second);
    const json = await keycard(['keys', 'list', '--path', path, '--json']);
    expect((JSON.parse(json.stdout) as Array<{ version: number }>)[0]?.version).toBe(2);
    const removed = await keycard(['keys', 'rm', 'openai', '--path', path], { env: env() });
    expect(removed.code).toBe(0);
    const again = await keycard(['keys', 'rm', 'openai', '--path', path], { env: env() });
    expect(again.code).toBe(1);
    for (const output of [added, list, rotated, json, removed, again]) {
      expect(output.stdout + output.stderr).not.toMatch(CLEAR_KEY);
      expect(output.stdout + output.stderr).not.toContain(passphrase);
    }
  });

  it('explains a wrong passphrase and an empty input, without a stack', async () => {
    await keycard(['keys', 'add', 'slack', '--path', path], {
      env: env(),
      input: testKey('slack', 'cli-keys'),
    });
    const wrong = await keycard(['keys', 'rotate', 'slack', '--path', path], {
      env: { KEYCARD_PASSPHRASE: 'not the passphrase' },
      input: testKey('slack', 'cli-keys-2'),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('does not open the keystore');
    expect(wrong.stderr).not.toContain('    at ');
    const empty = await keycard(['keys', 'add', 'empty', '--path', path], { env: env(), input: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('No value was given');
  });

  it('has no way to pass a key as an argument', async () => {
    const result = await keycard(['keys', 'add', 'openai', testKey('openai', 'argv'), '--path', path], {
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).not.toMatch(CLEAR_KEY);
  });
});

describe('keycard providers and help', () => {
  it('lists providers, their SDKs, variables and key shapes', async () => {
    const table = await keycard(['providers']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('GEMINI_API_KEY, GOOGLE_API_KEY');
    expect(table.stdout).toMatch(/groq\s.*Groq\s.*openai\s.*GROQ_API_KEY\s.*gsk_…/);
    const json = JSON.parse((await keycard(['providers', '--json'])).stdout) as Array<{
      provider: string;
      sdk: string;
    }>;
    expect(json.map((row) => [row.provider, row.sdk])).toEqual([
      ['openai', 'openai'],
      ['anthropic', '@anthropic-ai/sdk'],
      ['gemini', '@google/generative-ai'],
      ['google-genai', '@google/genai'],
      ['slack', '@slack/web-api'],
      ['telegram', 'telegraf'],
      ['xai', 'openai'],
      ['groq', 'openai'],
      ['openrouter', 'openai'],
      ['deepseek', 'openai'],
      ['together', 'openai'],
      ['mistral', 'openai'],
      ['discord', '@discordjs/rest'],
    ]);
    expect(table.stdout).toMatch(
      /discord\s.*Discord\s.*@discordjs\/rest\s.*DISCORD_BOT_TOKEN, DISCORD_TOKEN/,
    );
  });

  it.each(['demo', 'check', 'usage', 'scan', 'keys', 'mask', 'providers'])(
    'has --help for %s',
    async (command) => {
      const result = await keycard([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: keycard ${command}`);
    },
  );
});
