/**
 * Facts about the Gemini API that hold whatever SDK talks to it: usage from `usageMetadata` and
 * the classification of Google's errors. The `@google/generative-ai` adapter uses them; a
 * `@google/genai` adapter (that SDK needs Node 22) can sit beside it and import the same.
 * @module
 */

import { asObject, count } from './json.js';
import type { FailureClass, ProviderFailure, ResponseUsage } from './types.js';

/** `models/gemini-2.5-flash` → `gemini-2.5-flash`: the ledger (and price data) use bare names. */
export function bareModel(model: string | null | undefined): string | null {
  if (model === null || model === undefined || model === '') return null;
  return model.replace(/^(tunedModels|models)\//, '');
}

/**
 * `usageMetadata` in keycard's terms: `promptTokenCount` includes cached tokens; output is the
 * candidates plus the thinking tokens (`thoughtsTokenCount`), which Google bills as output.
 */
export function geminiUsage(metadata: unknown, model: string | null): ResponseUsage {
  const fields = asObject(metadata);
  const candidates = count(fields?.['candidatesTokenCount']);
  const thoughts = count(fields?.['thoughtsTokenCount']);
  return {
    model: bareModel(model),
    inputTokens: count(fields?.['promptTokenCount']),
    cachedInputTokens: count(fields?.['cachedContentTokenCount']),
    cacheWriteTokens: null,
    outputTokens: candidates === null && thoughts === null ? null : (candidates ?? 0) + (thoughts ?? 0),
    reasoningTokens: thoughts,
  };
}

/**
 * A failure from Google's error `details`: the `ErrorInfo` reason becomes `code`, and the
 * `QuotaFailure` quota ids become `type` (comma-separated).
 */
export function geminiFailure(
  status: number | undefined,
  message: string | undefined,
  details: unknown,
): ProviderFailure {
  const list = Array.isArray(details) ? details.map(asObject) : [];
  const info = list.find((detail) => String(detail?.['@type'] ?? '').endsWith('ErrorInfo'));
  const quotas = list
    .filter((detail) => String(detail?.['@type'] ?? '').endsWith('QuotaFailure'))
    .flatMap((detail) => (Array.isArray(detail?.['violations']) ? detail['violations'] : []))
    .map((violation) => asObject(violation)?.['quotaId'])
    .filter((id): id is string => typeof id === 'string');
  return {
    status,
    code: typeof info?.['reason'] === 'string' ? info['reason'] : undefined,
    type: quotas.length > 0 ? quotas.join(',') : undefined,
    message,
  };
}

const BAD_KEY = new Set(['API_KEY_INVALID', 'API_KEY_EXPIRED']);

const HINTS = {
  unauthorized:
    'The API key is not valid, expired or was revoked: create a new one at https://aistudio.google.com/apikey and update the key source.',
  forbidden:
    "The key works but may not do this: check that the Generative Language API is enabled for the key's project and that the key's API restrictions allow it.",
  quota_exceeded:
    "The key's project is out of quota for the day or its billing is not set up: check the limits and billing at https://aistudio.google.com/usage, or wait for the daily reset.",
};

/**
 * Google answers a bad key with HTTP 400 `API_KEY_INVALID`, not 401. A 429 is a quota problem
 * (`quota_exceeded`) when a violated quota is per day or per month, or the message points at
 * billing; a per-minute limit is a transient rate limit and keeps the SDK's error.
 */
export function classifyGemini(failure: ProviderFailure): FailureClass {
  const message = failure.message ?? '';
  if (
    failure.status === 401 ||
    BAD_KEY.has(failure.code ?? '') ||
    (failure.status === 400 && /api key not valid/i.test(message))
  ) {
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.unauthorized };
  }
  if (failure.status === 403) return { outcome: 'forbidden', reason: 'forbidden', hint: HINTS.forbidden };
  if (failure.status === 429) {
    const daily = /per(day|month)/i.test(failure.type ?? '');
    if (daily || /billing/i.test(message)) {
      return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: HINTS.quota_exceeded };
    }
    return { outcome: 'rate_limited' };
  }
  return { outcome: 'error' };
}
