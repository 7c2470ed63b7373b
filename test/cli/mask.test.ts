/**
 * `keycard mask` as a user runs it: the built command, input on a pipe.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../helpers/corpus.js';
import { testKey } from '../helpers/keys.js';

const cli = join(import.meta.dirname, '../../dist/cli/main.js');

describe('keycard mask', () => {
  it('masks every planted key of a corpus and nothing else', () => {
    const corpus = generateCorpus({ seed: 11, bytes: 2 * 1024 * 1024, perShape: 3 });
    const result = spawnSync(process.execPath, [cli, 'mask', '--no-env'], {
      input: corpus.text,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(result.status).toBe(0);
    for (const { key } of corpus.planted) expect(result.stdout).not.toContain(key);
    for (const decoy of corpus.decoys) expect(result.stdout).toContain(decoy);
    expect(result.stdout.split('\n').length).toBe(corpus.text.split('\n').length);
  });

  it("also masks the values of this shell's key variables, of any shape", () => {
    // A gateway's own key: no shape keycard knows.
    const gatewayKey = `gw_${testKey('openai-compatible', 'mask-env').slice(3)}`;
    const input = `calling the gateway with ${gatewayKey}\n`;
    const withEnv = spawnSync(process.execPath, [cli, 'mask'], {
      input,
      encoding: 'utf8',
      env: { ...process.env, OPENAI_API_KEY: gatewayKey },
    });
    expect(withEnv.stdout).toBe(`calling the gateway with [REDACTED key ****${gatewayKey.slice(-4)}]\n`);
    const without = spawnSync(process.execPath, [cli, 'mask', '--no-env'], {
      input,
      encoding: 'utf8',
      env: { ...process.env, OPENAI_API_KEY: gatewayKey },
    });
    expect(without.stdout).toBe(input);
  });

  it('masks plain sk- keys of OpenAI-compatible vendors (DeepSeek) by their shape', () => {
    const vendorKey = testKey('openai-compatible', 'mask-plain');
    const deepseekKey = testKey('deepseek', 'mask-plain');
    const masked = spawnSync(process.execPath, [cli, 'mask', '--no-env'], {
      input: `gateway ${vendorKey}\nDEEPSEEK_API_KEY=${deepseekKey}\n`,
      encoding: 'utf8',
    });
    expect(masked.stdout).toBe(
      `gateway [REDACTED openai-compatible sk-****${vendorKey.slice(-4)}]\nDEEPSEEK_API_KEY=[REDACTED openai-compatible sk-****${deepseekKey.slice(-4)}]\n`,
    );
  });

  it('masks a Mistral key (no prefix) where its variable names it, and leaves a bare one alone', () => {
    const key = testKey('mistral', 'mask-context');
    const masked = spawnSync(process.execPath, [cli, 'mask', '--no-env'], {
      input: `MISTRAL_API_KEY=${key}\n{"MISTRAL_API_KEY": "${key}"}\nid ${key}\n`,
      encoding: 'utf8',
    });
    const label = `[REDACTED mistral ****${key.slice(-4)}]`;
    expect(masked.stdout).toBe(`MISTRAL_API_KEY=${label}\n{"MISTRAL_API_KEY": "${label}"}\nid ${key}\n`);
    // In this shell's MISTRAL_API_KEY, it is masked wherever it is.
    const fromEnv = spawnSync(process.execPath, [cli, 'mask'], {
      input: `id ${key}\n`,
      encoding: 'utf8',
      env: { ...process.env, MISTRAL_API_KEY: key },
    });
    expect(fromEnv.stdout).toBe(`id [REDACTED key ****${key.slice(-4)}]\n`);
  });

  it("masks Discord bot tokens and webhook URLs' tokens, keeping the bot id's part and the webhook's address", () => {
    const token = testKey('discord', 'mask');
    const [botId] = token.split('.');
    const hook = `https://discord.com/api/webhooks/1100000000000000042/${testKey('discord', 'mask-hook').replace(/\./g, '_')}`;
    const masked = spawnSync(process.execPath, [cli, 'mask', '--no-env'], {
      input: `Authorization: Bot ${token}\nposting to ${hook}\n`,
      encoding: 'utf8',
    });
    expect(masked.stdout).toBe(
      `Authorization: Bot [REDACTED discord ${botId}.****${token.slice(-4)}]\nposting to https://discord.com/api/webhooks/[REDACTED discord ****${hook.slice(-4)}]\n`,
    );
  });

  it('streams: a line comes out before the input ends', async () => {
    const child = spawn(process.execPath, [cli, 'mask', '--no-env']);
    const key = testKey('xai', 'mask-stream');
    const first = new Promise<string>((resolve) =>
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    child.stdin.write(`first ${key}\n`);
    expect(await first).toBe(`first [REDACTED xai xai-****${key.slice(-4)}]\n`);
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
  });

  it('has help, and exits 2 on a usage error', () => {
    const help = spawnSync(process.execPath, [cli, 'mask', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('keycard mask');
    const bad = spawnSync(process.execPath, [cli, 'mask', '--colour'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown option '--colour'");
  });
});
