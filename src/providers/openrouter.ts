/**
 * OpenRouter, through the official `openai` SDK with OpenRouter's base URL.
 * `createClient('openrouter')` returns an `OpenAI` client that talks to
 * `https://openrouter.ai/api/v1`; models are named with their vendor (`openai/gpt-4o`).
 *
 * From OpenRouter's docs (errors, API keys): an error body is `{ "error": { "code": <the HTTP
 * status>, "message": … } }`; 401 is a bad or disabled key; 402 is a key or account without
 * credit (the key's own limit counts too); 403 is moderation flagging the input, not a problem of
 * the key; 429 a rate limit. `GET /models` is public, so it proves nothing about a key:
 * `verify()` asks `GET /key`, which describes the key (its label, limit and usage).
 * @module
 */

import { openAICompatible } from './openai-compatible.js';
import type { FailureClass, KeyIdentity } from './types.js';

/** The OpenRouter adapter. */
export const openrouter = openAICompatible({
  id: 'openrouter',
  defaultBaseURL: 'https://openrouter.ai/api/v1',
  hints: {
    unauthorized:
      'The key is wrong, disabled or deleted: create a new one at https://openrouter.ai/settings/keys and update the key source.',
    forbidden:
      'The key works but may not do this: check its settings at https://openrouter.ai/settings/keys.',
    quota_exceeded:
      'The account or this key is out of credit (a key can have its own credit limit): buy credits at https://openrouter.ai/settings/credits or raise the key’s limit at https://openrouter.ai/settings/keys.',
  },
  classify(failure): FailureClass | undefined {
    // Moderation flagged the input: the request's fault, not the key's.
    if (failure.status === 403) return { outcome: 'error' };
    return undefined;
  },
  async verify(sdk): Promise<KeyIdentity> {
    const body = (await sdk.get('/key')) as { data?: Record<string, unknown> } | undefined;
    const info = body?.data ?? {};
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
    return {
      // OpenRouter's label is the key's name, or a shortened key (`sk-or-v1-abc...xyz`): shown
      // only when it holds no part of the key.
      label: /^sk-or-/.test(text(info['label']) ?? '') ? undefined : text(info['label']),
      limit: number(info['limit']),
      limitRemaining: number(info['limit_remaining']),
      usage: number(info['usage']),
      freeTier: typeof info['is_free_tier'] === 'boolean' ? info['is_free_tier'] : undefined,
    };
  },
});
