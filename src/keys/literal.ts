/**
 * `keys.literal()`: a key given as a value, cleaned and checked like a key from any source.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import { Secret } from '../secret.js';
import { cleanKeyValue } from './clean.js';
import type { KeySource, ResolveOptions } from './types.js';

/** What `describe()` of a literal source says: never the value. */
export const LITERAL_SOURCE = 'literal';

/**
 * A key given directly, e.g. read by your own code from a secret store. The value is held in a
 * closure (nothing on the returned object shows it), cleaned and checked on resolve like any
 * other source's. `describe()`: `literal`. Prefer `keys.env()` or `keys.file()` over keys written
 * in code.
 *
 * @example
 * const source = keys.literal(await mySecretStore.get('openai'));
 */
export function literal(value: string): KeySource {
  // One Secret per provider label, so that repeated resolves return the same instance.
  const secrets = new Map<ProviderId | undefined, Secret>();
  return {
    describe: () => LITERAL_SOURCE,
    async resolve(options: ResolveOptions = {}): Promise<Secret> {
      options.signal?.throwIfAborted();
      const provider = options.provider;
      const cached = secrets.get(provider);
      if (cached !== undefined) return cached;
      const clean = cleanKeyValue(value, { source: LITERAL_SOURCE, provider });
      const secret = new Secret(clean, { provider, source: LITERAL_SOURCE });
      secrets.set(provider, secret);
      return secret;
    },
  };
}
