/** Drives a Slack client through several methods and every fault, for the canary test. */
import type { WebClient } from '@slack/web-api';
import type { KeycardClient } from '../../../src/client.js';
import type { Exercise } from './types.js';

export const exerciseSlack: Exercise<KeycardClient<WebClient>> = async (client, simulator, capture) => {
  const sdk = client.sdk;
  capture.value(await sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'canary run' }));
  capture.value(await sdk.conversations.list());
  capture.value(await sdk.apiCall('users.info', { user: 'U0SIMULATED' }));
  capture.value(await client.verify());
  for (const fault of ['unauthorized', 'forbidden', 'server_error', 'reset', 'bad_json'] as const) {
    simulator.failNext(fault);
    await capture.failure(() => sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' }));
  }
  await capture.failure(() => sdk.chat.postMessage({ text: 'no channel' } as never));
};
