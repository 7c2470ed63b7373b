/**
 * The Groq simulator: OpenAI's wire format (Groq's API is OpenAI-compatible, under
 * `/openai/v1` at api.groq.com) with Groq's models and Groq's errors: a spend limit reached is a
 * 400 `blocked_api_access`, a rate limit a 429 with `retry-after`. Error texts follow Groq's docs
 * and public reports; they were not checked live.
 * @module
 */
import { compatibleSimulator } from './openai-compatible.js';
import { error } from './openai-wire.js';

const MODELS = [
  'llama-3.3-70b-versatile',
  'llama-3.1-8b-instant',
  'openai/gpt-oss-120b',
  'openai/gpt-oss-20b',
];

/** The Groq side of the simulator. */
export const groqSimulator = compatibleSimulator({
  id: 'groq',
  headers: (context) => ({ 'x-request-id': context.requestId }),
  get: {
    '/v1/models': () => ({
      object: 'list',
      data: MODELS.map((id) => ({
        id,
        object: 'model',
        created: 1_750_000_000,
        owned_by: id.startsWith('openai/') ? 'OpenAI' : 'Meta',
        active: true,
      })),
    }),
  },
  fail(fault, context) {
    switch (fault) {
      case 'unauthorized':
        return error(401, 'Invalid API Key', 'invalid_request_error', 'invalid_api_key');
      case 'forbidden':
        return error(
          403,
          `The model \`${context.model ?? 'requested'}\` is blocked at the organization level. Please have the org admin enable this model in the org settings.`,
          'invalid_request_error',
          'permission_denied',
        );
      case 'quota':
        // Groq has no prepaid credit: an organisation past its spend limit gets this 400.
        return error(
          400,
          'Organization has been blocked from API access because it reached its spend limit. Raise the limit in the billing settings to continue.',
          'invalid_request_error',
          'blocked_api_access',
        );
      case 'rate_limit':
        return error(
          429,
          `Rate limit reached for model \`${context.model ?? 'requests'}\` in organization \`org_simulated\` service tier \`on_demand\` on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 2s.`,
          'requests',
          'rate_limit_exceeded',
          null,
          {
            'retry-after': '2',
            'x-ratelimit-limit-requests': '14400',
            'x-ratelimit-remaining-requests': '0',
            'x-ratelimit-reset-requests': '2s',
          },
        );
      case 'server_error':
        return error(500, 'Internal Server Error', 'internal_server_error');
      case 'bad_json':
        return undefined;
    }
  },
});
