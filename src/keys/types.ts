/**
 * The key source contract: where a key comes from, never what it is.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import type { Secret } from '../secret.js';

/** What `KeySource.resolve()` is told about the key it is asked for. */
export interface ResolveOptions {
  /**
   * The provider the key is for. Sources use it for defaults (the provider's env vars), for
   * messages, and to label the `Secret`.
   */
  provider?: ProviderId | undefined;
  /** Skip any cache and read the source again (used after the provider rejected a key). */
  fresh?: boolean | undefined;
  /** Aborts a slow read (a remote store). */
  signal?: AbortSignal | undefined;
  /**
   * Where a source reports a warning, such as a cached key served while its store is down.
   * `createClient` passes its logger's `warn`.
   * @default process.emitWarning
   */
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Where a key comes from. Built in: `keys.env`, `keys.file`, `keys.literal`, `keys.chain`, and
 * spec strings through `keys.from`. Implement it to read keys from anywhere else.
 *
 * @example
 * const source: KeySource = {
 *   describe: () => 'my-store:openai',
 *   resolve: async (options) => new Secret(await myStore.get('openai'), { provider: options?.provider, source: 'my-store:openai' }),
 * };
 */
export interface KeySource {
  /** Where the key comes from, e.g. `env:OPENAI_API_KEY`. Never the key itself. */
  describe(): string;
  /**
   * Reads the key. Throws a `CredentialError` (`missing`, `malformed`, `source_unavailable`,
   * `insecure_source`) naming this source when it cannot.
   */
  resolve(options?: ResolveOptions): Promise<Secret>;
}

/** Whether `value` implements `KeySource`. */
export function isKeySource(value: unknown): value is KeySource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeySource).describe === 'function' &&
    typeof (value as KeySource).resolve === 'function'
  );
}
