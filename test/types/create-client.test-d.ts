import type OpenAI from 'openai';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient, keys } from '../../src/index.js';
import type { KeySource } from '../../src/keys/types.js';

describe('createClient types', () => {
  it('returns the official SDK type for the provider', () => {
    expectTypeOf(createClient('openai')).resolves.toEqualTypeOf<KeycardClient<OpenAI>>();
    expectTypeOf<Awaited<ReturnType<typeof createClient<'openai'>>>['sdk']>().toEqualTypeOf<OpenAI>();
  });

  it('accepts a key source, a spec string or nothing', () => {
    expectTypeOf(createClient<'openai'>)
      .parameter(1)
      .toEqualTypeOf<KeySource | string | undefined>();
    expectTypeOf(keys.env('OPENAI_API_KEY')).toEqualTypeOf<KeySource>();
  });

  it('types sdkOptions as the SDK options without the key', () => {
    createClient('openai', 'env:OPENAI_API_KEY', { sdkOptions: { organization: 'org-1' } });
    // @ts-expect-error the key is keycard's to set
    createClient('openai', 'env:OPENAI_API_KEY', { sdkOptions: { apiKey: 'x' } });
    // @ts-expect-error only supported providers
    createClient('cohere');
  });
});
