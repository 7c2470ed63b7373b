/**
 * OpenAI, through the official `openai` SDK (6.x). `createClient('openai')` returns an `OpenAI`.
 * @module
 */
import { openAICompatible } from './openai-compatible.js';

/** The OpenAI adapter. */
export const openai = openAICompatible({
  id: 'openai',
  defaultBaseURL: 'https://api.openai.com/v1',
  hints: {
    unauthorized:
      'The key is wrong, revoked or expired: create a new one at https://platform.openai.com/api-keys and update the key source.',
    forbidden:
      "The key works but may not do this: check the project's model access and the key's permissions (restricted keys) at https://platform.openai.com/settings/organization/projects.",
    quota_exceeded:
      'The account behind this key is out of credit or over its spend limit: add credit or raise the limit at https://platform.openai.com/settings/organization/billing.',
  },
});
