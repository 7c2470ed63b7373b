import type { REST } from '@discordjs/rest';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient discord types', () => {
  it('returns the official REST client', () => {
    expectTypeOf(createClient('discord')).resolves.toEqualTypeOf<KeycardClient<REST>>();
    expectTypeOf<Awaited<ReturnType<typeof createClient<'discord'>>>['sdk']>().toEqualTypeOf<REST>();
  });

  it('takes REST options in sdkOptions, but not the transport, the API root, the key or the timeout', () => {
    createClient('discord', undefined, {
      sdkOptions: {
        version: '10',
        globalRequestsPerSecond: 25,
        rejectOnRateLimit: ['/channels'],
        headers: {},
      },
    });
    // @ts-expect-error the transport is keycard's fetch
    createClient('discord', undefined, { sdkOptions: { makeRequest: fetch } });
    // @ts-expect-error the API root is keycard's to set (baseURL)
    createClient('discord', undefined, { sdkOptions: { api: 'https://example.test/api' } });
    // @ts-expect-error the key goes on as a bot token
    createClient('discord', undefined, { sdkOptions: { authPrefix: 'Bearer' } });
    // @ts-expect-error the timeout is createClient's timeout option
    createClient('discord', undefined, { sdkOptions: { timeout: 1 } });
    // @ts-expect-error the retries are createClient's maxRetries option
    createClient('discord', undefined, { sdkOptions: { retries: 1 } });
  });
});
