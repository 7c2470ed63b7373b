/**
 * Metering for SDKs keycard cannot give a `fetch` to (Gemini, Telegram): the adapter wraps the
 * SDK's call methods with `meter`, which times each call, records it, and replays it once with a
 * rotated key when the provider rejected the key (and, for a pool, on the next key).
 * @module
 */
import { KeycardError } from '../errors.js';
import { BudgetExceededError } from '../ledger/budget.js';
import type { UsageOutcome } from '../ledger/types.js';
import type { MeteredCall, ProviderAdapter, ResponseUsage } from '../providers/types.js';
import type { Secret } from '../secret.js';
import type { ClientKeys } from './key-holder.js';
import type { Recorder } from './recorder.js';

export interface MeterOptions {
  adapter: Pick<ProviderAdapter, 'id' | 'failureFromError' | 'classify'>;
  keys: ClientKeys;
  recorder: Recorder;
  isClosed: () => boolean;
}

export function createMeter(options: MeterOptions): <T>(call: MeteredCall<T>) => Promise<T> {
  const { adapter, keys, recorder } = options;
  return async function meter<T>(call: MeteredCall<T>): Promise<T> {
    if (options.isClosed()) throw closedError(adapter.id);
    const plan = { operation: call.operation, model: call.model };
    const stream = call.stream ?? false;
    // A pool with no key for this call throws its error here.
    let secret = keys.pick(plan);
    // Keys already re-read, and (a pool) tried, for this call: each at most once.
    let reread: Set<string> | undefined;
    let tried: Set<string> | undefined;
    /** A pool's next key for this call, after `used`; `undefined` when none is left. */
    const nextKey = (used: Secret): Secret | undefined => {
      tried ??= new Set();
      tried.add(used.fingerprint);
      return keys.next(plan, tried);
    };
    // Calls made so far, and the key of the last one that failed over (re-read or pool).
    let sent = 0;
    let replayOf: Secret | undefined;
    for (;;) {
      const time = new Date();
      const startedAt = performance.now();
      const admission = await recorder.admit(secret, call.model ?? null);
      if (admission instanceof Error) {
        // A pool: a key whose own budget is used up is left aside, and the next key tried.
        if (admission instanceof BudgetExceededError && keys.budgetBlocked(secret, admission)) {
          const next = nextKey(secret);
          if (next !== undefined) {
            secret = next;
            continue;
          }
          throw keys.allDown(call.model);
        }
        throw admission;
      }
      const used = secret;
      sent += 1;
      const finish = recorder.attempt({ plan, secret: used, time, startedAt, admission }, sent, replayOf);
      const record = (status: number | null, outcome: UsageOutcome, usage: ResponseUsage | null) =>
        finish(status, outcome, usage, stream);
      let result: T;
      try {
        result = await call.run(secret);
      } catch (error) {
        const failure = adapter.failureFromError(error);
        const verdict = failure === undefined ? undefined : adapter.classify(failure);
        record(failure?.status ?? null, verdict?.outcome ?? 'error', null);
        if (verdict === undefined) throw error;
        if (verdict.reason === 'unauthorized' && reread?.has(secret.fingerprint) !== true) {
          reread ??= new Set();
          reread.add(secret.fingerprint);
          if (await keys.refresh(secret.fingerprint, call.signal)) {
            secret = keys.current;
            reread.add(secret.fingerprint);
            replayOf = used;
            continue;
          }
        }
        // A pool: the key is left aside and the call replayed on the next key, once per key.
        if (keys.failOver(secret, verdict, call.model, undefined)) {
          const next = nextKey(secret);
          if (next !== undefined) {
            secret = next;
            replayOf = used;
            continue;
          }
          if (verdict.reason !== undefined) throw keys.allDown(call.model);
        }
        throw error;
      }
      let usage: ResponseUsage | null | Promise<ResponseUsage | null> = null;
      try {
        usage = call.usage?.(result) ?? null;
      } catch {
        usage = null;
      }
      if (usage instanceof Promise) {
        // A stream: recorded when it ends; a stream that breaks is recorded as failed.
        usage.then(
          (read) => record(200, 'ok', read),
          () => record(null, 'error', null),
        );
      } else record(200, 'ok', usage);
      return result;
    }
  };
}

export function closedError(provider: string): KeycardError {
  return new KeycardError(
    `keycard: this ${provider} client was closed. Create a new client with createClient().`,
  );
}
