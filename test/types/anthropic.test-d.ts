import type Anthropic from '@anthropic-ai/sdk';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient anthropic types', () => {
  it('returns the official Anthropic client', () => {
    expectTypeOf(createClient('anthropic')).resolves.toEqualTypeOf<KeycardClient<Anthropic>>();
  });

  it('types sdkOptions without the credential', () => {
    createClient('anthropic', 'env:ANTHROPIC_API_KEY', {
      sdkOptions: { defaultHeaders: { 'x-team': 'ops' } },
    });
    // @ts-expect-error the key is keycard's to set
    createClient('anthropic', 'env:ANTHROPIC_API_KEY', { sdkOptions: { apiKey: 'x' } });
  });
});
