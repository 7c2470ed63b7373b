/**
 * xAI (Grok), through the official `openai` SDK with xAI's base URL. `createClient('xai')`
 * returns an `OpenAI` client that talks to `https://api.x.ai/v1`.
 *
 * xAI's error bodies differ from OpenAI's: `{ "code": "…", "error": "…" }` with a string
 * `error`. From public reports (not verified live): a bad key is a 400 ("Incorrect API key
 * provided") or a 401, and an exhausted credit balance or spending limit is a 403 that says so.
 * @module
 */

import { openAICompatible } from './openai-compatible.js';
import type { FailureClass, KeyIdentity } from './types.js';

const BAD_KEY = /incorrect api key|invalid api key|api key (is )?(invalid|not valid)|no api key/i;
const OUT_OF_CREDIT = /credits?|spending limit|billing|quota/i;

/** The xAI adapter. */
export const xai = openAICompatible({
  id: 'xai',
  defaultBaseURL: 'https://api.x.ai/v1',
  hints: {
    unauthorized:
      'The key is wrong, revoked or expired: create a new one at https://console.x.ai and update the key source.',
    forbidden:
      "The key works but may not do this: check the key's ACLs (allowed endpoints and models) at https://console.x.ai.",
    quota_exceeded:
      'The team behind this key is out of credits or at its spending limit: buy credits or raise the limit at https://console.x.ai.',
  },
  classify(failure, hints): FailureClass | undefined {
    const message = failure.message ?? '';
    if (failure.status === 400 && BAD_KEY.test(message)) {
      return { outcome: 'unauthorized', reason: 'unauthorized', hint: hints.unauthorized };
    }
    if (failure.status === 403 && OUT_OF_CREDIT.test(message)) {
      return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: hints.quota_exceeded };
    }
    return undefined;
  },
  async verify(sdk): Promise<KeyIdentity> {
    // GET /api-key describes the key itself: its name, team and whether it is blocked.
    const info = (await sdk.get('/api-key')) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const acls = Array.isArray(info['acls']) ? info['acls'].filter((acl) => typeof acl === 'string') : [];
    return {
      name: text(info['name']),
      team: text(info['team_id']),
      user: text(info['user_id']),
      keyId: text(info['api_key_id']),
      blocked: info['api_key_blocked'] === true || info['team_blocked'] === true,
      acls: acls.join(','),
    };
  },
});
