/**
 * What every remote key store source shares (Vault, and the cloud secret stores): the key is
 * cached for a TTL, read once however many callers ask at the same moment, served from the cache
 * for a grace window (with a warning) while the store is briefly down, and read again, bypassing
 * the cache, after the provider rejected it (`fresh`). A caller's `AbortSignal` ends that caller's
 * wait only; the shared read stops when every caller has given up.
 * @module
 */
import { CredentialError } from '../../errors.js';
import type { ProviderId } from '../../providers/ids.js';
import { Secret } from '../../secret.js';
import type { KeySource, ResolveOptions } from '../types.js';
import { SingleFlight } from './single-flight.js';

/** What one read of the store returned. */
export interface RemoteRead {
  /** The key, already cleaned (`cleanKeyValue`). */
  value: string;
  /** When the key was created or last changed in the store, when it tells. */
  changedAt?: Date | undefined;
  /** A shorter cache life than the source's TTL, when the store gives one (a Vault lease). */
  ttlMs?: number | undefined;
}

/** How a remote source reads its store. */
export interface RemoteSourceSpec {
  /** `describe()` of the source, without credentials. */
  describe: string;
  /** The store's name in the grace-window warning, e.g. `Vault`, `AWS Secrets Manager`. */
  store: string;
  /** How long a read key is used before it is read again, in milliseconds. */
  ttlMs: number;
  /** How long past the TTL a cached key is still served while the store cannot be reached. */
  graceMs: number;
  /**
   * Reads the key. Throws a `CredentialError`; one marked `retryable` (network, timeout,
   * throttling, 5xx) lets a cached key be served within the grace window.
   */
  read(provider: ProviderId | undefined, signal: AbortSignal): Promise<RemoteRead>;
}

interface CacheEntry {
  secret: Secret;
  fetchedAt: number;
  ttlMs: number;
}

/** Default cache life of a key read from a remote store: 5 minutes. */
export const DEFAULT_REMOTE_TTL_MS = 5 * 60_000;
/** Default grace window while the store is down: 10 minutes past the TTL. */
export const DEFAULT_REMOTE_GRACE_MS = 10 * 60_000;
/** Default limit of one request to the store: 10 seconds. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;

/** `value`, or `fallback` when undefined; a negative or non-number is a `TypeError` naming `where`. */
export function milliseconds(
  where: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${where}: ${name} must be a number of milliseconds, 0 or more`);
  }
  return value;
}

/** A `KeySource` over `spec.read` with the cache, single flight, grace window and fresh reads. */
export function cachedRemoteSource(spec: RemoteSourceSpec): KeySource {
  let cache: CacheEntry | undefined;
  const reads = new SingleFlight<CacheEntry>();

  async function load(provider: ProviderId | undefined, signal: AbortSignal): Promise<CacheEntry> {
    const result = await spec.read(provider, signal);
    const previous = cache;
    const secret =
      previous !== undefined &&
      previous.secret.provider === provider &&
      previous.secret.reveal() === result.value
        ? previous.secret
        : new Secret(result.value, { provider, source: spec.describe, changedAt: result.changedAt });
    const entry = {
      secret,
      fetchedAt: Date.now(),
      ttlMs: result.ttlMs === undefined ? spec.ttlMs : Math.min(spec.ttlMs, result.ttlMs),
    };
    cache = entry;
    return entry;
  }

  return {
    describe: () => spec.describe,
    async resolve(options: ResolveOptions = {}): Promise<Secret> {
      const { provider, signal, fresh = false } = options;
      signal?.throwIfAborted();
      const cached = cache;
      if (!fresh && cached !== undefined && Date.now() - cached.fetchedAt < cached.ttlMs) {
        return relabel(cached.secret, provider, spec.describe);
      }
      try {
        const entry = await reads.run((shared) => load(provider, shared), signal);
        return relabel(entry.secret, provider, spec.describe);
      } catch (error) {
        const age = cached === undefined ? Number.POSITIVE_INFINITY : Date.now() - cached.fetchedAt;
        if (
          !fresh &&
          cached !== undefined &&
          age < cached.ttlMs + spec.graceMs &&
          CredentialError.is(error) &&
          error.retryable
        ) {
          warn(
            options,
            `keycard: ${spec.describe} could not be read (${error.message}); using the key read ${Math.round(age / 1000)} s ago until ${spec.store} answers again.`,
          );
          return relabel(cached.secret, provider, spec.describe);
        }
        throw error;
      }
    },
  };
}

/** The cached secret, labelled for `provider` when it was read for another. */
function relabel(secret: Secret, provider: ProviderId | undefined, source: string): Secret {
  if (provider === undefined || secret.provider === provider) return secret;
  return new Secret(secret.reveal(), { provider, source, changedAt: secret.changedAt });
}

function warn(options: ResolveOptions, message: string): void {
  if (options.onWarning !== undefined) options.onWarning(message);
  else process.emitWarning(message, { code: 'KEYCARD_STALE_KEY' });
}
