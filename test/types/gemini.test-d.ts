import type {
  ChatSession,
  CountTokensResponse,
  EnhancedGenerateContentResponse,
  GenerateContentStreamResult,
  GenerativeModel,
  GoogleGenerativeAI,
} from '@google/generative-ai';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';
import type { GeminiSdkOptions } from '../../src/providers/gemini.js';

describe('createClient gemini types', () => {
  it('returns the official GoogleGenerativeAI client', () => {
    expectTypeOf(createClient('gemini')).resolves.toEqualTypeOf<KeycardClient<GoogleGenerativeAI>>();
  });

  it('types models, chats and their calls as the SDK does', async () => {
    const client = await createClient('gemini');
    const model = client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    expectTypeOf(model).toEqualTypeOf<GenerativeModel>();
    expectTypeOf(model.generateContent('hi'))
      .resolves.toHaveProperty('response')
      .toEqualTypeOf<EnhancedGenerateContentResponse>();
    expectTypeOf(model.generateContentStream('hi')).resolves.toEqualTypeOf<GenerateContentStreamResult>();
    expectTypeOf(model.countTokens('hi')).resolves.toEqualTypeOf<CountTokensResponse>();
    expectTypeOf(model.startChat()).toEqualTypeOf<ChatSession>();
    expectTypeOf(
      model.startChat().sendMessageStream('hi'),
    ).resolves.toEqualTypeOf<GenerateContentStreamResult>();
  });

  it('takes no sdkOptions: the SDK constructor takes only the key', () => {
    expectTypeOf<GeminiSdkOptions>().toEqualTypeOf<Record<string, never>>();
    createClient('gemini', undefined, { sdkOptions: {} });
    // @ts-expect-error this SDK has no constructor options
    createClient('gemini', undefined, { sdkOptions: { baseUrl: 'https://example.test' } });
  });
});
