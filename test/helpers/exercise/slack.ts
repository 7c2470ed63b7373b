/**
 * Drives a Slack client through several methods (helpers, `apiCall`, `paginate`, the three-step
 * `filesUploadV2`, `verify()`), with the SDK's own debug logging on, and through every fault its
 * simulator can inject, for the canary test.
 */
import { type Logger, LogLevel, type WebClient } from '@slack/web-api';
import type { KeycardClient } from '../../../src/client.js';
import { type Exercise, failEachFault } from './types.js';

export const exerciseSlack: Exercise<KeycardClient<WebClient>> = async (client, simulator, capture) => {
  const sdk = client.sdk;
  // The SDK's debug lines (URLs, bodies, headers, results) go through keycard's logger too.
  (sdk as unknown as { logger: Logger }).logger.setLevel(LogLevel.DEBUG);
  capture.value(await sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'canary run' }));
  capture.value(await sdk.conversations.list());
  for await (const page of sdk.paginate('conversations.list', { limit: 2 })) capture.value(page);
  capture.value(await sdk.apiCall('users.info', { user: 'U0SIMULATED' }));
  capture.value(
    await sdk.filesUploadV2({
      channel_id: 'C0GENERAL',
      file: Buffer.from('canary file'),
      filename: 'canary.txt',
      title: 'Canary',
    }),
  );
  capture.value(await client.verify());
  await failEachFault(simulator, capture, [
    () => sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'x' }),
    () => client.verify(),
  ]);
  // Not about the key: Slack's own error, and keycard's refusal of a per-call token.
  await capture.failure(() => sdk.chat.postMessage({ text: 'no channel' } as never));
  await capture.failure(() => sdk.apiCall('auth.test', { token: 'per-call-token' }));
};
