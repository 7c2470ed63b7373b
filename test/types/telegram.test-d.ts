import type { Telegram } from 'telegraf';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/index.js';

describe('createClient telegram types', () => {
  it("returns telegraf's Telegram client", () => {
    expectTypeOf(createClient('telegram')).resolves.toEqualTypeOf<KeycardClient<Telegram>>();
  });
});
