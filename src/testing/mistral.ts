/**
 * The Mistral AI simulator: OpenAI's wire format (Mistral's chat, embeddings and model list are
 * OpenAI-compatible, under `/v1` at api.mistral.ai) with Mistral's differences:
 * - errors without OpenAI's envelope: `{ object: 'error', message, type, param, code }` at the
 *   top, and a bare `{ message: 'Unauthorized', request_id }` for a bad key;
 * - `stream_options` refused with a 422 (`extra_forbidden`), and every chat stream's usage in its
 *   last chunk, unasked;
 * - 402 for a billing condition (no credit, the monthly spending limit reached).
 * The 401, 422 and 429 bodies follow public reports of Mistral's answers; the 402, 403 and 500
 * texts are made up (Mistral documents those statuses and their causes, not their words). Usage
 * objects are OpenAI's (Mistral's own carry `prompt_tokens`, `completion_tokens` and
 * `total_tokens`). Not checked live.
 * @module
 */
import { compatibleSimulator } from './openai-compatible.js';
import { asObject, idOf, json } from './openai-wire.js';
import type { SimulatedResponse } from './types.js';

const MODELS = ['mistral-small-latest', 'mistral-large-latest', 'codestral-latest', 'mistral-embed'];

/** Mistral's error body: no envelope. */
function mistralError(
  status: number,
  message: unknown,
  type: string,
  code: string | null = null,
): SimulatedResponse {
  return json(status, { object: 'error', message, type, param: null, code });
}

/** The Mistral AI side of the simulator. */
export const mistralSimulator = compatibleSimulator({
  id: 'mistral',
  headers: () => ({}),
  usageInLastChunk: true,
  get: {
    '/v1/models': () => ({
      object: 'list',
      data: MODELS.map((id) => ({
        id,
        object: 'model',
        created: 1_750_000_000,
        owned_by: 'mistralai',
        capabilities: { completion_chat: id !== 'mistral-embed', function_calling: id !== 'mistral-embed' },
      })),
    }),
  },
  refuse(request) {
    const body = asObject(request.json);
    if (body?.['stream_options'] === undefined) return undefined;
    return mistralError(
      422,
      {
        detail: [
          {
            type: 'extra_forbidden',
            loc: ['body', 'stream_options'],
            msg: 'Extra inputs are not permitted',
            input: body['stream_options'],
          },
        ],
      },
      'invalid_request_error',
    );
  },
  fail(fault, context) {
    switch (fault) {
      case 'unauthorized':
        return json(401, {
          message: context.key === null ? 'No API key found in request' : 'Unauthorized',
          request_id: idOf(context),
        });
      case 'forbidden':
        return mistralError(
          403,
          `Your plan does not include the model ${context.model ?? 'requested'}.`,
          'invalid_request_error',
        );
      case 'quota':
        return mistralError(
          402,
          'Your organization has no credit left or reached its monthly spending limit. Add credit or raise the limit under Admin Panel > Subscriptions > Billing.',
          'invalid_request_error',
        );
      case 'rate_limit':
        return mistralError(429, 'Rate limit exceeded', 'rate_limited', '1300');
      case 'server_error':
        return mistralError(500, 'Internal server error', 'internal_server_error');
      case 'bad_json':
        return undefined;
    }
  },
});
