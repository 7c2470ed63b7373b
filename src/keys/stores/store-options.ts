/**
 * What the cloud secret store sources share around their one read: options checked the same way
 * (`field`, `cacheTtlMs`, `staleGraceMs`, `timeoutMs`) and errors built for the source. Loading
 * the store's client is `store-sdk.ts`.
 * @module
 */
import { CredentialError } from '../../errors.js';
import type { ProviderId } from '../../providers/ids.js';
import {
  DEFAULT_REMOTE_GRACE_MS,
  DEFAULT_REMOTE_TIMEOUT_MS,
  DEFAULT_REMOTE_TTL_MS,
  milliseconds,
} from '../remote/cached-source.js';

/** The options every store source takes. */
export interface StoreSourceOptions {
  field?: string | undefined;
  cacheTtlMs?: number | undefined;
  staleGraceMs?: number | undefined;
  timeoutMs?: number | undefined;
}

/** A spec parsed by a store: its field, and `describe()` as written. */
export interface StoreLocation {
  field: string | undefined;
  describe: string;
}

/** The checked options: the field (option over spec), `describe()` and the timings. */
export interface StoreSettings {
  field: string | undefined;
  described: string;
  ttlMs: number;
  graceMs: number;
  timeoutMs: number;
}

/** The cache life, grace window and time limit of a store source; a wrong one is a `TypeError`. */
export function storeTimings(
  where: string,
  options: Omit<StoreSourceOptions, 'field'>,
): { ttlMs: number; graceMs: number; timeoutMs: number } {
  return {
    ttlMs: milliseconds(where, 'cacheTtlMs', options.cacheTtlMs, DEFAULT_REMOTE_TTL_MS),
    graceMs: milliseconds(where, 'staleGraceMs', options.staleGraceMs, DEFAULT_REMOTE_GRACE_MS),
    timeoutMs: milliseconds(where, 'timeoutMs', options.timeoutMs, DEFAULT_REMOTE_TIMEOUT_MS),
  };
}

/** Checks the shared options of `where` (`keys.gcpSecretManager()`); a wrong one is a `TypeError`. */
export function storeSettings(
  where: string,
  location: StoreLocation,
  options: StoreSourceOptions,
): StoreSettings {
  if (options.field !== undefined && (typeof options.field !== 'string' || options.field.trim() === '')) {
    throw new TypeError(`${where}: field must be a non-empty string`);
  }
  const field = options.field?.trim() ?? location.field;
  return {
    field,
    described:
      field === location.field ? location.describe : `${location.describe.replace(/#.*$/, '')}#${field}`,
    ...storeTimings(where, options),
  };
}

/** Builds a store source's `CredentialError`s. */
export type StoreFailure = (
  reason: 'missing' | 'malformed' | 'source_unavailable' | 'insecure_source',
  message: string,
  hint: string,
  provider: ProviderId | undefined,
  extra?: {
    retryable?: boolean;
    status?: number | undefined;
    requestId?: string | undefined;
    cause?: unknown;
  },
) => CredentialError;

/** The `CredentialError` builder of the source `described`. */
export function storeFailure(described: string): StoreFailure {
  return (reason, message, hint, provider, extra = {}) =>
    new CredentialError({ reason, message, hint, source: described, provider, ...extra });
}
