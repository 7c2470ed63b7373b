/** Drives a Telegram client through several methods and every fault, for the canary test. */
import type { Telegram } from 'telegraf';
import type { KeycardClient } from '../../../src/client.js';
import { type Exercise, failEachFault } from './types.js';

/** telegraf types `callApi`'s signal as the `abort-controller` polyfill's; Node's own works at run time. */
const telegrafSignal = (signal: AbortSignal) =>
  signal as unknown as Exclude<NonNullable<Parameters<Telegram['callApi']>[2]>['signal'], undefined>;

export const exerciseTelegram: Exercise<KeycardClient<Telegram>> = async (client, simulator, capture) => {
  const sdk = client.sdk;
  capture.value(await sdk.getMe());
  capture.value(await sdk.sendMessage(42, 'canary run'));
  capture.value(await sdk.sendDocument(42, { source: Buffer.from('canary file'), filename: 'canary.txt' }));
  capture.value(await sdk.getUpdates(0, 10, 0, []));
  capture.value(
    await sdk.callApi('getChat', { chat_id: 42 }, { signal: telegrafSignal(AbortSignal.timeout(5_000)) }),
  );
  capture.value(await client.verify());
  // `getFileLink()` is left out on purpose: the download URL it returns holds the token by design.
  await failEachFault(simulator, capture, [() => sdk.sendMessage(42, 'x')]);
  // Faults on an upload too: its error keeps the multipart payload (`on.payload`).
  simulator.failNext('forbidden');
  await capture.failure(() => sdk.sendPhoto(42, { source: Buffer.from('canary photo') }));
};
