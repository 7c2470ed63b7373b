import type Anthropic from '@anthropic-ai/sdk';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient anthropic types', () => {
  it('returns the official Anthropic client', () => {
    expectTypeOf(createClient('anthropic')).resolves.toEqualTypeOf<KeycardClient<Anthropic>>();
    expectTypeOf(createClient('anthropic', 'env:ANTHROPIC_API_KEY')).resolves.toEqualTypeOf<
      KeycardClient<Anthropic>
    >();
  });

  it('types sdkOptions without the credential or the transport', () => {
    createClient('anthropic', 'env:ANTHROPIC_API_KEY', {
      sdkOptions: { defaultHeaders: { 'x-team': 'ops' }, logLevel: 'debug', openTelemetry: false },
    });
    // @ts-expect-error the key is keycard's to set
    createClient('anthropic', 'env:ANTHROPIC_API_KEY', { sdkOptions: { apiKey: 'x' } });
    // @ts-expect-error so is any other credential
    createClient('anthropic', 'env:ANTHROPIC_API_KEY', { sdkOptions: { authToken: 'x' } });
    // @ts-expect-error and the transport
    createClient('anthropic', 'env:ANTHROPIC_API_KEY', { sdkOptions: { fetch: globalThis.fetch } });
  });
});
