/**
 * An in-memory ledger: exact, fast, and gone when the process ends. Good for tests and for
 * scripts that read their own totals before they exit.
 * @module
 */
import { matchesQuery, sumEvents } from './totals.js';
import type { Ledger, TotalsQuery, TotalsRow, UsageEvent } from './types.js';

/** A ledger that keeps events in an array. */
export class MemoryLedger implements Ledger {
  readonly #events: UsageEvent[] = [];
  #closed = false;

  record(event: UsageEvent): void {
    if (this.#closed) return;
    this.#events.push(Object.freeze({ ...event, time: new Date(event.time) }));
  }

  async totals(query: TotalsQuery = {}): Promise<TotalsRow[]> {
    return sumEvents(this.#events, query);
  }

  async *events(query: Omit<TotalsQuery, 'by'> = {}): AsyncIterable<UsageEvent> {
    for (const event of [...this.#events]) if (matchesQuery(event, query)) yield event;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }

  toString(): string {
    return `MemoryLedger(${this.#events.length} events)`;
  }
}

/** A new, empty in-memory ledger. */
export function memoryLedger(): MemoryLedger {
  return new MemoryLedger();
}
