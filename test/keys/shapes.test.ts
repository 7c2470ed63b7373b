import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeKeyKind,
  detectProvider,
  KEY_SHAPES,
  looksLikeKey,
  withArticle,
} from '../../src/keys/shapes.js';
import { PROVIDER_IDS, type ProviderId } from '../../src/providers/ids.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';

/** Every test key kind, the provider whose client accepts it, and what detection says. */
const KINDS: readonly {
  kind: TestKeyKind;
  provider: ProviderId;
  detected: ProviderId | undefined;
  accepted: boolean;
}[] = [
  { kind: 'openai', provider: 'openai', detected: 'openai', accepted: true },
  { kind: 'openai-svcacct', provider: 'openai', detected: 'openai', accepted: true },
  { kind: 'openai-admin', provider: 'openai', detected: 'openai', accepted: true },
  { kind: 'openai-legacy', provider: 'openai', detected: 'openai', accepted: true },
  // sk- + 32 hex, as DeepSeek and other OpenAI-compatible vendors issue: accepted, not claimed.
  { kind: 'openai-compatible', provider: 'openai', detected: undefined, accepted: true },
  { kind: 'anthropic', provider: 'anthropic', detected: 'anthropic', accepted: true },
  { kind: 'anthropic-admin', provider: 'anthropic', detected: 'anthropic', accepted: true },
  { kind: 'gemini', provider: 'gemini', detected: 'gemini', accepted: true },
  { kind: 'gemini-aq', provider: 'gemini', detected: 'gemini', accepted: true },
  { kind: 'slack', provider: 'slack', detected: 'slack', accepted: true },
  { kind: 'slack-user', provider: 'slack', detected: 'slack', accepted: true },
  // An app-level token is Slack's, but the Web API client cannot use it.
  { kind: 'slack-app', provider: 'slack', detected: 'slack', accepted: false },
  { kind: 'telegram', provider: 'telegram', detected: 'telegram', accepted: true },
  { kind: 'xai', provider: 'xai', detected: 'xai', accepted: true },
  // 32 letters and digits, no prefix: accepted by the mistral client, claimed by nobody, and no
  // other provider's shape (every one of the kinds above is checked against mistral's too).
  { kind: 'mistral', provider: 'mistral', detected: undefined, accepted: true },
];

describe('KEY_SHAPES', () => {
  it('has a shape for every provider, labelled for messages', () => {
    for (const provider of PROVIDER_IDS) {
      const shape = KEY_SHAPES[provider];
      expect(shape.provider).toBe(provider);
      expect(shape.label.length).toBeGreaterThan(3);
      expect(shape.examples).toContain('…');
      expect(shape.hint).toMatch(/^Use /);
      expect(shape.keyFrom).toMatch(/https:\/\//);
      expect(shape.pattern.source.startsWith('^')).toBe(true);
      expect(shape.pattern.source.endsWith('$')).toBe(true);
      expect(shape.marker.source.startsWith('^')).toBe(true);
    }
  });

  it.each(KINDS)(
    '$kind: 200 random keys match the pattern of $provider only (or are refused: $accepted)',
    ({ kind, provider, detected, accepted }) => {
      for (let seed = 0; seed < 200; seed += 1) {
        const key = testKey(kind, `shape-${seed}`);
        expect(KEY_SHAPES[provider].pattern.test(key), `${kind} #${seed}`).toBe(accepted);
        expect(detectProvider(key)).toBe(detected);
        for (const other of PROVIDER_IDS) {
          if (other !== provider)
            expect(KEY_SHAPES[other].pattern.test(key), `${kind} as ${other}`).toBe(
              // Plain sk- keys are DeepSeek's form too: no shape tells them apart.
              kind === 'openai-compatible' && other === 'deepseek',
            );
        }
      }
    },
  );

  it('pins exact lengths for Gemini AIza keys and Telegram tokens', () => {
    const gemini = testKey('gemini', 'length');
    expect(KEY_SHAPES.gemini.pattern.test(gemini.slice(0, -1))).toBe(false);
    expect(KEY_SHAPES.gemini.pattern.test(`${gemini}a`)).toBe(false);
    const telegram = testKey('telegram', 'length');
    expect(KEY_SHAPES.telegram.pattern.test(telegram.slice(0, -1))).toBe(false);
    expect(KEY_SHAPES.telegram.pattern.test(`${telegram}a`)).toBe(false);
  });

  it('pins the length of Mistral keys, which have no prefix', () => {
    const mistral = testKey('mistral', 'length');
    expect(KEY_SHAPES.mistral.pattern.test(mistral)).toBe(true);
    expect(KEY_SHAPES.mistral.pattern.test(mistral.slice(0, -1))).toBe(false);
    expect(KEY_SHAPES.mistral.pattern.test(`${mistral}a`)).toBe(false);
    expect(KEY_SHAPES.mistral.pattern.test(`${mistral.slice(0, -1)}-`)).toBe(false);
  });

  it('does not pin OpenAI or xAI lengths, but requires a minimum', () => {
    const openai = testKey('openai', 'length');
    expect(KEY_SHAPES.openai.pattern.test(`${openai}abcDEF123`)).toBe(true);
    expect(KEY_SHAPES.openai.pattern.test(openai.slice(0, 8 + 30))).toBe(false);
    const xai = testKey('xai', 'length');
    expect(KEY_SHAPES.xai.pattern.test(`${xai}abc`)).toBe(true);
    expect(KEY_SHAPES.xai.pattern.test(xai.slice(0, 4 + 30))).toBe(false);
  });

  it('requires the trailing AA of Anthropic API keys, in a length range', () => {
    const key = testKey('anthropic', 'aa');
    expect(KEY_SHAPES.anthropic.pattern.test(key.slice(0, -1))).toBe(false);
    expect(KEY_SHAPES.anthropic.pattern.test(key.slice(0, 60))).toBe(false);
    const oauth = ['sk', 'ant', 'oat01', testKey('xai', 'oat').slice(4)].join('-');
    expect(KEY_SHAPES.anthropic.pattern.test(oauth)).toBe(true);
  });

  it('accepts rotating Slack tokens and lists unusable Slack credentials', () => {
    const body = testKey('xai', 'slack-rotating').slice(4) + testKey('xai', 'slack-rotating-2').slice(4);
    const rotating = `xoxe.xoxb-1-${body}`;
    expect(KEY_SHAPES.slack.pattern.test(rotating)).toBe(true);
    expect(detectProvider(rotating)).toBe('slack');
    expect(KEY_SHAPES.slack.unusable.some((u) => u.marker.test(testKey('slack-app', 'u')))).toBe(true);
    expect(KEY_SHAPES.slack.unusable.some((u) => u.marker.test(`xoxe-1-${body}`))).toBe(true);
  });
});

describe('detectProvider', () => {
  it('checks sk-ant- before the sk- family', () => {
    expect(detectProvider(testKey('anthropic', 'order'))).toBe('anthropic');
  });

  it('recognises prefixes, not whole keys', () => {
    expect(detectProvider('sk-proj-abc')).toBe('openai');
    expect(detectProvider('AQ.x')).toBe('gemini');
    expect(detectProvider('xapp-1')).toBe('slack');
    expect(detectProvider('sk-abc')).toBeUndefined();
    expect(detectProvider('hello')).toBeUndefined();
    expect(detectProvider('')).toBeUndefined();
  });

  it('describes the kind by its prefix only', () => {
    expect(describeKeyKind(testKey('anthropic', 'kind'))).toBe('sk-ant-…');
    expect(describeKeyKind(testKey('openai-svcacct', 'kind'))).toBe('sk-svcacct-…');
    expect(describeKeyKind(testKey('openai-legacy', 'kind'))).toBe('sk-…');
    expect(describeKeyKind(testKey('gemini', 'kind'))).toBe('AIza…');
    expect(describeKeyKind(testKey('slack', 'kind'))).toBe('xoxb-…');
    expect(describeKeyKind(testKey('telegram', 'kind'))).toBe('<bot id>:…');
    expect(describeKeyKind(testKey('xai', 'kind'))).toBe('xai-…');
    expect(describeKeyKind('plain')).toBeUndefined();
  });

  it('uses the right article', () => {
    expect(withArticle('OpenAI API key')).toBe('an OpenAI API key');
    expect(withArticle('xAI API key')).toBe('an xAI API key');
    expect(withArticle('Slack token')).toBe('a Slack token');
  });
});

describe('looksLikeKey', () => {
  it('recognises keys of every kind', () => {
    for (const { kind } of KINDS) expect(looksLikeKey(testKey(kind, 'looks')), kind).toBe(true);
  });

  it('does not take names, paths and specs for keys', () => {
    for (const text of [
      'env:OPENAI_API_KEY',
      'OPENAI_API_KEY',
      'MY_COMPANY_PRODUCTION_OPENAI_API_KEY',
      './secrets/openai.key',
      '/run/secrets/openai-2024-production.key',
      'file:./k#api_key',
      'vault://vault.internal:8200/secret/openai#api_key',
      'openai-production-key',
    ]) {
      expect(looksLikeKey(text), text).toBe(false);
    }
  });
});

/** The modules of src/keys that import zod, and which of its entries. */
const ZOD_IMPORTS: Record<string, string> = { 'schemas.ts': 'zod', 'check-shape.ts': 'zod/mini' };

describe('module weight', () => {
  it('no module in src/keys imports zod but schemas.ts (zod, for keycard/shapes) and check-shape.ts (zod/mini)', () => {
    const dir = join(import.meta.dirname, '../../src/keys');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isFile(),
    );
    expect(files.length).toBeGreaterThan(10);
    for (const entry of files) {
      const name = entry.name;
      const source = readFileSync(join(entry.parentPath, name), 'utf8');
      const zod = /(?:from |import\()['"](zod(?:\/[\w/-]+)?)['"]/.exec(source)?.[1];
      const expected: string | undefined = ZOD_IMPORTS[name];
      expect(zod, name).toBe(expected);
    }
  });
});
