import type { Telegram } from 'telegraf';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient telegram types', () => {
  it("returns telegraf's Telegram client", () => {
    expectTypeOf(createClient('telegram')).resolves.toEqualTypeOf<KeycardClient<Telegram>>();
  });

  it('types the methods of .sdk as telegraf does', async () => {
    const client = await createClient('telegram');
    expectTypeOf(client.sdk.getMe()).resolves.toHaveProperty('username').toEqualTypeOf<string>();
    expectTypeOf(client.sdk.sendMessage).parameter(0).toEqualTypeOf<number | string>();
  });

  it('takes telegraf client options in sdkOptions, but not the API root (that is baseURL)', () => {
    createClient('telegram', undefined, { sdkOptions: { testEnv: true, webhookReply: false } });
    // @ts-expect-error apiRoot is keycard's to set (baseURL)
    createClient('telegram', undefined, { sdkOptions: { apiRoot: 'https://example.test' } });
  });
});
