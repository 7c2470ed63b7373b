/**
 * Drives an OpenAI-SDK client (openai, xai) through every call style and every failure its
 * simulator can inject, for the canary invariant test. Returns what it produced, for capture.
 */

import type OpenAI from 'openai';
import type { KeycardClient } from '../../../src/client.js';
import type { Simulator } from '../../../src/testing/index.js';
import { type Exercise, failEachFault } from './types.js';

/** A model each OpenAI-SDK provider's simulator serves. */
const MODEL: Record<string, string> = {
  xai: 'grok-4',
  groq: 'llama-3.3-70b-versatile',
  openrouter: 'openai/o3-mini',
  deepseek: 'deepseek-chat',
  together: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
  mistral: 'mistral-small-latest',
};

export const exerciseOpenAI: Exercise<KeycardClient<OpenAI>> = async (
  client,
  simulator: Simulator,
  capture,
) => {
  const sdk = client.sdk;
  const model = MODEL[client.provider] ?? 'o3-mini';
  const messages = [{ role: 'user' as const, content: 'canary run' }];
  capture.value(await sdk.chat.completions.create({ model, messages }));
  for await (const chunk of await sdk.chat.completions.create({ model, messages, stream: true }))
    capture.value(chunk);
  capture.value(await sdk.chat.completions.stream({ model, messages }).finalChatCompletion());
  capture.value(await sdk.responses.create({ model, input: 'canary' }));
  capture.value(await sdk.responses.stream({ model, input: 'canary' }).finalResponse());
  capture.value(await sdk.embeddings.create({ model: 'text-embedding-3-small', input: 'canary' }));
  capture.value(await sdk.models.list().withResponse());
  capture.value(await client.verify());
  await failEachFault(simulator, capture, [() => sdk.chat.completions.create({ model, messages })]);
};
