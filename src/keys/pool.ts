/**
 * `keys.pool()`: several keys behind one client. A pool is a key source (its `resolve()` gives the
 * first member that has a key, as `keys.chain()` does, so it works wherever one key is read);
 * `createClient` sees that it is a pool, reads every member, and picks a key per request
 * (`instrument/key-pool.ts`): the first healthy one (`failover`) or each in turn
 * (`round-robin`), moving to the next when the provider says a key is rate limited, out of
 * credit, revoked or without access to the model.
 * @module
 */
import { CredentialError, type CredentialReason, isCredentialError } from '../errors.js';
import type { Secret } from '../secret.js';
import { env } from './env.js';
import { keyLabel } from './shapes.js';
import { from } from './spec.js';
import { KeySpecError } from './spec-error.js';
import type { KeySource, ResolveOptions } from './types.js';

/** How a pool picks the key for a request. */
export type PoolStrategy = 'failover' | 'round-robin' | 'weighted' | 'least-used' | 'budget';

const STRATEGIES: readonly PoolStrategy[] = ['failover', 'round-robin', 'weighted', 'least-used', 'budget'];

/** A member with a weight, for the `weighted` strategy. */
export interface PoolMember {
  /** The member's key source or spec string. */
  source: KeySource | string;
  /**
   * Its share of the requests under the `weighted` strategy, relative to the others' (a key of
   * weight 3 serves three requests for one of a key of weight 1). Other strategies ignore it.
   * @default 1
   */
  weight?: number | undefined;
}

/** What an `affinity` function is told about a request. */
export interface PoolRequest {
  /** What is called, e.g. `chat.completions` or `sendMessage`. */
  readonly operation: string;
  /** The model asked for, when the request names one. */
  readonly model: string | null;
  /**
   * The request's JSON body, parsed (read only when the function reads it), for the clients that
   * send through keycard's `fetch` (OpenAI, xAI, Anthropic, Slack); `undefined` for Gemini and
   * Telegram and for bodies that are not JSON.
   */
  readonly body: unknown;
}

/** Options of `keys.pool()`. */
export interface PoolOptions {
  /**
   * Keeps related requests on one key while it is healthy: a function that returns a string for
   * a request (a conversation, user or customer id), or `undefined` to let the strategy choose.
   * Requests with the same string go to the same key; when that key is left aside they move to
   * the next one, and stay there. Providers scope prompt caches to the organisation behind a key,
   * so a conversation that stays on one key keeps its cache warm.
   * @example keys.pool(members, { affinity: (request) => (request.body as { user?: string })?.user })
   */
  affinity?: ((request: PoolRequest) => string | undefined | null) | undefined;
  /**
   * How a key is picked for each request, among the keys usable for its model:
   * - `failover`: the first in the order given; the others are backups;
   * - `round-robin`: each in turn, to spread requests (and rate limits) over the keys;
   * - `weighted`: each in proportion to its `weight` (given as `{ source, weight }`), smoothly
   *   interleaved (weights 2 and 1 give A B A A B A …, not A A B A A B in bursts);
   * - `least-used`: the key with the fewest requests (or, with `leastUsedBy: 'usd'`, the least
   *   spend) in the last `usageWindowMs`, counted by every process on the ledger's store (read
   *   every `syncMs`) plus this client's requests since;
   * - `budget`: the key with the most of its budget left (`createClient`'s `budget` of scope
   *   `key`, the default scope; the client needs one), counted as `least-used` counts.
   * @default 'failover'
   */
  strategy?: PoolStrategy | undefined;
  /**
   * How long a rate-limited key is left aside when the provider's answer does not say
   * (`retry-after`, rate-limit reset headers), in milliseconds.
   * @default 10_000
   */
  cooldownMs?: number | undefined;
  /**
   * What `least-used` compares: requests, or spend in US dollars (priced events only).
   * @default 'requests'
   */
  leastUsedBy?: 'requests' | 'usd' | undefined;
  /**
   * The window `least-used` counts over, in milliseconds.
   * @default 3_600_000 (the last hour)
   */
  usageWindowMs?: number | undefined;
  /**
   * How often the client reads the key states that other processes (and other clients of the same
   * ledger) found and stored in the ledger's store, in milliseconds; `0` to neither read nor
   * share them. States are written to the store as they are found; reading them is the only
   * store traffic a pool adds, and it is never on a request's path.
   * @default 2_000
   */
  syncMs?: number | undefined;
  /**
   * How long a key out of credit (`quota_exceeded`) is left aside before it is tried again, in
   * milliseconds: credit comes back when someone adds it, which no answer announces.
   * @default 3_600_000 (an hour)
   */
  exhaustedMs?: number | undefined;
}

const POOL = Symbol.for('keycard.keyPool');

/** A key source that holds several keys: see `keys.pool()`. */
export interface KeyPool extends KeySource {
  /** The member sources, in order. */
  readonly members: readonly KeySource[];
  /** Each member's weight (1 unless given), in the same order. */
  readonly weights: readonly number[];
  /** How a key is picked for each request. */
  readonly strategy: PoolStrategy;
  /** Milliseconds a rate-limited key is left aside when the answer does not say. */
  readonly cooldownMs: number;
  /** Milliseconds a key out of credit is left aside. */
  readonly exhaustedMs: number;
  /** Milliseconds between reads of the states shared through the ledger; 0: no sharing. */
  readonly syncMs: number;
  /** What `least-used` compares. */
  readonly leastUsedBy: 'requests' | 'usd';
  /** The window `least-used` counts over, in milliseconds. */
  readonly usageWindowMs: number;
  /** The `affinity` function, if any. */
  readonly affinity: ((request: PoolRequest) => string | undefined | null) | undefined;
  readonly [POOL]: true;
}

/** Whether `value` is a pool made by `keys.pool()`. */
export function isKeyPool(value: unknown): value is KeyPool {
  return typeof value === 'object' && value !== null && (value as { [POOL]?: unknown })[POOL] === true;
}

/** Reasons that move `resolve()` on to the next member: that member has no key. */
const SKIPPED: ReadonlySet<CredentialReason> = new Set(['missing', 'source_unavailable']);

function durationOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`keys.pool(): ${name} must be a number of milliseconds, 0 or more.`);
  }
  return value;
}

/**
 * Several keys for one provider behind one client: a key per request, chosen by `strategy`,
 * and the next one when the provider answers that a key is rate limited, out of credit, revoked
 * or not allowed the model (the request is replayed on it, once per key at most). Members are
 * key sources or spec strings, each read, checked and masked as a single key is. When no key
 * can serve a request, the call fails with one `CredentialError` that names each key (masked)
 * and why. `describe()`: `pool(env:A, env:B)`.
 *
 * Providers' rate limits apply per organisation or project, and their terms forbid using many
 * accounts to get around them: pools are for redundancy, rotation and separate budgets.
 *
 * @example
 * createClient('openai', keys.pool(['env:OPENAI_KEY_TEAM_A', 'vault:///secret/openai-b#api_key']));
 * createClient('openai', 'pool:env:OPENAI_API_KEY*'); // every variable whose name starts so
 * keys.pool([{ source: 'env:KEY_A', weight: 3 }, 'env:KEY_B'], { strategy: 'weighted' });
 */
export function pool(
  members: readonly (KeySource | string | PoolMember)[],
  options: PoolOptions = {},
): KeyPool {
  if (!Array.isArray(members) || members.length === 0) {
    throw new TypeError('keys.pool() needs an array of at least one key source or spec string.');
  }
  const strategy = options.strategy ?? 'failover';
  if (!STRATEGIES.includes(strategy)) {
    throw new TypeError(`keys.pool(): strategy must be one of ${STRATEGIES.join(', ')}.`);
  }
  if (options.affinity !== undefined && typeof options.affinity !== 'function') {
    throw new TypeError('keys.pool(): affinity must be a function of the request.');
  }
  const cooldownMs = durationOption('cooldownMs', options.cooldownMs, 10_000);
  const exhaustedMs = durationOption('exhaustedMs', options.exhaustedMs, 3_600_000);
  const syncMs = durationOption('syncMs', options.syncMs, 2_000);
  const usageWindowMs = durationOption('usageWindowMs', options.usageWindowMs, 3_600_000);
  const leastUsedBy = options.leastUsedBy ?? 'requests';
  if (leastUsedBy !== 'requests' && leastUsedBy !== 'usd') {
    throw new TypeError("keys.pool(): leastUsedBy must be 'requests' or 'usd'.");
  }
  const entries = members.map((member) =>
    typeof member === 'object' && member !== null && 'source' in member && !('resolve' in member)
      ? member
      : { source: member as KeySource | string },
  );
  const weights = entries.map((entry) => {
    const weight = entry.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new TypeError('keys.pool(): a weight must be a number above 0.');
    }
    return weight;
  });
  const sources = entries.map((entry) => from(entry.source));
  const listed = sources.map((member) => member.describe()).join(', ');
  const described = strategy === 'failover' ? `pool(${listed})` : `pool(${strategy}: ${listed})`;

  return {
    [POOL]: true,
    members: sources,
    weights,
    strategy,
    cooldownMs,
    exhaustedMs,
    syncMs,
    leastUsedBy,
    usageWindowMs,
    affinity: options.affinity,
    describe: () => described,
    async resolve(resolveOptions: ResolveOptions = {}): Promise<Secret> {
      const tried: string[] = [];
      let first: CredentialError | undefined;
      for (const member of sources) {
        resolveOptions.signal?.throwIfAborted();
        try {
          return await member.resolve(resolveOptions);
        } catch (error) {
          if (!isCredentialError(error) || !SKIPPED.has(error.reason)) throw error;
          first ??= error;
          tried.push(member.describe());
        }
      }
      throw new CredentialError({
        reason: 'missing',
        message: `No ${keyLabel(resolveOptions.provider)} in any member of ${described} (tried ${tried.join(', ')}).`,
        hint: first?.hint ?? 'Provide a key through at least one member of the pool.',
        provider: resolveOptions.provider,
        source: described,
      });
    },
  };
}

/** A member that names no variable: the `env:PREFIX*` that matched none. */
function noMatch(pattern: string): KeySource {
  return {
    describe: () => `env:${pattern}`,
    resolve: async (options) => {
      throw new CredentialError({
        reason: 'missing',
        message: `No environment variable matches ${pattern}.`,
        hint: `Set one or more variables whose names start with ${pattern.slice(0, -1)}, or list the members of the pool.`,
        provider: options?.provider,
        source: `env:${pattern}`,
      });
    },
  };
}

const ENV_PREFIX = /^[A-Za-z_][A-Za-z0-9_]*\*$/;

/**
 * The `pool:` spec: members separated by commas (`pool:env:A,file:./b.key`); a member
 * `env:PREFIX*` stands for every environment variable whose name starts with PREFIX, in name
 * order, as the environment is when the spec is read.
 */
export function parsePoolSpec(rest: string): KeyPool {
  const parts = rest
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) {
    throw new KeySpecError(
      'A pool: spec lists no members.',
      'Write pool:env:OPENAI_API_KEY* (every variable whose name starts so) or pool:env:A,env:B,file:./c.key.',
    );
  }
  const members = parts.flatMap((part): (KeySource | string)[] => {
    if (!/^env:/i.test(part) || !part.endsWith('*')) return [part];
    const pattern = part.slice(4).trim();
    if (!ENV_PREFIX.test(pattern)) {
      throw new KeySpecError(
        'A pool: member env:…* is not a variable name prefix followed by *.',
        'Write pool:env:OPENAI_API_KEY* (letters, digits and _ before the *).',
      );
    }
    const prefix = pattern.slice(0, -1);
    const names = Object.keys(process.env)
      .filter((name) => name.startsWith(prefix))
      .sort();
    return names.length === 0 ? [noMatch(pattern)] : names.map((name) => env(name));
  });
  return pool(members);
}
