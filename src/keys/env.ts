/**
 * `keys.env()`: a key read from environment variables, on every resolve, so that changing the
 * variable rotates the key.
 * @module
 */
import { CredentialError } from '../errors.js';
import { PROVIDERS, type ProviderId } from '../providers/ids.js';
import { Secret } from '../secret.js';
import { cleanKeyValue, isBlankKeyValue, misplacedKeyError } from './clean.js';
import { keyLabel, keyOrigin, looksLikeKey } from './shapes.js';
import type { KeySource, ResolveOptions } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What `describe()` says when no names were given: the provider's defaults, known at resolve time. */
export const ENV_PROVIDER_DEFAULT = 'env:<provider default>';

/**
 * A key from the first of `names` that is set and not empty, read from `process.env` on every
 * resolve. With no names, the provider's default variables are used (`OPENAI_API_KEY`,
 * `GEMINI_API_KEY` then `GOOGLE_API_KEY`, …). A variable that is set but empty is skipped, and
 * the error says so. `describe()`: `env:OPENAI_API_KEY`, `env:GEMINI_API_KEY|GOOGLE_API_KEY`, or
 * `env:<provider default>`.
 *
 * @example
 * const source = keys.env('OPENAI_API_KEY');
 * const secret = await source.resolve({ provider: 'openai' });
 */
export function env(...names: string[]): KeySource {
  for (const name of names) {
    // A key checked first: many keys (AIza…, hex) are also valid variable names.
    if (typeof name === 'string' && looksLikeKey(name)) {
      throw misplacedKeyError(
        'an environment variable name',
        "Pass the variable's name, e.g. keys.env('OPENAI_API_KEY'), or use keys.literal(value) for a key held in code.",
        'keys.env()',
      );
    }
    if (typeof name === 'string' && ENV_NAME.test(name)) continue;
    throw new TypeError(
      'keys.env(): a variable name has letters, digits and _ only, and does not start with a digit (the name given is not shown)',
    );
  }
  const described = names.length === 0 ? ENV_PROVIDER_DEFAULT : `env:${names.join('|')}`;
  // The last value read and its Secret: an unchanged value gives the same Secret instance.
  let last: { value: string; provider: ProviderId | undefined; source: string; secret: Secret } | undefined;

  return {
    describe: () => described,
    async resolve(options: ResolveOptions = {}): Promise<Secret> {
      options.signal?.throwIfAborted();
      const provider = options.provider;
      const candidates = names.length > 0 ? names : provider === undefined ? [] : PROVIDERS[provider].envVars;
      if (candidates.length === 0) {
        throw new CredentialError({
          reason: 'missing',
          message:
            'keys.env() was given no variable name and no provider to take the default variables from.',
          hint: "Name the variable, e.g. keys.env('MY_API_KEY'), or use it with createClient(provider, …).",
          source: described,
        });
      }
      // With no names given, the Secret and errors name the variables actually read.
      const source = `env:${candidates.join('|')}`;
      const empty: string[] = [];
      for (const name of candidates) {
        const raw = process.env[name];
        if (raw === undefined) continue;
        if (isBlankKeyValue(raw)) {
          empty.push(name);
          continue;
        }
        const value = cleanKeyValue(raw, { source, provider, origin: `env:${name}` });
        if (
          last !== undefined &&
          last.value === value &&
          last.provider === provider &&
          last.source === source
        ) {
          return last.secret;
        }
        const secret = new Secret(value, { provider, source });
        last = { value, provider, source, secret };
        return secret;
      }
      throw missingError(candidates, empty, provider, source);
    },
  };
}

/** `A`, `A or B`, `A, B or C`. */
function either(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function missingError(
  candidates: readonly string[],
  empty: readonly string[],
  provider: ProviderId | undefined,
  source: string,
): CredentialError {
  const unset = candidates.filter((name) => !empty.includes(name));
  const parts: string[] = [];
  if (empty.length > 0) {
    parts.push(
      `${either(empty)} ${empty.length === 1 ? 'is' : 'are'} set but empty (often a CI secret or .env entry that was never filled in)`,
    );
  }
  if (unset.length === 1) parts.push(`${unset[0]} is not set`);
  else if (unset.length === 2) parts.push(`neither ${unset[0]} nor ${unset[1]} is set`);
  else if (unset.length > 2) parts.push(`none of ${unset.join(', ')} is set`);
  const [first, ...rest] = candidates;
  const others = rest.length > 0 ? ` (or ${either(rest)})` : '';
  return new CredentialError({
    reason: 'missing',
    message: `No ${keyLabel(provider)} in ${source}: ${parts.join(', and ')}.`,
    hint: `Set ${first}${others} to ${keyOrigin(provider)}.`,
    provider,
    source,
  });
}
