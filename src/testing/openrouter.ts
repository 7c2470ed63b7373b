/**
 * The OpenRouter simulator: OpenAI's wire format (OpenRouter's API is OpenAI-compatible, under
 * `/api/v1` at openrouter.ai) with vendor-named models, OpenRouter's error envelope
 * (`{ "error": { "code": <status>, "message": … } }`), a 402 for no credit, a 403 for moderation,
 * `GET /v1/key`, and the `: OPENROUTER PROCESSING` comment it sends before a stream's first event.
 * Texts follow OpenRouter's docs; they were not checked live.
 * @module
 */
import { compatibleSimulator } from './openai-compatible.js';
import { json } from './openai-wire.js';
import type { SimulatedResponse } from './types.js';

const MODELS = [
  'openai/gpt-4o-mini',
  'openai/gpt-4o',
  'anthropic/claude-sonnet-4',
  'google/gemini-2.5-flash',
];

/** OpenRouter's error envelope: the HTTP status again as `code`. */
function error(
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): SimulatedResponse {
  return json(status, { error: { code: status, message, ...extra } }, headers);
}

/** The OpenRouter side of the simulator. */
export const openrouterSimulator = compatibleSimulator({
  id: 'openrouter',
  headers: (context) => ({ 'x-generation-id': `gen-${context.requestId}` }),
  streamPreamble: [': OPENROUTER PROCESSING\n\n'],
  get: {
    '/v1/models': () => ({
      data: MODELS.map((id) => ({ id, name: id, created: 1_750_000_000, context_length: 128_000 })),
    }),
    '/v1/key': () => ({
      data: {
        label: 'keycard simulator key',
        limit: 20,
        limit_remaining: 17.5,
        limit_reset: 'monthly',
        usage: 2.5,
        usage_daily: 0.5,
        is_free_tier: false,
        is_management_key: false,
      },
    }),
  },
  fail(fault, context) {
    switch (fault) {
      case 'unauthorized':
        return error(401, context.key === null ? 'No auth credentials found' : 'User not found.');
      case 'forbidden':
        // OpenRouter's 403 is moderation, the closest it has: the input, not the key.
        return error(
          403,
          `${context.model ?? 'The model'} requires moderation on OpenRouter. Your input was flagged.`,
          {
            metadata: {
              reasons: ['violence'],
              flagged_input: 'canary…',
              provider_name: 'OpenAI',
              model_slug: context.model,
            },
          },
        );
      case 'quota':
        return error(402, 'Insufficient credits. Add more using https://openrouter.ai/settings/credits');
      case 'rate_limit':
        return error(
          429,
          'Rate limit exceeded: limit_rpm/openai/gpt-4o-mini. High demand; please retry shortly.',
          {},
          { 'retry-after': '1' },
        );
      case 'server_error':
        return error(500, 'Internal Server Error');
      case 'bad_json':
        return undefined;
    }
  },
});
