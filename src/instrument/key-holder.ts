/**
 * The key a client uses right now, and how it is replaced when the provider rejects it: the
 * source is read again (once, however many requests failed at the same moment) and, if it
 * yields another valid key, requests go on with that one.
 * @module
 */
import type { KeySource } from '../keys/types.js';
import type { ProviderId } from '../providers/ids.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';

export class KeyHolder {
  #secret: Secret;
  #refreshing: Promise<boolean> | undefined;

  constructor(
    secret: Secret,
    private readonly source: KeySource,
    private readonly provider: ProviderId,
    private readonly validate: (secret: Secret) => Promise<void>,
    private readonly logger: KeycardLogger,
  ) {
    this.#secret = secret;
  }

  /** The key in use. */
  get current(): Secret {
    return this.#secret;
  }

  /**
   * Called after the provider rejected the key with fingerprint `rejected`. Resolves to whether
   * another key is now in use (read from the source, or already swapped in by a concurrent call).
   */
  refresh(rejected: string): Promise<boolean> {
    if (this.#secret.fingerprint !== rejected) return Promise.resolve(true);
    this.#refreshing ??= this.#reread(rejected).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #reread(rejected: string): Promise<boolean> {
    let fresh: Secret;
    try {
      fresh = await this.source.resolve({ provider: this.provider, fresh: true });
      await this.validate(fresh);
    } catch (error) {
      this.logger.warn(
        `keycard: ${this.provider} key was rejected and ${this.source.describe()} could not be read again`,
        {
          provider: this.provider,
          source: this.source.describe(),
          error: error instanceof Error ? error.message : String(error),
        },
      );
      return false;
    }
    if (fresh.fingerprint === rejected) return false;
    const previous = this.#secret;
    this.#secret = fresh;
    this.logger.info(`keycard: ${this.provider} key rotated from ${previous.maskedId} to ${fresh.maskedId}`, {
      provider: this.provider,
      source: this.source.describe(),
      previous: previous.fingerprint,
      fingerprint: fresh.fingerprint,
    });
    return true;
  }
}
