/**
 * Facts about the Gemini API (the Generative Language API) that hold whatever SDK talks to it:
 * base URLs and API versions, model names, usage from `usageMetadata`, and the classification of
 * Google's error answers. Both Gemini adapters use them: `gemini.ts` (`@google/generative-ai`,
 * metered per method) and `google-genai.ts` (`@google/genai`, metered through keycard's fetch),
 * so a call is read, priced and classified the same whichever SDK made it. Each hands
 * {@link geminiFailure} the HTTP status, the message and the `error.details` array of the body.
 * @module
 */

import { asObject, count } from './json.js';
import type { FailureClass, ProviderFailure, ResponseUsage } from './types.js';

/** `https://host/v1beta` → base `https://host`, version `v1beta`: the SDKs add the version themselves. */
export function splitBaseURL(baseURL: string | undefined): { baseUrl?: string; apiVersion?: string } {
  if (baseURL === undefined) return {};
  const trimmed = baseURL.replace(/\/+$/, '');
  const version = /\/(v\d+(?:alpha|beta)?)$/.exec(trimmed);
  if (version === null) return { baseUrl: trimmed };
  return { baseUrl: trimmed.slice(0, -version[0].length), apiVersion: version[1] as string };
}

/** `models/gemini-2.5-flash` → `gemini-2.5-flash`: the ledger (and price data) use bare names. */
export function bareModel(model: string | null | undefined): string | null {
  if (model === null || model === undefined || model === '') return null;
  return model.replace(/^(tunedModels|models)\//, '');
}

/**
 * `usageMetadata` in keycard's terms, as Google bills it:
 * - input: `promptTokenCount` (cached content included) plus `toolUsePromptTokenCount` (the
 *   prompts of built-in tools such as search, billed as input);
 * - cached input: `cachedContentTokenCount` (a part of the input);
 * - output: `candidatesTokenCount` plus `thoughtsTokenCount` (thinking is billed as output, and
 *   Google does not count it in the candidates);
 * - reasoning: `thoughtsTokenCount` (a part of the output).
 * A field Google did not send is `null` (not 0), except where a sum has one known part.
 */
export function geminiUsage(metadata: unknown, model: string | null): ResponseUsage {
  const fields = asObject(metadata);
  const prompt = count(fields?.['promptTokenCount']);
  const toolPrompt = count(fields?.['toolUsePromptTokenCount']);
  const candidates = count(fields?.['candidatesTokenCount']);
  const thoughts = count(fields?.['thoughtsTokenCount']);
  return {
    model: bareModel(model),
    inputTokens: prompt === null && toolPrompt === null ? null : (prompt ?? 0) + (toolPrompt ?? 0),
    cachedInputTokens: count(fields?.['cachedContentTokenCount']),
    cacheWriteTokens: null,
    outputTokens: candidates === null && thoughts === null ? null : (candidates ?? 0) + (thoughts ?? 0),
    reasoningTokens: thoughts,
  };
}

/** The `@type` suffix of a `google.rpc` error detail. */
function detailsOfType(details: readonly (Record<string, unknown> | undefined)[], type: string) {
  return details.filter((detail) => String(detail?.['@type'] ?? '').endsWith(`google.rpc.${type}`));
}

/**
 * A failure from Google's error answer (`{"error":{"code","message","status","details"}}`):
 * - `code`: the `ErrorInfo` reason (`API_KEY_INVALID`, `SERVICE_DISABLED`, `BILLING_DISABLED`, …);
 * - `type`: the violated quotas of a `QuotaFailure`, comma-separated, each `quotaId`, with
 *   ` (limit 0)` when its `quotaValue` is 0 (the tier grants nothing for this model).
 * `message` is kept for the rules that only the text tells (a leaked key, prepaid credits).
 */
export function geminiFailure(
  status: number | undefined,
  message: string | undefined,
  details: unknown,
): ProviderFailure {
  const list = Array.isArray(details) ? details.map(asObject) : [];
  const info = detailsOfType(list, 'ErrorInfo')[0];
  const quotas = detailsOfType(list, 'QuotaFailure')
    .flatMap((detail) => (Array.isArray(detail?.['violations']) ? detail['violations'] : []))
    .map(asObject)
    .flatMap((violation) => {
      const id = violation?.['quotaId'] ?? violation?.['quotaMetric'] ?? violation?.['subject'];
      if (typeof id !== 'string') return [];
      const value = violation?.['quotaValue'];
      return [value === '0' || value === 0 ? `${id} (limit 0)` : id];
    });
  return {
    status,
    code: typeof info?.['reason'] === 'string' ? info['reason'] : undefined,
    type: quotas.length > 0 ? quotas.join(',') : undefined,
    message,
  };
}

const HINTS = {
  unauthorized:
    'The API key is not valid, expired or was deleted: create a new one at https://aistudio.google.com/apikey and update the key source.',
  leaked:
    'Google blocked this API key because it was reported as leaked: delete it, create a new one at https://aistudio.google.com/apikey and update the key source.',
  forbidden:
    "The key works but may not do this: check that the Generative Language API is enabled for the key's project, that the key's API restrictions allow it, and that the model is available to the project.",
  restricted:
    "The key's restrictions (allowed APIs, IP addresses, HTTP referrers or apps) refuse this request: loosen them in the Google Cloud console or use a key meant for this use.",
  suspended:
    "Google suspended the key's project: see the notice in the Google Cloud console for that project.",
  quota:
    "The key's project used up a daily (or longer) quota for this model: wait for the reset (midnight Pacific time), use another model, or raise the limits with billing at https://aistudio.google.com/usage.",
  noQuota:
    "The key's project has no quota at all for this model on its tier: enable billing for the project (https://aistudio.google.com/usage) or use another model.",
  billing:
    "The key's project has no working billing (disabled, unavailable or out of prepaid credit): fix billing for the project in Google AI Studio or the Google Cloud console.",
};

/** Per-day (or longer) quota ids: `GenerateRequestsPerDayPerProjectPerModel-FreeTier`, … */
const LONG_QUOTA = /per ?(day|week|month|year)/i;
/** What only the message tells, when the details carry no `QuotaFailure`. */
const LONG_QUOTA_TEXT = /\bper (day|week|month|year)\b|\bdaily\b/i;
/** Google's newer quota messages: "Quota exceeded for metric: …, limit: 0, model: …". */
const NO_QUOTA_TEXT = /\blimit: 0\b/;
const BILLING_TEXT = /prepa(id|yment)|credits? (are |is )?(depleted|exhausted)|enable billing/i;
const BAD_KEY = new Set(['API_KEY_INVALID', 'API_KEY_EXPIRED']);
const RESTRICTED = /^API_KEY_.+_BLOCKED$/;

/**
 * Google's answers in keycard's reasons:
 * - **unauthorized**: HTTP 401; the `ErrorInfo` reasons `API_KEY_INVALID` and `API_KEY_EXPIRED`
 *   (Google answers a bad key with HTTP 400, not 401); a 400 "API key not valid/expired"; and the
 *   403 "Your API key was reported as leaked" (the key is dead: only a new one helps).
 * - **quota_exceeded**, the quota or billing problems waiting a minute does not fix:
 *   - a 429 whose `QuotaFailure` names a per-day, -week, -month or -year quota id, or any quota
 *     whose `quotaValue` is 0 (the tier grants nothing for this model, so no wait helps);
 *   - a 429 whose message says "limit: 0" (Google's newer "Quota exceeded for metric: …,
 *     limit: 0, model: …"), or, without a `QuotaFailure`, says "per day" or "daily";
 *   - billing: the reason `BILLING_DISABLED`, or a message about prepaid credits being used up
 *     or asking to "enable billing" (the 400 `FAILED_PRECONDITION` of a free tier that is not
 *     available in the caller's country).
 * - **forbidden**: any other 403 (`PERMISSION_DENIED`: API not enabled, key restricted,
 *   project suspended, no access to the model).
 * - Every other 429 (`RESOURCE_EXHAUSTED` per minute, with a `RetryInfo`) is a transient rate
 *   limit: it keeps the SDK's error. Note that Google's per-minute answers also say "please
 *   check your plan and billing details", so that sentence alone decides nothing.
 */
export function classifyGemini(failure: ProviderFailure): FailureClass {
  const { status } = failure;
  const code = failure.code ?? '';
  const message = failure.message ?? '';
  if (status === 403 && /reported as leaked/i.test(message)) {
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.leaked };
  }
  if (
    status === 401 ||
    BAD_KEY.has(code) ||
    (status === 400 && /api key (not valid|expired|invalid)/i.test(message))
  ) {
    return { outcome: 'unauthorized', reason: 'unauthorized', hint: HINTS.unauthorized };
  }
  if (code === 'BILLING_DISABLED' || (status !== undefined && status >= 400 && BILLING_TEXT.test(message))) {
    return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: HINTS.billing };
  }
  if (status === 429) {
    const quotas = failure.type;
    if (quotas?.includes('(limit 0)') === true || NO_QUOTA_TEXT.test(message)) {
      return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: HINTS.noQuota };
    }
    if (quotas === undefined ? LONG_QUOTA_TEXT.test(message) : LONG_QUOTA.test(quotas)) {
      return { outcome: 'quota_exceeded', reason: 'quota_exceeded', hint: HINTS.quota };
    }
    return { outcome: 'rate_limited' };
  }
  if (status === 403) {
    const hint = RESTRICTED.test(code)
      ? HINTS.restricted
      : code === 'CONSUMER_SUSPENDED'
        ? HINTS.suspended
        : HINTS.forbidden;
    return { outcome: 'forbidden', reason: 'forbidden', hint };
  }
  return { outcome: 'error' };
}
