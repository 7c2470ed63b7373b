import type { WebAPICallResult, WebClient } from '@slack/web-api';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient slack types', () => {
  it('returns the official WebClient', () => {
    expectTypeOf(createClient('slack')).resolves.toEqualTypeOf<KeycardClient<WebClient>>();
    expectTypeOf<Awaited<ReturnType<typeof createClient<'slack'>>>['sdk']>().toEqualTypeOf<WebClient>();
  });

  it('types the methods of .sdk as the SDK does', async () => {
    const client = await createClient('slack');
    expectTypeOf(client.sdk.chat.postMessage({ channel: 'C1', text: 'hi' }))
      .resolves.toHaveProperty('ts')
      .toEqualTypeOf<string | undefined>();
    expectTypeOf(client.sdk.apiCall('auth.test')).resolves.toEqualTypeOf<WebAPICallResult>();
  });

  it('takes WebClient options in sdkOptions, but not the transport, the API root or the logger', () => {
    createClient('slack', undefined, {
      sdkOptions: { teamId: 'T1', rejectRateLimitedCalls: true, retryConfig: { minTimeout: 0 }, headers: {} },
    });
    // @ts-expect-error the API root is keycard's to set (baseURL)
    createClient('slack', undefined, { sdkOptions: { slackApiUrl: 'https://example.test/api/' } });
    // @ts-expect-error absolute URLs stay off
    createClient('slack', undefined, { sdkOptions: { allowAbsoluteUrls: true } });
    // @ts-expect-error the SDK logs through createClient's logger option
    createClient('slack', undefined, { sdkOptions: { logger: console } });
    // @ts-expect-error the timeout is createClient's timeout option
    createClient('slack', undefined, { sdkOptions: { timeout: 1 } });
  });
});
