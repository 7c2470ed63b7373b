import type { GoogleGenerativeAI } from '@google/generative-ai';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient gemini types', () => {
  it('returns the official GoogleGenerativeAI client', () => {
    expectTypeOf(createClient('gemini')).resolves.toEqualTypeOf<KeycardClient<GoogleGenerativeAI>>();
  });
});
