/**
 * Drives a Discord client (`@discordjs/rest`'s REST) through several routes (the bot user, a
 * channel, messages in JSON and with a file, a webhook created and then executed with its own
 * token), with the SDK's debug and response events captured, and through every fault its
 * simulator can inject, for the canary test.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { REST } from '@discordjs/rest';
import type { KeycardClient } from '../../../src/client.js';
import type { Exercise } from './types.js';

const CHANNEL = '1100000000000000009';

/** How long a simulated rate limit lasts (its `retry-after` and reset), and a margin. */
const RATE_LIMIT_MS = 1_200;

export const exerciseDiscord: Exercise<KeycardClient<REST>> = async (client, simulator, capture) => {
  const sdk = client.sdk;
  // The SDK's own debug channel, and the request as it built it (headers included).
  sdk.on('restDebug', (line) => capture.value(line));
  sdk.on('response', (request, response) => capture.value({ request, status: response.status }));
  capture.value(await sdk.get('/users/@me'));
  capture.value(await sdk.get(`/channels/${CHANNEL}`));
  capture.value(await sdk.post(`/channels/${CHANNEL}/messages`, { body: { content: 'canary run' } }));
  capture.value(
    await sdk.post(`/channels/${CHANNEL}/messages`, {
      body: { content: 'canary file' },
      files: [{ name: 'canary.txt', data: Buffer.from('canary file') }],
    }),
  );
  const webhook = (await sdk.post(`/channels/${CHANNEL}/webhooks`, { body: { name: 'canary' } })) as {
    id: string;
    token: string;
  };
  capture.value(
    await sdk.post(`/webhooks/${webhook.id}/${webhook.token}`, {
      body: { content: 'canary hook' },
      query: new URLSearchParams({ wait: 'true' }),
      auth: false,
    }),
  );
  capture.value(await client.verify());
  const calls = [
    () => sdk.post(`/channels/${CHANNEL}/messages`, { body: { content: 'x' } }),
    () => client.verify(),
  ];
  for (const fault of ['unauthorized', 'forbidden', 'server_error', 'reset', 'bad_json'] as const) {
    for (const call of calls) {
      simulator.failNext(fault);
      await capture.failure(call);
    }
  }
  // A rate limit keeps its bucket (or, global, every bucket) closed for a second: the SDK would
  // refuse the next call there itself, before any request, so each is waited out.
  for (const fault of ['rate_limit', 'quota'] as const) {
    for (const call of calls) {
      simulator.failNext(fault);
      await capture.failure(call);
      await sleep(RATE_LIMIT_MS);
    }
  }
  // Not about the key: Discord's own errors, a webhook's bad token, and keycard's refusal to
  // hold a token.
  await capture.failure(() => sdk.post(`/channels/${CHANNEL}/messages`, { body: {} }));
  await capture.failure(() =>
    sdk.post(`/webhooks/${webhook.id}/${webhook.token.slice(0, -2)}xx`, {
      body: { content: 'x' },
      auth: false,
    }),
  );
  await capture.failure(async () => sdk.setToken('not-a-token-but-refused-anyway'));
};
