/** Drives a Gemini client through every call style and fault, for the canary test. */
import type { GoogleGenerativeAI } from '@google/generative-ai';
import type { KeycardClient } from '../../../src/client.js';
import type { Exercise } from './types.js';

export const exerciseGemini: Exercise<KeycardClient<GoogleGenerativeAI>> = async (
  client,
  simulator,
  capture,
) => {
  const model = client.sdk.getGenerativeModel({ model: 'gemini-2.5-pro' });
  capture.value(model);
  capture.value(await model.generateContent('canary run'));
  const streamed = await model.generateContentStream('canary stream');
  for await (const chunk of streamed.stream) capture.value(chunk.text());
  capture.value(await streamed.response);
  capture.value(await model.countTokens('canary'));
  capture.value(await model.embedContent('canary'));
  const chat = model.startChat();
  capture.value(chat);
  capture.value(await chat.sendMessage('canary chat'));
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
    await capture.failure(() => model.generateContent('x'));
  }
};
