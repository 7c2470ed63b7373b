/**
 * `keys.chain()`: the first of several sources that has a key.
 * @module
 */
import { CredentialError, type CredentialReason, isCredentialError } from '../errors.js';
import type { Secret } from '../secret.js';
import { keyLabel } from './shapes.js';
import { from } from './spec.js';
import type { KeySource, ResolveOptions } from './types.js';

/**
 * Reasons that move the chain on to the next source: the source has no key at all. Any other
 * failure stops the chain: a key that is present but bad (`malformed`), or kept where others
 * can read it (`insecure_source`), is the key the user meant to use. Falling through to a later
 * source would hide the problem and could silently use another key, on another account and bill.
 */
const SKIPPED: ReadonlySet<CredentialReason> = new Set(['missing', 'source_unavailable']);

/**
 * A key from the first source that has one, tried in order. A source with no key (`missing`,
 * `source_unavailable`) is skipped; any other error stops the chain and is thrown. When no
 * source has a key, the `missing` error lists every source tried and why. Spec strings are read
 * with `keys.from()`. `describe()`: `chain(env:A, file:./k)`.
 *
 * @example
 * keys.chain(keys.env('OPENAI_API_KEY'), 'file:/run/secrets/openai');
 */
export function chain(...sources: (KeySource | string)[]): KeySource {
  if (sources.length === 0) throw new TypeError('keys.chain() needs at least one source');
  const members = sources.map((source) => from(source));
  const described = `chain(${members.map((member) => member.describe()).join(', ')})`;

  return {
    describe: () => described,
    async resolve(options: ResolveOptions = {}): Promise<Secret> {
      const tried: CredentialError[] = [];
      const names: string[] = [];
      for (const member of members) {
        options.signal?.throwIfAborted();
        try {
          return await member.resolve(options);
        } catch (error) {
          if (!isCredentialError(error) || !SKIPPED.has(error.reason)) throw error;
          tried.push(error);
          names.push(member.describe());
        }
      }
      const reasons = tried.map((error, index) => `${names[index]}: ${shortMessage(error)}`);
      throw new CredentialError({
        reason: 'missing',
        message: `No ${keyLabel(options.provider)} in any source of ${described}. Tried ${reasons.join('; ')}.`,
        hint: tried[0]?.hint ?? 'Provide the key through one of the sources.',
        provider: options.provider,
        source: described,
      });
    },
  };
}

/** A source's error message without its hint and final period. */
function shortMessage(error: CredentialError): string {
  const message = error.message.endsWith(error.hint)
    ? error.message.slice(0, -error.hint.length)
    : error.message;
  return message.trim().replace(/\.$/, '');
}
