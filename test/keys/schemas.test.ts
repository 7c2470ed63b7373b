import { describe, expect, it } from 'vitest';
import type { CredentialError } from '../../src/errors.js';
import {
  AnthropicKeySchema,
  checkKeyShape,
  DeepSeekKeySchema,
  DiscordKeySchema,
  GeminiKeySchema,
  GroqKeySchema,
  keySchemas,
  MistralKeySchema,
  OpenAIKeySchema,
  OpenRouterKeySchema,
  SlackKeySchema,
  TelegramKeySchema,
  TogetherKeySchema,
  XAIKeySchema,
} from '../../src/keys/schemas.js';
import { PROVIDER_IDS, PROVIDERS, type ProviderId } from '../../src/providers/ids.js';
import { Secret } from '../../src/secret.js';
import * as subpath from '../../src/shapes.js';
import { type TestKeyKind, testKey } from '../helpers/keys.js';
import { credentialRejection } from '../helpers/rejections.js';

const KIND_OF: Record<ProviderId, TestKeyKind[]> = {
  openai: ['openai', 'openai-svcacct', 'openai-admin', 'openai-legacy'],
  anthropic: ['anthropic', 'anthropic-admin'],
  gemini: ['gemini', 'gemini-aq'],
  slack: ['slack', 'slack-user'],
  telegram: ['telegram'],
  xai: ['xai'],
  groq: ['groq'],
  openrouter: ['openrouter'],
  deepseek: ['deepseek'],
  together: ['together'],
  mistral: ['mistral'],
  discord: ['discord'],
};

/** No 8-character window of the key's secret part (after its first 8 characters) appears. */
function expectNoLeak(error: CredentialError, key: string): void {
  const secretPart = key.slice(8);
  const text = `${error.message}\n${error.hint}\n${JSON.stringify(error)}`;
  for (let start = 0; start + 8 <= secretPart.length; start += 1) {
    expect(text).not.toContain(secretPart.slice(start, start + 8));
  }
}

describe('key schemas', () => {
  it('are zod string schemas, one per provider, also under their own names', () => {
    expect(keySchemas).toEqual({
      openai: OpenAIKeySchema,
      anthropic: AnthropicKeySchema,
      gemini: GeminiKeySchema,
      slack: SlackKeySchema,
      telegram: TelegramKeySchema,
      xai: XAIKeySchema,
      groq: GroqKeySchema,
      openrouter: OpenRouterKeySchema,
      deepseek: DeepSeekKeySchema,
      together: TogetherKeySchema,
      mistral: MistralKeySchema,
      discord: DiscordKeySchema,
    });
    for (const provider of PROVIDER_IDS) {
      for (const kind of KIND_OF[provider]) {
        expect(keySchemas[provider].safeParse(testKey(kind, 'schema')).success, kind).toBe(true);
      }
    }
  });

  it('name the expected form in their message, without the value', () => {
    const result = GeminiKeySchema.safeParse('not-a-gemini-key');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'Expected a Google Gemini API key (AIza… of 39 characters, or AQ.…).',
    );
    expect(JSON.stringify(result.error?.issues)).not.toContain('not-a-gemini-key');
  });

  it('are re-exported by the keycard/shapes entry', () => {
    expect(subpath.keySchemas).toBe(keySchemas);
    expect(subpath.OpenAIKeySchema).toBe(OpenAIKeySchema);
    expect(subpath.checkKeyShape).toBe(checkKeyShape);
    expect(typeof subpath.detectProvider).toBe('function');
    expect(subpath.KEY_SHAPES.openai.provider).toBe('openai');
  });
});

describe('checkKeyShape', () => {
  it('accepts 200 random keys of every kind for their provider', async () => {
    for (const provider of PROVIDER_IDS) {
      for (const kind of [
        ...KIND_OF[provider],
        ...(provider === 'openai' ? (['openai-compatible'] as const) : []),
      ]) {
        for (let seed = 0; seed < 200; seed += 1) {
          await expect(checkKeyShape(provider, testKey(kind, `check-${seed}`))).resolves.toBeUndefined();
        }
      }
    }
  });

  describe('wrong_provider across every pair of providers', () => {
    // An OpenRouter key (sk-or-v1-…) fits the openai client's plain sk- form on purpose: many use
    // the openai client with OpenRouter's baseURL (tested below).
    const fits = (client: string, owner: string) => client === 'openai' && owner === 'openrouter';
    // A DeepSeek key (plain sk-) and a Mistral key (no prefix) are nobody's by their shape:
    // another client calls them malformed.
    const unrecognisable = (owner: string) => owner === 'deepseek' || owner === 'mistral';
    const cases = PROVIDER_IDS.flatMap((client) =>
      PROVIDER_IDS.filter(
        (owner) => owner !== client && !fits(client, owner) && !unrecognisable(owner),
      ).flatMap((owner) => KIND_OF[owner].map((kind) => ({ client, owner, kind }))),
    );

    it('an OpenRouter key given to the openai client is accepted (OpenAI-compatible vendors use sk- keys)', async () => {
      await expect(checkKeyShape('openai', testKey('openrouter', 'fits'))).resolves.toBeUndefined();
    });

    it.each(cases)('a $kind key given to the $client client', async ({ client, owner, kind }) => {
      const key = testKey(kind, `wrong-${client}`);
      const error = await credentialRejection(checkKeyShape(client, key, { source: 'env:SOME_KEY' }));
      expect(error.reason).toBe('wrong_provider');
      expect(error.provider).toBe(client);
      expect(error.source).toBe('env:SOME_KEY');
      expect(error.message).toMatch(/^This looks like an? /);
      expect(error.message).toContain(`but the client is for ${PROVIDERS[client].label}`);
      expect(error.hint).toContain(`createClient('${owner}', …)`);
      expectNoLeak(error, key);
    });
  });

  it('words the OpenAI / Anthropic case as documented', async () => {
    const error = await credentialRejection(checkKeyShape('openai', testKey('anthropic', 'doc')));
    expect(error.message).toBe(
      "This looks like an Anthropic API key (sk-ant-…) but the client is for OpenAI. Use the OpenAI API key, or create the client with createClient('anthropic', …).",
    );
    expect(error.hint).toBe(
      "Use the OpenAI API key, or create the client with createClient('anthropic', …).",
    );
  });

  it('refuses a Slack app-level token for the Slack client as malformed, pointing to the bot token', async () => {
    const key = testKey('slack-app', 'xapp');
    const error = await credentialRejection(checkKeyShape('slack', key, { source: 'env:SLACK_BOT_TOKEN' }));
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('app-level token (xapp-…)');
    expect(error.hint).toContain('xoxb-');
    expectNoLeak(error, key);
  });

  it('reports a Slack app token given to another client as a Slack token', async () => {
    const error = await credentialRejection(checkKeyShape('openai', testKey('slack-app', 'xapp-openai')));
    expect(error.reason).toBe('wrong_provider');
    expect(error.hint).toContain("createClient('slack', …)");
  });

  it('xai: a plain sk- key is malformed (xAI keys start with xai-), an sk-proj- key is OpenAI’s', async () => {
    const plain = await credentialRejection(checkKeyShape('xai', testKey('openai-compatible', 'xai')));
    expect(plain.reason).toBe('malformed');
    expect(plain.message).toContain('xai-');
    expect(plain.hint).toContain('xai-');
    const proj = await credentialRejection(checkKeyShape('xai', testKey('openai', 'xai')));
    expect(proj.reason).toBe('wrong_provider');
    expect(proj.hint).toContain("createClient('openai', …)");
  });

  it('a plain sk- key given to any client but OpenAI and DeepSeek is malformed, not claimed by a provider', async () => {
    await expect(checkKeyShape('deepseek', testKey('openai-compatible', 'plain'))).resolves.toBeUndefined();
    for (const client of PROVIDER_IDS.filter((id) => id !== 'openai' && id !== 'deepseek')) {
      const key = testKey('openai-compatible', `plain-${client}`);
      const error = await credentialRejection(checkKeyShape(client, key));
      expect(error.reason, client).toBe('malformed');
      expect(error.message).toContain('starts with sk-');
      expectNoLeak(error, key);
    }
  });

  it('says a key with the right prefix has the wrong length, without showing it', async () => {
    const key = testKey('gemini', 'cut').slice(0, -3);
    const error = await credentialRejection(checkKeyShape('gemini', key));
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('right prefix');
    expect(error.message).toContain('36 characters');
    expect(error.hint).toContain('https://aistudio.google.com/apikey');
    expectNoLeak(error, key);
  });

  it('refuses what is no key of any provider as malformed with the expected form', async () => {
    for (const provider of PROVIDER_IDS) {
      const error = await credentialRejection(checkKeyShape(provider, 'abcdefgh12345678'));
      expect(error.reason).toBe('malformed');
      expect(error.message).not.toContain('abcdefgh');
      expect(error.hint).toMatch(/^Use /);
    }
  });

  it('adds the masked id and fingerprint of a Secret, and takes its source', async () => {
    const key = testKey('anthropic', 'secret-fields');
    const secret = new Secret(key, { provider: 'openai', source: 'file:./k' });
    const error = await credentialRejection(checkKeyShape('openai', secret));
    expect(error.reason).toBe('wrong_provider');
    expect(error.maskedId).toBe(secret.maskedId);
    expect(error.fingerprint).toBe(secret.fingerprint);
    expect(error.source).toBe('file:./k');
    expect(error.message).not.toContain(key.slice(13, 40));
  });

  it('refuses a non-string from JavaScript callers', async () => {
    const error = await credentialRejection(checkKeyShape('openai', 42 as unknown as string));
    expect(error.reason).toBe('malformed');
  });
});

describe('the zod schemas and the check createClient runs', () => {
  it('agree on every key kind and on values that are no key', async () => {
    const { keySchemas } = await import('../../src/keys/schemas.js');
    const { KEY_SHAPES } = await import('../../src/keys/shapes.js');
    const { SHAPES } = await import('../helpers/corpus.js');
    const { seededRandom } = await import('../helpers/keys.js');
    const random = seededRandom(5);
    const values = [
      ...SHAPES.map((shape) => shape.make(random)),
      'sk-short',
      '',
      'xoxb-your-bot-token',
      ' AIza',
    ];
    for (const provider of Object.keys(keySchemas) as Array<keyof typeof keySchemas>) {
      for (const value of values) {
        expect(keySchemas[provider].safeParse(value).success, `${provider} ${value.slice(0, 6)}`).toBe(
          KEY_SHAPES[provider].pattern.test(value),
        );
      }
    }
  });
});
