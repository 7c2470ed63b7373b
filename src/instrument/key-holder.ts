/**
 * The key a client uses right now, and how it is replaced: when the provider rejects it, the
 * source is read again (once, however many requests failed at the same moment) and, if it yields
 * another valid key, requests go on with that one; `client.refresh()` forces the same read.
 * @module
 */
import type { CredentialError } from '../errors.js';
import { untilAborted } from '../keys/remote/single-flight.js';
import type { KeySource } from '../keys/types.js';
import type { BudgetExceededError } from '../ledger/budget.js';
import type { ProviderId } from '../providers/ids.js';
import type { FailureClass } from '../providers/types.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';

/**
 * After a re-read found no other key, rejections of that same key within this window do not read
 * the source again: a hundred failing calls make one read, not a hundred.
 */
const REREAD_COOLDOWN_MS = 1000;

/**
 * What the request paths (`fetch.ts`, `meter-call.ts`) need of a client's keys: one key
 * ({@link KeyHolder}) or a pool (`KeyPoolHolder`, `key-pool.ts`).
 */
export interface ClientKeys {
  /** The key of the last request (the one key, for a single key). */
  readonly current: Secret;
  /**
   * The key for a request (its `model`, and `bodyText` for a pool's affinity, are read only by a
   * pool: a plan reads the model from the body when asked); a pool throws its `allDown` error
   * when no key can serve.
   */
  pick(request: { readonly operation: string; readonly model: string | null }, bodyText?: string): Secret;
  /** Another key for the same request, not one of `tried` (fingerprints); a single key has none. */
  next(
    request: { readonly operation: string; readonly model: string | null },
    tried: ReadonlySet<string>,
    bodyText?: string,
  ): Secret | undefined;
  /**
   * Notes what the provider said about `used` (rate limited, out of credit, revoked, refused the
   * model); returns whether another key may serve the request (a pool of two keys or more).
   */
  failOver(
    used: Secret,
    verdict: FailureClass,
    model: string | null,
    retryAfterMs: number | undefined,
  ): boolean;
  /**
   * A budget of scope `key` blocked `used`: a pool leaves that key aside until the budget's period
   * ends and returns whether another key may serve; a single key returns false.
   */
  budgetBlocked(used: Secret, error: BudgetExceededError): boolean;
  /**
   * A pool's error when no key can serve a request for `model`: the `BudgetExceededError` when
   * budgets block every key, else one `CredentialError` naming each key.
   */
  allDown(model: string | null): CredentialError | BudgetExceededError;
  /** See {@link KeyHolder.refresh}. */
  refresh(rejected: string, signal?: AbortSignal): Promise<boolean>;
  /** Reads the source(s) again now; resolves to whether a key changed. */
  force(): Promise<boolean>;
}

export class KeyHolder implements ClientKeys {
  #secret: Secret;
  #rereading: Promise<boolean> | undefined;
  #lastMiss: { fingerprint: string; at: number } | undefined;
  /** Called with each key that comes into use (the first one too), e.g. for key-age warnings. */
  onKey: ((secret: Secret) => void) | undefined;

  constructor(
    secret: Secret,
    private readonly source: KeySource,
    private readonly provider: ProviderId,
    private readonly validate: (secret: Secret) => Promise<void>,
    private readonly logger: KeycardLogger,
    private readonly onWarning: ((message: string) => void) | undefined,
  ) {
    this.#secret = secret;
  }

  /** The key in use. */
  get current(): Secret {
    return this.#secret;
  }

  pick(): Secret {
    return this.#secret;
  }

  next(): Secret | undefined {
    return undefined;
  }

  failOver(): boolean {
    return false;
  }

  budgetBlocked(): boolean {
    return false;
  }

  allDown(): CredentialError {
    throw new Error('keycard: allDown() is for a key pool');
  }

  /**
   * Called after the provider rejected the key with fingerprint `rejected`. Resolves to whether
   * another key is now in use (read from the source, or already swapped in by a concurrent call).
   * A source that cannot be read is logged. `signal` (the request's: the SDK's timeout or the
   * caller's abort) ends this caller's wait only, rejecting with its reason: the read is shared,
   * and goes on for the other callers.
   */
  refresh(rejected: string, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const read = this.#refresh(rejected);
    return signal === undefined ? read : untilAborted(read, signal);
  }

  #refresh(rejected: string): Promise<boolean> {
    if (this.#secret.fingerprint !== rejected) return Promise.resolve(true);
    const miss = this.#lastMiss;
    if (miss !== undefined && miss.fingerprint === rejected && Date.now() - miss.at < REREAD_COOLDOWN_MS) {
      return Promise.resolve(false);
    }
    return this.#reread().then(
      (changed) => {
        if (changed) return true;
        this.#lastMiss = { fingerprint: rejected, at: Date.now() };
        return this.#secret.fingerprint !== rejected;
      },
      (error: unknown) => {
        this.#lastMiss = { fingerprint: rejected, at: Date.now() };
        this.logger.warn(
          `keycard: ${this.provider} key was rejected and ${this.source.describe()} could not be read again`,
          {
            provider: this.provider,
            source: this.source.describe(),
            error: error instanceof Error ? error.message : String(error),
          },
        );
        return false;
      },
    );
  }

  /**
   * Reads the source again now, bypassing its cache; rejects when it cannot be read or the key
   * it holds is not valid. Resolves to whether the key in use changed.
   */
  force(): Promise<boolean> {
    return this.#reread();
  }

  /** One read at a time: concurrent callers share it. */
  #reread(): Promise<boolean> {
    this.#rereading ??= this.#read().finally(() => {
      this.#rereading = undefined;
    });
    return this.#rereading;
  }

  async #read(): Promise<boolean> {
    const fresh = await this.source.resolve({
      provider: this.provider,
      fresh: true,
      onWarning: this.onWarning,
    });
    await this.validate(fresh);
    const previous = this.#secret;
    if (fresh.fingerprint === previous.fingerprint) return false;
    this.#secret = fresh;
    this.#lastMiss = undefined;
    this.logger.info(`keycard: ${this.provider} key rotated from ${previous.maskedId} to ${fresh.maskedId}`, {
      provider: this.provider,
      source: this.source.describe(),
      previous: previous.fingerprint,
      fingerprint: fresh.fingerprint,
    });
    this.onKey?.(fresh);
    return true;
  }
}
