import type {
  Chat,
  CountTokensResponse,
  EmbedContentResponse,
  GenerateContentResponse,
  GoogleGenAI,
} from '@google/genai';
import * as genai from '@google/genai';
import { GoogleGenerativeAI } from '@google/generative-ai';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient, type SdkSourceFor } from '../../src/index.js';
import type { GoogleGenAISdkOptions } from '../../src/providers/google-genai.js';

describe('createClient google-genai types', () => {
  it('returns the official GoogleGenAI client, without a cast', () => {
    expectTypeOf(createClient('google-genai')).resolves.toEqualTypeOf<KeycardClient<GoogleGenAI>>();
    // The other Gemini client keeps its own SDK's type.
    expectTypeOf(createClient('gemini')).resolves.toEqualTypeOf<KeycardClient<GoogleGenerativeAI>>();
  });

  it('types models, chats and their calls as the SDK does', async () => {
    const { sdk } = await createClient('google-genai');
    expectTypeOf(
      sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }),
    ).resolves.toEqualTypeOf<GenerateContentResponse>();
    expectTypeOf(
      sdk.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' }),
    ).resolves.toEqualTypeOf<AsyncGenerator<GenerateContentResponse>>();
    expectTypeOf(
      sdk.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hi' }),
    ).resolves.toEqualTypeOf<CountTokensResponse>();
    expectTypeOf(
      sdk.models.embedContent({ model: 'text-embedding-004', contents: 'hi' }),
    ).resolves.toEqualTypeOf<EmbedContentResponse>();
    expectTypeOf(sdk.chats.create({ model: 'gemini-2.5-flash' })).toEqualTypeOf<Chat>();
  });

  it('takes the class or the module as sdk, and its HTTP options but the transport as sdkOptions', () => {
    expectTypeOf<SdkSourceFor<'google-genai'>>().toEqualTypeOf<typeof GoogleGenAI | typeof genai>();
    createClient('google-genai', 'env:GEMINI_API_KEY', { sdk: genai.GoogleGenAI });
    createClient('google-genai', 'env:GEMINI_API_KEY', { sdk: genai });
    // @ts-expect-error the deprecated SDK is the 'gemini' client's
    createClient('google-genai', 'env:GEMINI_API_KEY', { sdk: GoogleGenerativeAI });
    createClient('google-genai', undefined, {
      sdkOptions: { apiVersion: 'v1alpha', httpOptions: { headers: { 'x-team': 'ops' } } },
    });
    expectTypeOf<GoogleGenAISdkOptions>().toHaveProperty('httpOptions');
    // @ts-expect-error the base URL is createClient's baseURL
    createClient('google-genai', undefined, { sdkOptions: { httpOptions: { baseUrl: 'https://x.test' } } });
    // @ts-expect-error the key comes from the key source
    createClient('google-genai', undefined, { sdkOptions: { apiKey: 'x' } });
  });
});
