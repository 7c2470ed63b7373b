/**
 * The DeepSeek simulator: OpenAI's wire format (DeepSeek's API is OpenAI-compatible) with
 * DeepSeek's models and errors (401 "Authentication Fails", 402 "Insufficient Balance", 429
 * "Rate Limit Reached") and `GET /user/balance`. No `openai-organization` or `openai-project`
 * headers. DeepSeek documents no 403: the `forbidden` fault answers the closest, a 403 in
 * OpenAI's envelope. Texts follow DeepSeek's docs and public reports; not checked live.
 * @module
 */
import { openaiSimulator } from './openai.js';
import { error, json, withoutOpenAIHeaders } from './openai-wire.js';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';

const MODELS = ['deepseek-chat', 'deepseek-reasoner'];

function fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse {
  switch (fault) {
    case 'unauthorized':
      return error(
        401,
        context.key === null
          ? 'Authentication Fails (no such user)'
          : `Authentication Fails, Your api key: ****${context.key.maskedId.slice(-4)} is invalid`,
        'authentication_error',
        'invalid_request_error',
      );
    case 'forbidden':
      return error(403, 'Permission denied for this model', 'permission_error', 'invalid_request_error');
    case 'quota':
      return error(402, 'Insufficient Balance', 'unknown_error', 'invalid_request_error');
    case 'rate_limit':
      return error(429, 'Rate Limit Reached', 'rate_limit_error', 'invalid_request_error', null, {
        'retry-after': '1',
      });
    case 'server_error':
      return error(500, 'Server Error', 'server_error', 'invalid_request_error');
    case 'bad_json':
      return withoutOpenAIHeaders(openaiSimulator.fail(fault, request, context));
  }
}

async function handle(request: SimulatorRequest, context: SimulatorContext): Promise<SimulatedResponse> {
  if (request.method === 'GET' && request.path === '/v1/user/balance') {
    return json(200, {
      is_available: true,
      balance_infos: [
        { currency: 'USD', total_balance: '12.50', granted_balance: '0.00', topped_up_balance: '12.50' },
      ],
    });
  }
  if (request.method === 'GET' && request.path === '/v1/models') {
    return json(200, {
      object: 'list',
      data: MODELS.map((id) => ({ id, object: 'model', owned_by: 'deepseek' })),
    });
  }
  return withoutOpenAIHeaders(await openaiSimulator.handle(request, context));
}

/** The DeepSeek side of the simulator. */
export const deepseekSimulator: ProviderSimulator = {
  ...openaiSimulator,
  id: 'deepseek',
  commonHeaders(context) {
    return { 'x-ds-trace-id': context.requestId };
  },
  fail,
  handle,
};
