/**
 * Every debug channel of every SDK, switched on the way a user would (`DEBUG=*` for telegraf's
 * `debug` lines, `OPENAI_LOG=debug` and `ANTHROPIC_LOG=debug`, Slack's `logLevel: 'debug'`), in a
 * child process whose whole output is read: a success and key failures, behind a server that
 * quotes the request's path and credential headers in its error answers. The canary key never
 * appears; where a line did carry it (telegraf prints the answer), its masked id stands instead.
 * Node's own `NODE_DEBUG` lines bypass every library: they are redacted by keycard's output guard.
 * The child runs the built package: `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { providerOf, type SupportedProvider } from '../../src/providers/registry.js';
import { maskKey } from '../../src/secret.js';
import { leaksOf } from '../helpers/capture.js';
import { CANARY_MARKER, type TestKeyKind, testKey } from '../helpers/keys.js';

const child = join(import.meta.dirname, '../helpers/debug-child.mjs');

/** A line each provider's debug channel prints, to show the channel was on. */
const EVIDENCE: Record<SupportedProvider, RegExp> = {
  openai: /sending request/,
  xai: /sending request/,
  groq: /sending request/,
  openrouter: /sending request/,
  deepseek: /sending request/,
  together: /sending request/,
  mistral: /sending request/,
  anthropic: /sending request/,
  slack: /\[web-api:WebClient\] http request url/,
  telegram: /telegraf:client API call failed/,
  gemini: /debug child done/, // the SDK has no debug channel
  discord: /\[restDebug\] \[REST [^\]]+\] Received bucket hash update/,
  'google-genai': /debug child done/, // nor has this one
};

function run(provider: SupportedProvider, env: Record<string, string>, guard = false) {
  const key = testKey(providerOf(provider) as TestKeyKind, 'debug-output', CANARY_MARKER);
  const result = spawnSync(process.execPath, [child, provider, ...(guard ? ['guard'] : [])], {
    env: { ...process.env, CANARY_KEY: key, ...env },
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { key, status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe.each(Object.keys(EVIDENCE) as SupportedProvider[])('%s with every debug channel on', (provider) => {
  it('prints debug lines, and never the key', () => {
    const { key, status, output } = run(provider, {
      DEBUG: '*',
      OPENAI_LOG: 'debug',
      ANTHROPIC_LOG: 'debug',
    });
    expect(status).toBe(0);
    expect(output).toContain('debug child done');
    expect(output).toMatch(EVIDENCE[provider]);
    expect(leaksOf([output], key)).toEqual([]);
    if (provider === 'telegram') {
      // telegraf printed the answer that quoted the token: masked, in its own debug line.
      const line = output.split('\n').find((text) => text.includes('telegraf:client API call failed'));
      expect(line).toBeDefined();
      expect(output).toContain(`bot[REDACTED telegram ${maskKey(key)}]/sendMessage`);
    }
  });
});

describe.each(['telegram', 'gemini', 'google-genai'] as const)(
  '%s with NODE_DEBUG and the output guard',
  (provider) => {
    it("redacts Node's own debug lines (request options, paths, headers)", () => {
      const { key, status, output } = run(provider, { NODE_DEBUG: 'http,https,net,tls,fetch,undici' }, true);
      expect(status).toBe(0);
      expect(output).toMatch(/^(HTTP|NET|FETCH|UNDICI) \d+:/m);
      expect(leaksOf([output], key)).toEqual([]);
    });
  },
);
