/**
 * An in-memory ledger: exact, fast, and gone when the process ends. Good for tests and for
 * scripts that read their own totals before they exit. Budgets work within the process.
 * @module
 */
import {
  BaseLedger,
  batchCharges,
  type LeaseChange,
  type LeaseView,
  type LedgerOptions,
  type PendingEvent,
} from './base.js';
import type { BudgetScope } from './budget.js';
import { applyLeaseChange, type Hold, recordedSince, sumHolds } from './holds.js';
import { trackPending } from './pending.js';
import { NO_TAGS } from './tags.js';
import { matchesQuery, sumEvents, sumKeys } from './totals.js';
import type { KeyUsage, TotalsQuery, TotalsRow, UsageEvent } from './types.js';

/** A ledger that keeps events in an array. */
export class MemoryLedger extends BaseLedger {
  readonly #events: UsageEvent[] = [];
  readonly #holds = new Map<string, Hold>();
  readonly #alerts = new Set<string>();

  constructor(options: LedgerOptions = {}) {
    // Written at once: a memory ledger has nothing to gain from batching.
    super({ flushIntervalMs: 0, ...options });
  }

  override record(event: UsageEvent, leases: readonly string[] = []): void {
    // Synchronous: a memory ledger is read right after the call in tests and scripts.
    if (this.closed) return;
    const batch = [{ event, leases }];
    this.writeBatchSync(batch);
    if (this.anomaly !== undefined) trackPending(this.checkAnomaly(batch).catch(() => undefined));
  }

  protected writeBatch(batch: readonly PendingEvent[]): void {
    this.writeBatchSync(batch);
  }

  protected writeBatchSync(batch: readonly PendingEvent[]): boolean {
    for (const { event } of batch)
      this.#events.push(Object.freeze({ ...event, time: new Date(event.time), tags: event.tags ?? NO_TAGS }));
    for (const [id, used] of batchCharges(batch)) this.#holds.get(id)?.charge(used);
    return true;
  }

  protected async readTotals(query: TotalsQuery): Promise<TotalsRow[]> {
    return sumEvents(this.#events, query);
  }

  protected async readEvents(query: Omit<TotalsQuery, 'by'>, after: number, limit: number) {
    const page: Array<{ id: number; event: UsageEvent }> = [];
    for (let index = after; index < this.#events.length && page.length < limit; index += 1) {
      const event = this.#events[index] as UsageEvent;
      if (matchesQuery(event, query)) page.push({ id: index + 1, event });
    }
    return page;
  }

  protected async readKeys(): Promise<KeyUsage[]> {
    return sumKeys(this.#events);
  }

  protected async lockedLease(
    scope: BudgetScope,
    since: readonly Date[],
    id: string,
    decide: (view: LeaseView) => LeaseChange | undefined,
  ): Promise<LeaseView> {
    const recorded = recordedSince(this.#events, scope, since);
    const now = Date.now();
    const view: LeaseView = { recorded, ...sumHolds(this.#holds, scope.id, id, now) };
    applyLeaseChange(this.#holds, scope.id, id, now, decide(view));
    return view;
  }

  protected async insertAlertMark(key: string): Promise<boolean> {
    if (this.#alerts.has(key)) return false;
    this.#alerts.add(key);
    return true;
  }

  protected async closeStore(): Promise<void> {}

  override toString(): string {
    return `MemoryLedger(${this.#events.length} events)`;
  }
}

/** A new, empty in-memory ledger. */
export function memoryLedger(options?: LedgerOptions): MemoryLedger {
  return new MemoryLedger(options);
}
