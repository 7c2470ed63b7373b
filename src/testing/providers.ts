/**
 * Every provider the simulator speaks, one file each. A new provider adds its file and one entry
 * here.
 * @module
 */
import { anthropicSimulator } from './anthropic.js';
import { deepseekSimulator } from './deepseek.js';
import { discordSimulator } from './discord.js';
import { geminiSimulator } from './gemini.js';
import { groqSimulator } from './groq.js';
import { mistralSimulator } from './mistral.js';
import { openaiSimulator } from './openai.js';
import { openrouterSimulator } from './openrouter.js';
import { slackSimulator } from './slack.js';
import { telegramSimulator } from './telegram.js';
import { togetherSimulator } from './together.js';
import type { ProviderSimulator } from './types.js';
import { xaiSimulator } from './xai.js';

export const PROVIDER_SIMULATORS: readonly ProviderSimulator[] = [
  openaiSimulator,
  anthropicSimulator,
  geminiSimulator,
  slackSimulator,
  telegramSimulator,
  xaiSimulator,
  groqSimulator,
  openrouterSimulator,
  deepseekSimulator,
  togetherSimulator,
  mistralSimulator,
  discordSimulator,
];
