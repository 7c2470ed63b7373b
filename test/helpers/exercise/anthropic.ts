/**
 * Drives an Anthropic client through every call style (plain, raw stream, the `stream()` helper,
 * thinking, prompt caching, token counting, models listed, paged and retrieved, the beta API,
 * `withResponse()`) and every fault its simulator can inject, for the canary invariant test.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { KeycardClient } from '../../../src/client.js';
import { type Exercise, failEachFault } from './types.js';

export const exerciseAnthropic: Exercise<KeycardClient<Anthropic>> = async (client, simulator, capture) => {
  const sdk = client.sdk;
  const model = 'claude-haiku-4-5';
  const messages = [{ role: 'user' as const, content: 'canary run' }];
  const request = { model, max_tokens: 256, messages };
  const system = [
    {
      type: 'text' as const,
      text: 'Canary system prompt. '.repeat(16),
      cache_control: { type: 'ephemeral' as const },
    },
  ];
  const thinking = { type: 'enabled' as const, budget_tokens: 1024 };

  capture.value(await sdk.messages.create(request));
  capture.value(await sdk.messages.create({ ...request, system }).withResponse());
  capture.value(await sdk.messages.create({ ...request, max_tokens: 2048, thinking }));
  for await (const event of await sdk.messages.create({ ...request, system, stream: true }))
    capture.value(event);
  const runner = sdk.messages.stream({ ...request, max_tokens: 2048, thinking });
  runner.on('text', (delta) => capture.value(delta));
  capture.value(await runner.finalMessage());
  capture.value(await sdk.beta.messages.create(request));
  capture.value(await sdk.messages.countTokens({ model, messages }));
  for await (const info of sdk.models.list({ limit: 1 })) capture.value(info);
  capture.value(await sdk.models.list().withResponse());
  capture.value(await sdk.models.retrieve(model));
  capture.value(await client.verify());
  await failEachFault(simulator, capture, [
    () => sdk.messages.create(request),
    () => sdk.messages.stream(request).finalMessage(),
  ]);
};
