import type { WebClient } from '@slack/web-api';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient slack types', () => {
  it('returns the official WebClient', () => {
    expectTypeOf(createClient('slack')).resolves.toEqualTypeOf<KeycardClient<WebClient>>();
  });
});
