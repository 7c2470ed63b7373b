/**
 * Mistral AI, through the official `openai` SDK with Mistral's base URL. `createClient('mistral')`
 * returns an `OpenAI` client that talks to `https://api.mistral.ai/v1`.
 *
 * From Mistral's docs (error glossary, API keys, billing) and public reports, not checked live:
 * - a bad, revoked or expired key (or one of another workspace) is a 401; its body is
 *   `{"message":"Unauthorized","request_id":"…"}` or `{"detail":"Unauthorized"}`;
 * - errors have no OpenAI envelope: `{ object: 'error', message, type, param, code }` at the top,
 *   which keycard reads and hands to the SDK inside `{ error: … }` (`flatErrors`);
 * - 402 is a billing condition (no credit, the monthly spending limit reached, a failed
 *   payment): `quota_exceeded`. A monthly limit reached has also been reported as a 429 whose
 *   message speaks of the limit or quota (its exact wording is not documented): a 429 that names
 *   quota, credit, billing, a spending or usage limit or payment is `quota_exceeded`; any other
 *   429 ("Rate limit exceeded", "Service tier capacity exceeded") is a rate limit;
 * - a key past the budget of a Vibe plan is reported to get a bare 401 like a revoked key: keycard
 *   cannot tell them apart, and calls it `unauthorized`;
 * - 403: a model the workspace's plan does not include: `forbidden`;
 * - `stream_options` is refused (422 `extra_forbidden`), and every chat stream carries its usage
 *   in its last chunk unasked (Mistral's release note of 2024-01-16): keycard sends no
 *   `stream_options` and reads that chunk (`streamOptions: false`);
 * - `GET /v1/models` needs a valid key: `verify()` asks it.
 * @module
 */

import { openAICompatible } from './openai-compatible.js';
import type { FailureClass } from './types.js';

/** What a 429 says when the account, not the rate, is the limit. */
const OUT_OF_CREDIT = /quota|credit|billing|spending limit|usage limit|monthly limit|payment/i;

/** The Mistral AI adapter. */
export const mistral = openAICompatible({
  id: 'mistral',
  defaultBaseURL: 'https://api.mistral.ai/v1',
  streamOptions: false,
  flatErrors: true,
  hints: {
    unauthorized:
      'The key is wrong, revoked, expired or of another workspace: create a new one at https://console.mistral.ai/api-keys and update the key source.',
    forbidden:
      'The key works but may not do this: check the model and the workspace’s plan at https://console.mistral.ai.',
    quota_exceeded:
      'The organisation behind this key has no credit left or reached its monthly spending limit: add credit or raise the limit in the Admin Console (Subscriptions, Billing) at https://admin.mistral.ai.',
  },
  classify(failure, hints): FailureClass | undefined {
    if (failure.status === 429 && OUT_OF_CREDIT.test(failure.message ?? '')) {
      return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: hints.quota_exceeded };
    }
    return undefined;
  },
});
