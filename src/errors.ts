/**
 * keycard's errors. `CredentialError` is the one error for every bad-key case, with the same
 * `reason` values for every provider. Guards work across duplicate copies of the package.
 * @module
 */
import type { ProviderId } from './providers/ids.js';
import { redactError, redactText } from './redact/redactor.js';

const KEYCARD_MARKER = Symbol.for('keycard.error');
const CREDENTIAL_MARKER = Symbol.for('keycard.error.CredentialError');

function hasMarker(value: unknown, marker: symbol): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    marker in value &&
    (value as Record<symbol, unknown>)[marker] === true
  );
}

/** Options common to every keycard error. */
export interface KeycardErrorOptions {
  /** The original error, redacted before it is kept. */
  cause?: unknown;
}

function redactCause(cause: unknown): unknown {
  if (cause instanceof Error) return redactError(cause);
  if (typeof cause === 'string') return redactText(cause);
  return cause;
}

/**
 * The base of every error keycard throws itself. SDK errors that are not about the key keep
 * their own classes (with secrets redacted) and are deliberately *not* `KeycardError`s.
 */
export class KeycardError extends Error {
  constructor(message: string, options: KeycardErrorOptions = {}) {
    super(
      redactText(message),
      options.cause === undefined ? undefined : { cause: redactCause(options.cause) },
    );
  }

  /** Whether `value` is a `KeycardError` from any copy of keycard. */
  static is(value: unknown): value is KeycardError {
    return hasMarker(value, KEYCARD_MARKER);
  }

  /**
   * `instanceof KeycardError` and `instanceof CredentialError` check the marker, so they hold for
   * errors of another copy of keycard and for SDK errors that are also credential errors
   * (`OpenAI.AuthenticationError`, …). Other subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of `instanceof`: subclasses inherit this method.
    // biome-ignore lint/complexity/noUselessThisAlias: one alias, typed for the comparisons below
    // biome-ignore lint/complexity/noThisInStatic: the subclass, not KeycardError, is meant
    const type: unknown = this;
    if (type === KeycardError) return hasMarker(value, KEYCARD_MARKER);
    if (type === CredentialError) return hasMarker(value, CREDENTIAL_MARKER);
    return Function.prototype[Symbol.hasInstance].call(type as () => void, value);
  }
}
// On the prototype, not as a field: an own symbol property would show in every util.inspect.
Object.defineProperty(KeycardError.prototype, KEYCARD_MARKER, { value: true });
Object.defineProperty(KeycardError.prototype, 'name', {
  value: 'KeycardError',
  writable: true,
  configurable: true,
});

/**
 * Why a key could not be used. A stable contract: these values are never renamed.
 *
 * | reason | when |
 * |---|---|
 * | `missing` | no key: unset or empty variable, missing field, nothing in a chain |
 * | `malformed` | the value cannot be a key of this provider (whitespace, placeholder, wrong shape) |
 * | `wrong_provider` | the value is a key of another provider |
 * | `unauthorized` | the provider rejected the key (invalid, revoked, expired) |
 * | `forbidden` | the key is valid but lacks a permission, scope or model access |
 * | `quota_exceeded` | the key's billing quota or credit is used up |
 * | `source_unavailable` | the source could not be read (missing file, unreachable store) |
 * | `insecure_source` | the source is readable by others or would send the key in clear |
 */
export type CredentialReason =
  | 'missing'
  | 'malformed'
  | 'wrong_provider'
  | 'unauthorized'
  | 'forbidden'
  | 'quota_exceeded'
  | 'source_unavailable'
  | 'insecure_source';

/** Every `CredentialReason`, in documentation order. */
export const CREDENTIAL_REASONS: readonly CredentialReason[] = [
  'missing',
  'malformed',
  'wrong_provider',
  'unauthorized',
  'forbidden',
  'quota_exceeded',
  'source_unavailable',
  'insecure_source',
];

/** What a `CredentialError` is built from. */
export interface CredentialErrorOptions extends KeycardErrorOptions {
  /** Why the key could not be used. */
  reason: CredentialReason;
  /** What went wrong, for people. Never contains the key. */
  message: string;
  /** What to do about it, in one sentence. */
  hint: string;
  /** The provider the key was meant for. */
  provider?: ProviderId | undefined;
  /** Where the key came from (the source's `describe()`). */
  source?: string | undefined;
  /** The key's masked id, when a key was read. */
  maskedId?: string | undefined;
  /** The key's fingerprint, when a key was read. */
  fingerprint?: string | undefined;
  /** The HTTP status, when the provider answered. */
  status?: number | undefined;
  /** The provider's request id, when it sent one. */
  requestId?: string | undefined;
  /** Whether trying again later may succeed (a source that is briefly unreachable). */
  retryable?: boolean | undefined;
}

/**
 * What every credential error carries, whatever its class: a keycard `CredentialError` raised
 * before any call, or an SDK's own error (`OpenAI.AuthenticationError`, …) that a call rejected
 * with and keycard marked as a credential error.
 */
export interface CredentialFields {
  /** Why the key could not be used: the stable field to branch on. */
  readonly reason: CredentialReason;
  /** What to do about it, in one sentence. */
  readonly hint: string;
  /** The provider the key was meant for. */
  readonly provider: ProviderId | undefined;
  /** Where the key came from, e.g. `env:OPENAI_API_KEY`. */
  readonly source: string | undefined;
  /** The key's masked id, e.g. `sk-proj-****wxyz`, when a key was read. */
  readonly maskedId: string | undefined;
  /** The key's fingerprint, when a key was read. */
  readonly fingerprint: string | undefined;
  /** The HTTP status, when the provider answered. */
  readonly status: number | undefined;
  /** The provider's request id, when it sent one: quote it to their support. */
  readonly requestId: string | undefined;
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;
}

/**
 * An SDK's own error (`E`) that is also a credential error: what a call through `client.sdk`
 * rejects with when the provider's answer is about the key. `instanceof` the SDK's class and
 * `instanceof CredentialError` both hold.
 */
export type SdkCredentialError<E extends Error = Error> = E & CredentialFields;

function credentialJson(error: Error & CredentialFields): Record<string, unknown> {
  const cause =
    error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
  return {
    name: error.name,
    message: error.message,
    reason: error.reason,
    hint: error.hint,
    provider: error.provider,
    source: error.source,
    maskedId: error.maskedId,
    fingerprint: error.fingerprint,
    status: error.status,
    requestId: error.requestId,
    retryable: error.retryable,
    cause,
  };
}

/**
 * The one error for every bad-key case, the same for every provider.
 *
 * @example
 * try {
 *   await createClient('openai', 'env:OPENAI_API_KEY');
 * } catch (error) {
 *   if (isCredentialError(error) && error.reason === 'missing') console.error(error.hint);
 * }
 */
export class CredentialError extends KeycardError implements CredentialFields {
  /** Why the key could not be used: the stable field to branch on. */
  readonly reason: CredentialReason;
  /** What to do about it, in one sentence. */
  readonly hint: string;
  /** The provider the key was meant for. */
  readonly provider: ProviderId | undefined;
  /** Where the key came from, e.g. `env:OPENAI_API_KEY`. */
  readonly source: string | undefined;
  /** The key's masked id, e.g. `sk-proj-****wxyz`, when a key was read. */
  readonly maskedId: string | undefined;
  /** The key's fingerprint, when a key was read. */
  readonly fingerprint: string | undefined;
  /** The HTTP status, when the provider answered. */
  readonly status: number | undefined;
  /** The provider's request id, when it sent one: quote it to their support. */
  readonly requestId: string | undefined;
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;

  constructor(options: CredentialErrorOptions) {
    const hint = redactText(options.hint);
    super(`${options.message.trimEnd()} ${hint}`.trim(), { cause: options.cause });
    this.reason = options.reason;
    this.hint = hint;
    this.provider = options.provider;
    this.source = options.source;
    this.maskedId = options.maskedId;
    this.fingerprint = options.fingerprint;
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryable = options.retryable ?? false;
  }

  /** Whether `value` is a `CredentialError` from any copy of keycard. */
  static override is(value: unknown): value is CredentialError {
    return hasMarker(value, CREDENTIAL_MARKER);
  }

  /** The fields that matter, for loggers that serialise errors with `JSON.stringify`. */
  toJSON(): Record<string, unknown> {
    return credentialJson(this);
  }
}
Object.defineProperty(CredentialError.prototype, CREDENTIAL_MARKER, { value: true });
Object.defineProperty(CredentialError.prototype, 'name', {
  value: 'CredentialError',
  writable: true,
  configurable: true,
});

/**
 * Makes `error`, a redacted copy of an SDK's error, a credential error as well: it keeps its
 * class (and `status`, `headers`, `requestID`, …) and gains the markers, `reason`, `hint` and the
 * key's ids. The message becomes keycard's (what happened and what to do); `cause` is the SDK's
 * original error, redacted. Changes `error` and returns it.
 * @internal
 */
export function markCredentialError<E extends Error>(
  error: E,
  options: CredentialErrorOptions,
): SdkCredentialError<E> {
  const hint = redactText(options.hint);
  const message = redactText(`${options.message.trimEnd()} ${hint}`.trim());
  const stack = error.stack;
  const frames = stack === undefined ? -1 : stack.search(/\n\s+at /);
  const hidden = (value: unknown) => ({ value, enumerable: false, writable: true, configurable: true });
  const shown = (value: unknown) => ({ value, enumerable: true, writable: true, configurable: true });
  const existingStatus = (error as { status?: unknown }).status;
  Object.defineProperties(error, {
    [KEYCARD_MARKER]: { value: true, enumerable: false, configurable: true },
    [CREDENTIAL_MARKER]: { value: true, enumerable: false, configurable: true },
    message: hidden(message),
    ...(stack === undefined
      ? {}
      : { stack: hidden(`${error.name}: ${message}${frames === -1 ? '' : stack.slice(frames)}`) }),
    ...(options.cause === undefined ? {} : { cause: hidden(redactCause(options.cause)) }),
    reason: shown(options.reason),
    hint: shown(hint),
    provider: shown(options.provider),
    source: shown(options.source),
    maskedId: shown(options.maskedId),
    fingerprint: shown(options.fingerprint),
    status: shown(typeof existingStatus === 'number' ? existingStatus : options.status),
    requestId: shown(options.requestId),
    retryable: shown(options.retryable ?? false),
    toJSON: hidden(function toJSON(this: Error & CredentialFields) {
      return credentialJson(this);
    }),
  });
  return error as SdkCredentialError<E>;
}

/** Whether `value` is a `CredentialError` from any copy of keycard. Same as `CredentialError.is`. */
export function isCredentialError(value: unknown): value is CredentialError {
  return CredentialError.is(value);
}

/** Whether `value` is any error keycard threw itself. Same as `KeycardError.is`. */
export function isKeycardError(value: unknown): value is KeycardError {
  return KeycardError.is(value);
}
