/** Drives an Anthropic client through every call style and fault, for the canary test. */
import type Anthropic from '@anthropic-ai/sdk';
import type { KeycardClient } from '../../../src/client.js';
import type { Exercise } from './types.js';

export const exerciseAnthropic: Exercise<KeycardClient<Anthropic>> = async (client, simulator, capture) => {
  const sdk = client.sdk;
  const request = {
    model: 'claude-haiku-4-5',
    max_tokens: 256,
    messages: [{ role: 'user' as const, content: 'canary run' }],
  };
  capture.value(await sdk.messages.create(request));
  for await (const event of await sdk.messages.create({ ...request, stream: true })) capture.value(event);
  capture.value(await sdk.messages.stream(request).finalMessage());
  capture.value(await sdk.messages.countTokens({ model: request.model, messages: request.messages }));
  capture.value(await sdk.models.list());
  capture.value(await client.verify());
  for (const fault of [
    'unauthorized',
    'forbidden',
    'quota',
    'rate_limit',
    'server_error',
    'reset',
    'bad_json',
  ] as const) {
    simulator.failNext(fault);
    await capture.failure(() => sdk.messages.create(request));
  }
};
