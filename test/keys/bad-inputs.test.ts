/**
 * Bad key inputs of every kind, through the whole path a client takes (source → clean →
 * shape check), each mapped to the reason it must fail with. For every error: the reason, a
 * source, a hint that says what to do, and not a trace of the key's secret part.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CredentialError, type CredentialReason, isCredentialError } from '../../src/errors.js';
import { chain } from '../../src/keys/chain.js';
import { env } from '../../src/keys/env.js';
import { file } from '../../src/keys/file.js';
import { literal } from '../../src/keys/literal.js';
import { checkKeyShape } from '../../src/keys/schemas.js';
import type { KeySource } from '../../src/keys/types.js';
import type { ProviderId } from '../../src/providers/ids.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';

const posix = process.platform !== 'win32';
let dir = '';
let fileCounter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keycard-bad-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A key and its secret part: everything after the readable prefix that a masked id shows. */
function key(kind: TestKeyKind, seed: string): { value: string; secret: string } {
  const value = testKey(kind, seed, 'BADinput');
  const prefix =
    /^(?:sk-ant-[a-z]+\d\d-|sk-[a-zA-Z]+-|sk-|xox[a-z]-|xapp-|xai-|AIza|AQ\.|\d+:)/.exec(value)?.[0] ?? '';
  return { value, secret: value.slice(prefix.length) };
}

/** Inserts `text` into `value` at `index`. */
function insert(value: string, index: number, text: string): string {
  return `${value.slice(0, index)}${text}${value.slice(index)}`;
}

async function keyFile(content: string, mode = 0o600): Promise<string> {
  fileCounter += 1;
  const path = join(dir, `key-${fileCounter}`);
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

function inEnv(value: string | undefined): KeySource {
  const name = `KC_BAD_${fileCounter++}`;
  vi.stubEnv(name, value);
  return env(name);
}

interface BadInput {
  name: string;
  provider: ProviderId;
  reason: CredentialReason;
  /** The part of the input that must never appear in the error; none for placeholders. */
  secret?: string;
  source: () => Promise<KeySource> | KeySource;
  skip?: boolean;
}

const openai = key('openai', 'bad');
const anthropic = key('anthropic', 'bad');
const gemini = key('gemini', 'bad');
const geminiAq = key('gemini-aq', 'bad');
const slack = key('slack', 'bad');
const slackApp = key('slack-app', 'bad');
const telegram = key('telegram', 'bad');
const xai = key('xai', 'bad');
const compatible = key('openai-compatible', 'bad');
const svcacct = key('openai-svcacct', 'bad');

const BAD_INPUTS: BadInput[] = [
  // missing
  { name: 'unset variable', provider: 'openai', reason: 'missing', source: () => inEnv(undefined) },
  { name: 'empty variable', provider: 'openai', reason: 'missing', source: () => inEnv('') },
  {
    name: 'whitespace-only variable',
    provider: 'anthropic',
    reason: 'missing',
    source: () => inEnv('  \r\n'),
  },
  { name: 'empty quotes', provider: 'xai', reason: 'missing', source: () => inEnv('""') },
  {
    name: 'default variables unset',
    provider: 'gemini',
    reason: 'missing',
    source: () => {
      vi.stubEnv('GEMINI_API_KEY', undefined);
      vi.stubEnv('GOOGLE_API_KEY', undefined);
      return env();
    },
  },
  {
    name: 'missing JSON field',
    provider: 'openai',
    reason: 'missing',
    secret: openai.secret,
    source: async () => file(await keyFile(JSON.stringify({ other: openai.value })), { field: 'api_key' }),
  },
  {
    name: 'missing dotenv variable',
    provider: 'slack',
    reason: 'missing',
    secret: slack.secret,
    source: async () => file(await keyFile(`SLACK_TOKEN=${slack.value}\n`), { field: 'SLACK_BOT_TOKEN' }),
  },
  {
    name: 'chain with nothing in it',
    provider: 'telegram',
    reason: 'missing',
    source: () => chain(inEnv(undefined), file(join(dir, 'absent.key'))),
  },
  // malformed: damaged keys
  {
    name: 'space inside',
    provider: 'openai',
    reason: 'malformed',
    secret: openai.secret,
    source: () => inEnv(insert(openai.value, 40, ' ')),
  },
  {
    name: 'line break inside',
    provider: 'openai',
    reason: 'malformed',
    secret: svcacct.secret,
    source: () => inEnv(insert(svcacct.value, 52, '\n')),
  },
  {
    name: 'CR inside',
    provider: 'anthropic',
    reason: 'malformed',
    secret: anthropic.secret,
    source: () => inEnv(insert(anthropic.value, 30, '\r')),
  },
  {
    name: 'tab inside',
    provider: 'anthropic',
    reason: 'malformed',
    secret: anthropic.secret,
    source: () => literal(insert(anthropic.value, 20, '\t')),
  },
  {
    name: 'NUL inside',
    provider: 'gemini',
    reason: 'malformed',
    secret: gemini.secret,
    source: () => literal(insert(gemini.value, 10, '\u0000')),
  },
  {
    name: 'zero-width space inside',
    provider: 'slack',
    reason: 'malformed',
    secret: slack.secret,
    source: () => inEnv(insert(slack.value, 30, '\u200b')),
  },
  {
    name: 'typographic quotes around',
    provider: 'telegram',
    reason: 'malformed',
    secret: telegram.secret,
    source: () => inEnv(`\u201c${telegram.value}\u201d`),
  },
  {
    name: 'accented letter inside',
    provider: 'xai',
    reason: 'malformed',
    secret: xai.secret,
    source: () => inEnv(insert(xai.value, 12, 'é')),
  },
  {
    name: 'a comment pasted after the key',
    provider: 'openai',
    reason: 'malformed',
    secret: openai.secret,
    source: () => literal(`${openai.value} # production`),
  },
  {
    name: 'whole NAME=value line as the value',
    provider: 'openai',
    reason: 'malformed',
    secret: openai.secret,
    source: () => inEnv(`OPENAI_API_KEY=${openai.value}`),
  },
  {
    name: 'two keys in one file',
    provider: 'openai',
    reason: 'malformed',
    secret: openai.secret,
    source: async () => file(await keyFile(`${openai.value}\n${svcacct.value}\n`)),
  },
  {
    name: 'damaged key in an export line',
    provider: 'xai',
    reason: 'malformed',
    secret: xai.secret,
    source: async () => file(await keyFile(`export XAI_API_KEY=${insert(xai.value, 30, ' x')}\n`)),
  },
  {
    name: 'broken JSON around a key',
    provider: 'anthropic',
    reason: 'malformed',
    secret: anthropic.secret,
    source: async () => file(await keyFile(`{"api_key": ${anthropic.value}}`), { field: 'api_key' }),
  },
  // malformed: placeholders
  { name: 'your-api-key', provider: 'openai', reason: 'malformed', source: () => inEnv('your-api-key') },
  {
    name: 'YOUR_OPENAI_API_KEY',
    provider: 'openai',
    reason: 'malformed',
    source: () => inEnv('YOUR_OPENAI_API_KEY'),
  },
  {
    name: 'masked key',
    provider: 'openai',
    reason: 'malformed',
    source: () => inEnv(`sk-proj-****${openai.value.slice(-4)}`),
  },
  {
    name: 'unexpanded variable',
    provider: 'anthropic',
    reason: 'malformed',
    source: () => inEnv(['$', '{ANTHROPIC_API_KEY}'].join('')),
  },
  {
    name: 'xoxb-your-bot-token',
    provider: 'slack',
    reason: 'malformed',
    source: () => inEnv('xoxb-your-bot-token'),
  },
  {
    name: 'changeme',
    provider: 'telegram',
    reason: 'malformed',
    source: async () => file(await keyFile('changeme\n')),
  },
  { name: 'shortened key', provider: 'gemini', reason: 'malformed', source: () => literal('AIzaSy...') },
  // malformed: wrong shape for the provider
  {
    name: 'cut-off Anthropic key',
    provider: 'anthropic',
    reason: 'malformed',
    secret: anthropic.secret,
    source: () => inEnv(anthropic.value.slice(0, 70)),
  },
  {
    name: 'Gemini key one character short',
    provider: 'gemini',
    reason: 'malformed',
    secret: gemini.secret,
    source: () => inEnv(gemini.value.slice(0, -1)),
  },
  {
    name: 'Telegram token without its secret half',
    provider: 'telegram',
    reason: 'malformed',
    secret: telegram.secret,
    source: () => inEnv(`${telegram.value.split(':')[0]}:${telegram.secret.slice(0, 20)}`),
  },
  {
    name: 'plain sk- key for xAI',
    provider: 'xai',
    reason: 'malformed',
    secret: compatible.secret,
    source: () => inEnv(compatible.value),
  },
  {
    name: 'Slack app-level token for the Slack client',
    provider: 'slack',
    reason: 'malformed',
    secret: slackApp.secret,
    source: () => inEnv(slackApp.value),
  },
  // wrong_provider
  {
    name: 'Anthropic key for OpenAI',
    provider: 'openai',
    reason: 'wrong_provider',
    secret: anthropic.secret,
    source: () => inEnv(anthropic.value),
  },
  {
    name: 'OpenAI key for Anthropic',
    provider: 'anthropic',
    reason: 'wrong_provider',
    secret: openai.secret,
    source: () => inEnv(openai.value),
  },
  {
    name: 'Slack token for Gemini',
    provider: 'gemini',
    reason: 'wrong_provider',
    secret: slack.secret,
    source: () => inEnv(slack.value),
  },
  {
    name: 'Telegram token for Slack',
    provider: 'slack',
    reason: 'wrong_provider',
    secret: telegram.secret,
    source: () => inEnv(telegram.value),
  },
  {
    name: 'xAI key for Telegram',
    provider: 'telegram',
    reason: 'wrong_provider',
    secret: xai.secret,
    source: async () => file(await keyFile(`${xai.value}\n`)),
  },
  {
    name: 'OpenAI project key for xAI',
    provider: 'xai',
    reason: 'wrong_provider',
    secret: openai.secret,
    source: () => literal(openai.value),
  },
  {
    name: 'Gemini AQ. key for OpenAI',
    provider: 'openai',
    reason: 'wrong_provider',
    secret: geminiAq.secret,
    source: () => inEnv(geminiAq.value),
  },
  // source_unavailable
  {
    name: 'file does not exist',
    provider: 'openai',
    reason: 'source_unavailable',
    source: () => file(join(dir, 'no-such.key')),
  },
  {
    name: 'file is a directory',
    provider: 'anthropic',
    reason: 'source_unavailable',
    source: async () => {
      const path = join(dir, 'a-dir');
      await mkdir(path, { recursive: true });
      return file(path);
    },
  },
  {
    name: 'file over 64 KiB',
    provider: 'gemini',
    reason: 'source_unavailable',
    secret: gemini.secret,
    source: async () => file(await keyFile(`${gemini.value}\n${'#'.repeat(70_000)}`)),
  },
  // insecure_source
  {
    name: 'file readable by others',
    provider: 'openai',
    reason: 'insecure_source',
    secret: openai.secret,
    source: async () => file(await keyFile(openai.value, 0o644)),
    skip: !posix,
  },
  {
    name: 'file readable by group, first in a chain',
    provider: 'xai',
    reason: 'insecure_source',
    secret: xai.secret,
    source: async () => chain(file(await keyFile(xai.value, 0o640)), literal(key('xai', 'fallback').value)),
    skip: !posix,
  },
];

/** What a client does with a source: resolve, then check the shape. */
async function run(source: KeySource, provider: ProviderId): Promise<CredentialError> {
  try {
    const secret = await source.resolve({ provider });
    await checkKeyShape(provider, secret, { source: source.describe() });
  } catch (error) {
    if (isCredentialError(error)) return error;
    throw error;
  }
  throw new Error('expected the input to be refused');
}

const DOES_SOMETHING =
  /\b(Set|Use|Put|Replace|Copy|Remove|Keep|Run|Create|Give|Point|Provide|Add|Store|Pass|Fix|Save|Choose|Check|Name)\b/;

describe('bad key inputs', () => {
  it('has at least 30 cases covering every reason a source or a shape check gives', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(30);
    const reasons = new Set(BAD_INPUTS.map((input) => input.reason));
    expect([...reasons].sort()).toEqual(
      ['insecure_source', 'malformed', 'missing', 'source_unavailable', 'wrong_provider'].sort(),
    );
  });

  it.each(BAD_INPUTS)('$name → $reason ($provider)', async (input) => {
    if (input.skip === true) return;
    const source = await input.source();
    const error = await run(source, input.provider);
    expect(error.reason).toBe(input.reason);
    expect(typeof error.source).toBe('string');
    expect(error.source?.length).toBeGreaterThan(0);
    // It says what to do: a hint, in the message too.
    expect(error.hint).toMatch(DOES_SOMETHING);
    expect(error.message.endsWith(error.hint)).toBe(true);
    // Nothing of the key: not in clear, and not even redacted (which would mean it got in).
    const text = `${error.message}\n${error.hint}\n${JSON.stringify(error)}`;
    expect(text).not.toContain('REDACTED');
    if (input.secret !== undefined) {
      expect(text).not.toContain('BADinput');
      for (let start = 0; start + 8 <= input.secret.length; start += 1) {
        expect(text).not.toContain(input.secret.slice(start, start + 8));
      }
    }
  });
});
