/**
 * Drives a Gemini client through every call style (generate, stream with and without reading
 * its chunks, token counts, embeddings single and batched, chats plain and streamed, a model
 * from cached content, the key properties the SDK reads) and every fault its simulator can
 * inject on plain, streamed and chat calls, for the canary invariant test.
 */
import type { GoogleGenerativeAI } from '@google/generative-ai';
import type { KeycardClient } from '../../../src/client.js';
import { type Exercise, failEachFault } from './types.js';

export const exerciseGemini: Exercise<KeycardClient<GoogleGenerativeAI>> = async (
  client,
  simulator,
  capture,
) => {
  const sdk = client.sdk;
  const model = sdk.getGenerativeModel({ model: 'gemini-2.5-pro', systemInstruction: 'Canary system.' });
  capture.value(model);
  capture.value(await model.generateContent('canary run'));
  const streamed = await model.generateContentStream('canary stream');
  for await (const chunk of streamed.stream) capture.value(chunk);
  capture.value(await streamed.response);
  capture.value(await (await model.generateContentStream('canary unread')).response);
  capture.value(await model.countTokens('canary'));
  capture.value(
    await model.countTokens({
      generateContentRequest: { contents: [{ role: 'user', parts: [{ text: 'c' }] }] },
    }),
  );
  const embedder = sdk.getGenerativeModel({ model: 'text-embedding-004' });
  capture.value(await embedder.embedContent('canary'));
  capture.value(
    await embedder.batchEmbedContents({
      requests: [{ content: { role: 'user', parts: [{ text: 'canary' }] } }],
    }),
  );
  const chat = model.startChat();
  capture.value(chat);
  capture.value(await chat.sendMessage('canary chat'));
  const chatStream = await chat.sendMessageStream('canary chat stream');
  for await (const chunk of chatStream.stream) capture.value(chunk);
  capture.value(await chat.getHistory());
  const cached = sdk.getGenerativeModelFromCachedContent({
    name: 'cachedContents/canary',
    contents: [],
    model: 'models/gemini-2.0-flash',
  });
  capture.value(cached);
  capture.value(await cached.generateContent('canary cache'));
  capture.value([sdk.apiKey, model.apiKey, cached.apiKey]);
  capture.value(await client.verify());
  await failEachFault(simulator, capture, [
    () => model.generateContent('x'),
    async () => (await model.generateContentStream('x')).response,
    async () => {
      for await (const chunk of (await chat.sendMessageStream('x')).stream) capture.value(chunk);
    },
    () => chat.sendMessage('x'),
  ]);
};
