/**
 * An in-memory ledger: exact, fast, and gone when the process ends. Good for tests and for
 * scripts that read their own totals before they exit. Budgets work within the process.
 * @module
 */
import { BaseLedger, type LedgerOptions, type PendingEvent, type Reservation } from './base.js';
import type { BudgetScope, Spend } from './budget.js';
import { trackPending } from './pending.js';
import { matchesQuery, sumEvents, sumKeys } from './totals.js';
import type { KeyUsage, TotalsQuery, TotalsRow, UsageEvent } from './types.js';

function inScope(event: UsageEvent, scope: BudgetScope): boolean {
  if (scope.field === 'key') return event.keyFingerprint === scope.value;
  if (scope.field === 'workflow') return event.workflow === scope.value;
  return event.provider === scope.value;
}

/** A ledger that keeps events in an array. */
export class MemoryLedger extends BaseLedger {
  readonly #events: UsageEvent[] = [];
  readonly #reservations = new Map<string, Reservation>();
  readonly #alerts = new Set<string>();

  constructor(options: LedgerOptions = {}) {
    // Written at once: a memory ledger has nothing to gain from batching.
    super({ flushIntervalMs: 0, ...options });
  }

  override record(event: UsageEvent, releases: readonly string[] = []): void {
    // Synchronous: a memory ledger is read right after the call in tests and scripts.
    if (this.closed) return;
    const batch = [{ event, releases }];
    this.writeBatchSync(batch);
    if (this.anomaly !== undefined) trackPending(this.checkAnomaly(batch).catch(() => undefined));
  }

  protected writeBatch(batch: readonly PendingEvent[]): void {
    this.writeBatchSync(batch);
  }

  protected writeBatchSync(batch: readonly PendingEvent[]): boolean {
    for (const { event, releases } of batch) {
      this.#events.push(Object.freeze({ ...event, time: new Date(event.time) }));
      for (const id of releases) this.#reservations.delete(id);
    }
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

  protected async lockedReserve(
    scope: BudgetScope,
    since: Date,
    decide: (spend: Spend) => Reservation | undefined,
  ): Promise<Spend> {
    const spend: Spend = { usd: 0, requests: 0, tokens: 0 };
    for (const event of this.#events) {
      if (event.time < since || !inScope(event, scope)) continue;
      spend.usd += event.costUsd ?? 0;
      spend.requests += event.requests;
      spend.tokens += (event.inputTokens ?? 0) + (event.outputTokens ?? 0);
    }
    const now = Date.now();
    for (const reservation of this.#reservations.values()) {
      if (reservation.scope !== scope.id || reservation.expiresAt < now) continue;
      spend.usd += reservation.usd;
      spend.requests += reservation.requests;
      spend.tokens += reservation.tokens;
    }
    const reservation = decide(spend);
    if (reservation !== undefined) this.#reservations.set(reservation.id, reservation);
    return spend;
  }

  protected async deleteReservations(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#reservations.delete(id);
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
