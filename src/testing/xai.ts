/**
 * The xAI simulator: OpenAI's wire format (xAI's API is OpenAI-compatible) with xAI's models,
 * xAI's error bodies (`{ "code": "…", "error": "…" }`, a string `error`) and its key-info
 * endpoint `GET /v1/api-key`. Error texts follow public reports; they were not checked live.
 * @module
 */
import { openaiSimulator } from './openai.js';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';
import { json } from './wire.js';

/** The team every simulated xAI key belongs to. */
export const SIMULATED_XAI_TEAM = 'team-simulated';

const MODELS = ['grok-4', 'grok-4-fast', 'grok-3-mini', 'grok-code-fast-1'];

/** xAI's error envelope: a short `code` and a string `error`. */
function error(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SimulatedResponse {
  return json(status, { code, error: message }, headers);
}

function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
      // xAI answers a bad key with a 400, not a 401.
      return error(
        400,
        'Client specified an invalid argument',
        context.key === null
          ? 'No API key provided. You can obtain an API key from https://console.x.ai.'
          : `Incorrect API key provided: ${context.key.maskedId}. You can obtain an API key from https://console.x.ai.`,
      );
    case 'forbidden':
      return error(
        403,
        'The caller does not have permission to execute the specified operation',
        `The API key does not have permission to access model ${context.model ?? 'this endpoint'}.`,
      );
    case 'quota':
      // An exhausted credit balance is a 403 at xAI.
      return error(
        403,
        'The caller does not have permission to execute the specified operation',
        `Your team ${SIMULATED_XAI_TEAM} has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.`,
      );
    case 'rate_limit':
      return error(
        429,
        'Too many requests',
        'Rate limit reached for requests. Please retry after a short wait.',
        {
          'retry-after': '1',
        },
      );
    case 'server_error':
      return error(
        500,
        'Internal error',
        'The service encountered an internal error. Please try again later.',
      );
    case 'bad_json':
      return openaiSimulator.fail(fault, request, context);
  }
}

function handle(
  request: SimulatorRequest,
  context: SimulatorContext,
): SimulatedResponse | Promise<SimulatedResponse> {
  if (request.method === 'GET' && request.path === '/v1/api-key') {
    const now = new Date().toISOString();
    return json(200, {
      redacted_api_key: context.key?.maskedId ?? null,
      user_id: 'user-simulated',
      name: 'keycard simulator key',
      create_time: now,
      modify_time: now,
      modified_by: 'user-simulated',
      team_id: SIMULATED_XAI_TEAM,
      acls: ['api-key:model:*', 'api-key:endpoint:*'],
      api_key_id: context.key === null ? null : `key-${context.key.fingerprint}`,
      team_blocked: false,
      api_key_blocked: false,
      api_key_disabled: false,
    });
  }
  if (request.method === 'GET' && request.path === '/v1/models') {
    return json(200, {
      object: 'list',
      data: MODELS.map((id) => ({ id, object: 'model', created: 1_750_000_000, owned_by: 'xai' })),
    });
  }
  return openaiSimulator.handle(request, context);
}

/** The xAI side of the simulator. */
export const xaiSimulator: ProviderSimulator = {
  ...openaiSimulator,
  id: 'xai',
  commonHeaders(context) {
    return { 'x-request-id': context.requestId };
  },
  fail,
  handle,
};
