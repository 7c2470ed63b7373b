/**
 * What leaves keycard when an SDK call fails: the SDK's own error, redacted, and also a
 * credential error (`reason`, `hint`, the key's ids) when the provider's answer is about the key;
 * or the keycard error an SDK wrapped.
 * @module
 */
import {
  type CredentialError,
  type CredentialErrorOptions,
  KeycardError,
  markCredentialError,
} from '../errors.js';
import { PROVIDERS, type ProviderId } from '../providers/ids.js';
import type { FailureClass, ProviderAdapter, ProviderFailure } from '../providers/types.js';
import { redactError } from '../redact/redactor.js';
import type { Secret } from '../secret.js';
import { findBlocked } from './budget-gate.js';

const mapped = new WeakSet<object>();

function keycardCause(error: Error): KeycardError | undefined {
  let current: unknown = error.cause;
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    const candidate: unknown = current;
    if (KeycardError.is(candidate)) return candidate;
    current = (current as Error).cause;
  }
  return undefined;
}

const WHAT_HAPPENED: Partial<Record<CredentialError['reason'], string>> = {
  unauthorized: 'rejected',
  forbidden: 'accepted but refused permission to',
  quota_exceeded: 'refused the request for lack of quota on',
};

/** Maps one thrown value; safe to call twice on the same error. */
export function mapSdkError(
  error: unknown,
  adapter: ProviderAdapter<object, unknown>,
  secret: Secret,
  source: string,
): unknown {
  if (!(error instanceof Error) || mapped.has(error) || KeycardError.is(error)) return error;
  const blocked = findBlocked(error);
  if (blocked !== undefined) return blocked;
  const wrapped = keycardCause(error);
  if (wrapped !== undefined) return wrapped;
  const failure = adapter.failureFromError(error);
  const verdict = failure === undefined ? undefined : adapter.classify(failure);
  let result: Error;
  if (failure !== undefined && verdict?.reason !== undefined) {
    // The SDK's own class stays (code written for the SDK keeps matching), and it becomes a
    // credential error too: `isCredentialError()`, `instanceof CredentialError`, reason, hint.
    result = markCredentialError(redactError(error), {
      ...credentialFailure(adapter.id, failure, verdict, secret, source),
      cause: error,
    });
  } else result = redactError(error);
  mapped.add(result);
  return result;
}

/** What a `CredentialError` says about a provider's answer about the key (`verdict.reason` set). */
export function credentialFailure(
  provider: ProviderId,
  failure: ProviderFailure,
  verdict: FailureClass,
  secret: Secret,
  source: string,
): CredentialErrorOptions {
  const info = PROVIDERS[provider];
  const reason = verdict.reason ?? 'unauthorized';
  const detail = [failure.status, failure.code ?? failure.type]
    .filter((part) => part !== undefined)
    .join(' ');
  return {
    reason,
    message: `${info.label} ${WHAT_HAPPENED[reason] ?? 'refused'} the ${info.keyNoun} ${secret.maskedId} from ${source}${detail === '' ? '' : ` (${detail})`}.`,
    hint: verdict.hint ?? `Check the ${info.keyNoun} in ${source}.`,
    provider,
    source,
    maskedId: secret.maskedId,
    fingerprint: secret.fingerprint,
    status: failure.status,
    requestId: failure.requestId,
  };
}
