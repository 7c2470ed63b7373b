/**
 * Groq, through the official `openai` SDK with Groq's base URL. `createClient('groq')` returns an
 * `OpenAI` client that talks to `https://api.groq.com/openai/v1`.
 *
 * From Groq's docs (OpenAI compatibility, spend limits, rate limits): a bad key is a 401
 * (`invalid_api_key`); Groq has no prepaid credit, and an organisation past the spend limit it set
 * gets a 400 with the code `blocked_api_access`; a rate limit is a 429 with `retry-after` and the
 * `x-ratelimit-*` headers. `GET /models` needs a valid key. Streams take `stream_options`.
 * @module
 */

import { openAICompatible } from './openai-compatible.js';
import type { FailureClass } from './types.js';

/** The Groq adapter. */
export const groq = openAICompatible({
  id: 'groq',
  defaultBaseURL: 'https://api.groq.com/openai/v1',
  hints: {
    unauthorized:
      'The key is wrong, revoked or expired: create a new one at https://console.groq.com/keys and update the key source.',
    forbidden:
      'The key works but may not do this: check the model and the organisation’s access at https://console.groq.com.',
    quota_exceeded:
      'The organisation behind this key reached the spend limit it set: raise it under Settings, Billing, Limits at https://console.groq.com/settings/billing.',
  },
  classify(failure, hints): FailureClass | undefined {
    // A spend limit reached: Groq's 400 with this code, not OpenAI's 429 insufficient_quota.
    if (failure.status === 400 && failure.code === 'blocked_api_access') {
      return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: hints.quota_exceeded };
    }
    // An organisation Groq restricted: the key is fine, the account may not call the API.
    if (failure.status === 400 && failure.code === 'organization_restricted') {
      return { outcome: 'forbidden', reason: 'forbidden', hint: hints.forbidden };
    }
    return undefined;
  },
});
