/**
 * `callbackLedger(onEvent)`: a ledger that hands each usage event to a function and keeps none,
 * for platforms where keycard may not write files (a workflow node that forwards usage to the
 * platform's own logging or metrics). Budgets need one of keycard's ledgers (`memoryLedger()`).
 * @module
 */
import { redactText } from '../redact/redactor.js';
import { pendingSettled } from './pending.js';
import type { KeyUsage, Ledger, TotalsRow, UsageEvent } from './types.js';

/** Options of `callbackLedger`. */
export interface CallbackLedgerOptions {
  /**
   * Called when `onEvent` throws or its promise rejects. The event is not retried.
   * @default a process warning, code `KEYCARD_LEDGER_CALLBACK_FAILED`
   */
  onError?: ((error: unknown, event: UsageEvent) => void) | undefined;
}

/**
 * A ledger that calls `onEvent` with each usage event (a copy) and keeps nothing: `totals()`,
 * `events()` and `keys()` are empty. `flush()` waits for the events being recorded and the promises `onEvent` returned.
 * @example createClient('openai', keys.literal(apiKey), { sdk: OpenAI, ledger: callbackLedger((event) => console.log(event)) })
 */
export function callbackLedger(
  onEvent: (event: UsageEvent) => void | Promise<void>,
  options: CallbackLedgerOptions = {},
): Ledger {
  const pending = new Set<Promise<void>>();
  let closed = false;
  const failed = (error: unknown, event: UsageEvent) => {
    if (options.onError !== undefined) {
      options.onError(error, event);
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    process.emitWarning(
      `keycard: the ledger callback failed; one usage event was not recorded (${redactText(reason)})`,
      {
        code: 'KEYCARD_LEDGER_CALLBACK_FAILED',
      },
    );
  };
  return {
    record(event) {
      if (closed) return;
      const copy = { ...event, time: new Date(event.time.getTime()) };
      let result: void | Promise<void>;
      try {
        result = onEvent(copy);
      } catch (error) {
        failed(error, copy);
        return;
      }
      if (result instanceof Promise) {
        const settled = result.then(
          () => undefined,
          (error: unknown) => failed(error, copy),
        );
        pending.add(settled);
        void settled.finally(() => pending.delete(settled));
      }
    },
    async totals(): Promise<TotalsRow[]> {
      return [];
    },
    async *events(): AsyncIterable<UsageEvent> {},
    async keys(): Promise<KeyUsage[]> {
      return [];
    },
    async flush() {
      // Events still being priced (the first call of the process) are recorded first.
      await pendingSettled();
      await Promise.all(pending);
    },
    async close() {
      await pendingSettled();
      closed = true;
      await Promise.all(pending);
    },
  };
}
