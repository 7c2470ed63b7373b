/**
 * The Together AI simulator: OpenAI's wire format (Together's API is OpenAI-compatible) with
 * Together's models, its model list as a bare array, and its errors (401 `invalid_api_key`, 402
 * for the spending limit, 403 for a request longer than the model's context, 429). Texts follow
 * Together's docs and public reports; not checked live.
 * @module
 */
import { compatibleSimulator } from './openai-compatible.js';
import { error } from './openai-wire.js';

const MODELS = ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'];

/** The Together AI side of the simulator. */
export const togetherSimulator = compatibleSimulator({
  id: 'together',
  headers: (context) => ({ 'x-request-id': context.requestId }),
  get: {
    '/v1/models': () =>
      MODELS.map((id) => ({
        id,
        object: 'model',
        created: 1_750_000_000,
        type: 'chat',
        context_length: 131_072,
      })),
  },
  fail(fault, context) {
    switch (fault) {
      case 'unauthorized':
        return error(
          401,
          'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.',
          'invalid_request_error',
          'invalid_api_key',
        );
      case 'forbidden':
        // Together's 403, the closest it has: the input is too long for the model.
        return error(
          403,
          `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= 131072 for ${context.model ?? 'this model'}`,
          'invalid_request_error',
        );
      case 'quota':
        return error(
          402,
          'Credit limit exceeded. Please navigate to https://api.together.xyz/settings/billing to add credit or raise your spending limit.',
          'credit_limit',
        );
      case 'rate_limit':
        return error(
          429,
          'You have exceeded the rate limit for this model. Please retry later.',
          'rate_limit',
          null,
          null,
          {
            'retry-after': '1',
          },
        );
      case 'server_error':
        return error(500, 'Internal server error', 'server_error');
      case 'bad_json':
        return undefined;
    }
  },
});
