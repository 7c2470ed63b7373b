/**
 * DeepSeek, through the official `openai` SDK with DeepSeek's base URL.
 * `createClient('deepseek')` returns an `OpenAI` client that talks to `https://api.deepseek.com`
 * (DeepSeek's docs use it without `/v1`; both work).
 *
 * From DeepSeek's docs (first API call, error codes, user balance): a bad key is a 401
 * ("Authentication Fails"); an account without balance gets a 402 ("Insufficient Balance"); a
 * rate limit is a 429. `GET /user/balance` needs a valid key and tells whether the balance can
 * be used: `verify()` asks it. DeepSeek keys are plain `sk-` keys, which other vendors issue too,
 * so a DeepSeek key is never recognised by its shape alone.
 * @module
 */

import { openAICompatible } from './openai-compatible.js';
import type { KeyIdentity } from './types.js';

/** The DeepSeek adapter. */
export const deepseek = openAICompatible({
  id: 'deepseek',
  defaultBaseURL: 'https://api.deepseek.com',
  hints: {
    unauthorized:
      'The key is wrong, revoked or expired: create a new one at https://platform.deepseek.com/api_keys and update the key source.',
    forbidden: 'The key works but may not do this: check the account at https://platform.deepseek.com.',
    quota_exceeded:
      'The account behind this key has no balance left: top it up at https://platform.deepseek.com/top_up.',
  },
  async verify(sdk): Promise<KeyIdentity> {
    const body = (await sdk.get('/user/balance')) as Record<string, unknown> | undefined;
    const balances = Array.isArray(body?.['balance_infos']) ? body['balance_infos'] : [];
    const shown = balances
      .map((entry) => entry as Record<string, unknown>)
      .filter((entry) => typeof entry['currency'] === 'string' && typeof entry['total_balance'] === 'string')
      .map((entry) => `${entry['total_balance']} ${entry['currency']}`);
    return {
      balanceAvailable: typeof body?.['is_available'] === 'boolean' ? body['is_available'] : undefined,
      balance: shown.length > 0 ? shown.join(', ') : undefined,
    };
  },
});
