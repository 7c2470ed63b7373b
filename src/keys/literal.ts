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

/** Options of `keys.literal()`. */
export interface LiteralOptions {
  /**
   * What messages call this key instead of `literal`: the name the person running the workflow
   * knows it by, e.g. `credential "OpenAI account"`. Shown in `describe()`, errors and logs.
   * @default 'literal'
   */
  label?: string | undefined;
}

/**
 * A key given directly, e.g. read by your own code from a secret store or a workflow platform's
 * credential. The value is held in a closure (nothing on the returned object shows it), cleaned
 * and checked on resolve like any other source's. `describe()`: `literal`, or the `label`. Prefer
 * `keys.env()` or `keys.file()` over keys written in code.
 *
 * @example
 * const source = keys.literal(await mySecretStore.get('openai'));
 * const fromNode = keys.literal(credentials.apiKey, { label: 'credential "OpenAI account"' });
 */
export function literal(value: string, options: LiteralOptions = {}): KeySource {
  const label = options.label;
  if (label !== undefined && (typeof label !== 'string' || label.trim() === '' || label.length > 200)) {
    throw new TypeError('keys.literal(): label must be a non-empty string of at most 200 characters');
  }
  if (
    label !== undefined &&
    typeof value === 'string' &&
    value.trim() !== '' &&
    label.includes(value.trim())
  ) {
    throw new TypeError('keys.literal(): the label must not contain the key');
  }
  const described = label?.trim() ?? LITERAL_SOURCE;
  // One Secret per provider label, so that repeated resolves return the same instance.
  const secrets = new Map<ProviderId | undefined, Secret>();
  return {
    describe: () => described,
    async resolve(resolveOptions: ResolveOptions = {}): Promise<Secret> {
      resolveOptions.signal?.throwIfAborted();
      const provider = resolveOptions.provider;
      const cached = secrets.get(provider);
      if (cached !== undefined) return cached;
      const clean = cleanKeyValue(value, { source: described, provider });
      const secret = new Secret(clean, { provider, source: described });
      secrets.set(provider, secret);
      return secret;
    },
  };
}
