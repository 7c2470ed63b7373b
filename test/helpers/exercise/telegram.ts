/** Drives a Telegram client through several methods and every fault, for the canary test. */
import type { Telegram } from 'telegraf';
import type { KeycardClient } from '../../../src/client.js';
import type { Exercise } from './types.js';

export const exerciseTelegram: Exercise<KeycardClient<Telegram>> = async (client, simulator, capture) => {
  const sdk = client.sdk;
  capture.value(await sdk.getMe());
  capture.value(await sdk.sendMessage(42, 'canary run'));
  capture.value(await sdk.callApi('getChat', { chat_id: 42 }));
  capture.value(await client.verify());
  for (const fault of [
    'unauthorized',
    'forbidden',
    'rate_limit',
    'server_error',
    'reset',
    'bad_json',
  ] as const) {
    simulator.failNext(fault);
    await capture.failure(() => sdk.sendMessage(42, 'x'));
  }
};
