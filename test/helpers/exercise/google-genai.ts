/**
 * Drives a `@google/genai` client (`createClient('google-genai')`) through every call style
 * (generate, a stream, token counts, embeddings single and
 * several, a cached content, chats plain and streamed, the model list and one model, the Live API
 * keycard refuses) and every fault its simulator can inject on plain, streamed and chat calls,
 * for the canary invariant test.
 */
import type { GoogleGenAI } from '@google/genai';
import type { KeycardClient } from '../../../src/client.js';
import { type Exercise, failEachFault } from './types.js';

export const exerciseGoogleGenAI: Exercise<KeycardClient<GoogleGenAI>> = async (
  client,
  simulator,
  capture,
) => {
  const sdk = client.sdk;
  const model = 'gemini-2.5-pro';
  capture.value(
    await sdk.models.generateContent({
      model,
      contents: 'canary run',
      config: { systemInstruction: 'Canary system.' },
    }),
  );
  for await (const chunk of await sdk.models.generateContentStream({ model, contents: 'canary stream' })) {
    capture.value(chunk);
  }
  capture.value(await sdk.models.countTokens({ model, contents: 'canary' }));
  capture.value(await sdk.models.embedContent({ model: 'text-embedding-004', contents: 'canary' }));
  capture.value(await sdk.models.embedContent({ model: 'text-embedding-004', contents: ['canary', 'two'] }));
  capture.value(
    await sdk.models.generateContent({
      model: 'gemini-2.0-flash',
      contents: 'canary cache',
      config: { cachedContent: 'cachedContents/canary' },
    }),
  );
  const chat = sdk.chats.create({ model, history: [{ role: 'user', parts: [{ text: 'earlier' }] }] });
  capture.value(chat);
  capture.value(await chat.sendMessage({ message: 'canary chat' }));
  for await (const chunk of await chat.sendMessageStream({ message: 'canary chat stream' }))
    capture.value(chunk);
  capture.value(chat.getHistory());
  const pager = await sdk.models.list();
  capture.value(pager.page);
  capture.value(await sdk.models.get({ model: 'gemini-2.5-flash' }));
  await capture.failure(() => sdk.live.connect({ model, callbacks: { onmessage: () => {} } }));
  capture.value([sdk.models, sdk.chats, sdk.files, sdk.caches, sdk.live]);
  capture.value(await client.verify());
  await failEachFault(simulator, capture, [
    () => sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'x' }),
    async () => {
      for await (const chunk of await sdk.models.generateContentStream({ model, contents: 'x' })) {
        capture.value(chunk);
      }
    },
    async () => {
      for await (const chunk of await chat.sendMessageStream({ message: 'x' })) capture.value(chunk);
    },
    () => chat.sendMessage({ message: 'x' }),
  ]);
};
