/** Every provider's exercise for the canary invariant test. */
import type { SupportedProvider } from '../../../src/providers/registry.js';
import { exerciseAnthropic } from './anthropic.js';
import { exerciseDiscord } from './discord.js';
import { exerciseGemini } from './gemini.js';
import { exerciseGoogleGenAI } from './google-genai.js';
import { exerciseOpenAI } from './openai.js';
import { exerciseSlack } from './slack.js';
import { exerciseTelegram } from './telegram.js';
import type { Exercise } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each exercise takes its own provider's client.
export const EXERCISES: Record<SupportedProvider, Exercise<any>> = {
  openai: exerciseOpenAI,
  anthropic: exerciseAnthropic,
  gemini: exerciseGemini,
  slack: exerciseSlack,
  telegram: exerciseTelegram,
  xai: exerciseOpenAI,
  groq: exerciseOpenAI,
  openrouter: exerciseOpenAI,
  deepseek: exerciseOpenAI,
  together: exerciseOpenAI,
  mistral: exerciseOpenAI,
  discord: exerciseDiscord,
  'google-genai': exerciseGoogleGenAI,
};
