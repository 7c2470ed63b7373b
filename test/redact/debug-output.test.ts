/**
 * `redactDebugOutput` on the real `debug` package (the copy telegraf loads): a line holding a
 * secret, at any depth, reaches the log function as one redacted string; a line holding none
 * reaches it exactly as it was.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { redactDebugOutput, redactDebugOutputOf } from '../../src/redact/debug-output.js';
import { Secret } from '../../src/secret.js';
import { testKey } from '../helpers/keys.js';

type Debugger = ((...args: unknown[]) => void) & { enabled: boolean; log?: (...args: unknown[]) => void };
type CreateDebug = ((namespace: string) => Debugger) & { formatArgs: unknown };

const requireFromTelegraf = createRequire(createRequire(import.meta.url).resolve('telegraf'));
const createDebug = requireFromTelegraf('debug') as CreateDebug;

function capturing(namespace: string): { log: Debugger; lines: unknown[][] } {
  const lines: unknown[][] = [];
  const log = createDebug(namespace);
  log.enabled = true;
  log.log = (...args: unknown[]) => {
    lines.push(args);
  };
  return { log, lines };
}

afterEach(() => {
  // Other tests in this worker may rely on telegraf's copy being wrapped: keep it so.
  redactDebugOutputOf('telegraf');
});

describe('redactDebugOutput', () => {
  it('wraps the copy telegraf loads once, however often it is asked', () => {
    redactDebugOutputOf('telegraf');
    const wrapped = createDebug.formatArgs;
    redactDebugOutputOf('telegraf');
    redactDebugOutput(createDebug);
    expect(createDebug.formatArgs).toBe(wrapped);
    expect(
      (createDebug as unknown as Record<symbol, unknown>)[Symbol.for('keycard.redact.debug-output')],
    ).toBe(true);
  });

  it('redacts a secret anywhere in a line, deep objects included, into one string', () => {
    redactDebugOutputOf('telegraf');
    const key = testKey('telegram', 'debug-unit');
    const secret = new Secret(key, { provider: 'telegram' });
    const { log, lines } = capturing('keycard-test:deep');
    log('API call failed %s', `/bot${key}/getMe`, { a: { b: { c: { d: { e: `quoted ${key}` } } } } });
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toHaveLength(1);
    expect(String(line?.[0])).not.toContain(key.split(':')[1]);
    expect(String(line?.[0])).toContain(`/bot[REDACTED telegram ${secret.maskedId}]/getMe`);
    expect(String(line?.[0])).toContain('keycard-test:deep API call failed');
  });

  it('leaves a line without a secret as it was: the same arguments, objects still objects', () => {
    redactDebugOutputOf('telegraf');
    const { log, lines } = capturing('keycard-test:plain');
    const payload = { chat_id: 42, text: 'hi' };
    log('HTTP call', 'sendMessage', payload);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.at(-1)).toBe(payload);
  });

  it('ignores what is not a debug module', () => {
    expect(() => redactDebugOutput(undefined)).not.toThrow();
    expect(() => redactDebugOutput({})).not.toThrow();
    expect(() => redactDebugOutputOf('no-such-package-keycard')).not.toThrow();
  });
});
