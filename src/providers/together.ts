/**
 * Together AI, through the official `openai` SDK with Together's base URL.
 * `createClient('together')` returns an `OpenAI` client that talks to
 * `https://api.together.ai/v1` (the older host, api.together.xyz, serves the same API).
 *
 * From Together's docs (OpenAI compatibility, error codes): a bad key is a 401
 * (`invalid_api_key`); 402 is the monthly spending limit reached; 403 means the input and
 * `max_tokens` exceed the model's context, a problem of the request, not of the key; 429 a rate
 * limit. Its model list is a bare JSON array, not OpenAI's `{ data: [...] }`.
 * @module
 */

import { openAICompatible } from './openai-compatible.js';
import type { FailureClass, KeyIdentity } from './types.js';

/** The Together AI adapter. */
export const together = openAICompatible({
  id: 'together',
  defaultBaseURL: 'https://api.together.ai/v1',
  hints: {
    unauthorized:
      'The key is wrong, revoked or expired: create a new one at https://api.together.ai/settings/api-keys and update the key source.',
    forbidden: 'The key works but may not do this: check the project at https://api.together.ai/settings.',
    quota_exceeded:
      'The account behind this key reached its spending limit or has no credit: raise the limit or add credit at https://api.together.ai/settings/billing.',
  },
  classify(failure): FailureClass | undefined {
    // Too long for the model's context: the request's fault.
    if (failure.status === 403) return { outcome: 'error' };
    return undefined;
  },
  async verify(sdk): Promise<KeyIdentity> {
    // GET /models needs a valid key; Together answers an array (OpenAI: `{ data: [...] }`).
    const body = (await sdk.get('/models')) as unknown;
    const list = Array.isArray(body) ? body : (body as { data?: unknown } | undefined)?.data;
    return { models: Array.isArray(list) ? list.length : undefined };
  },
});
