/**
 * The process guard, in a child process (it patches console and the standard streams): stray
 * prints are redacted, fatal errors are printed redacted with exit code 1, and without any guard
 * an unhandled rejection of an SDK call, printed by Node itself, holds no key.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { providerOf } from '../../src/providers/registry.js';
import { CANARY_MARKER, testKey } from '../helpers/keys.js';

const script = join(import.meta.dirname, '../helpers/guard-child.mjs');
const key = testKey('openai', 'guard', CANARY_MARKER);
const other = testKey('anthropic', 'guard-other', CANARY_MARKER);

function run(mode: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [script, mode, ...args], {
    env: { ...process.env, GUARD_KEY: args[1] ?? key, GUARD_OTHER_KEY: other },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('installRedaction()', () => {
  it('redacts console output and raw writes to stdout and stderr', () => {
    const { status, output } = run('guard');
    expect(status).toBe(0);
    expect(output).not.toContain(CANARY_MARKER);
    expect(output).toContain('raw write [REDACTED openai sk-proj-****');
    expect(output).toContain('shape [REDACTED anthropic sk-ant-api03-****');
    expect(output).toContain('Error: failed with [REDACTED openai');
  });

  it('prints a fatal error redacted and exits with code 1 when asked to', () => {
    const { status, output } = run('fatal');
    expect(status).toBe(1);
    expect(output).toContain('Error: unexpected [REDACTED anthropic');
    expect(output).not.toContain(CANARY_MARKER);
  });
});

describe('without the guard', () => {
  it.each(['openai', 'anthropic', 'gemini', 'google-genai', 'slack', 'telegram', 'xai', 'discord'] as const)(
    "leaves no %s key in Node's own print of an unhandled rejected SDK call",
    (provider) => {
      const canary = testKey(providerOf(provider), 'unhandled', CANARY_MARKER);
      const { status, output } = run('unhandled', provider, canary);
      expect(status).toBe(1);
      expect(output).toMatch(/Error/);
      expect(output).not.toContain(CANARY_MARKER);
      expect(output).not.toContain(canary.slice(-12));
    },
  );
});
