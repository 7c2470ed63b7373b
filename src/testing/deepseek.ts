/**
 * The DeepSeek simulator: OpenAI's wire format (DeepSeek's API is OpenAI-compatible) with
 * DeepSeek's models and errors (401 "Authentication Fails", 402 "Insufficient Balance", 429
 * "Rate Limit Reached") and `GET /user/balance`. DeepSeek documents no 403: the `forbidden`
 * fault answers the closest, a 403 in OpenAI's envelope. Texts follow DeepSeek's docs and public
 * reports; not checked live.
 * @module
 */
import { compatibleSimulator } from './openai-compatible.js';
import { error } from './openai-wire.js';

const MODELS = ['deepseek-chat', 'deepseek-reasoner'];

/** The DeepSeek side of the simulator. */
export const deepseekSimulator = compatibleSimulator({
  id: 'deepseek',
  headers: (context) => ({ 'x-ds-trace-id': context.requestId }),
  get: {
    '/v1/models': () => ({
      object: 'list',
      data: MODELS.map((id) => ({ id, object: 'model', owned_by: 'deepseek' })),
    }),
    '/v1/user/balance': () => ({
      is_available: true,
      balance_infos: [
        { currency: 'USD', total_balance: '12.50', granted_balance: '0.00', topped_up_balance: '12.50' },
      ],
    }),
  },
  fail(fault, context) {
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
        return undefined;
    }
  },
});
