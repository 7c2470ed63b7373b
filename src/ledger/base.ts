/**
 * What every built-in ledger shares: batched writes (a timer or a full batch, whichever comes
 * first; at `close()` and at process exit too) that survive an outage of the store (see
 * `writer.ts`), alert and warning listeners, budget reservations and one-time alerts, on top of a
 * few primitives each backend implements (memory, SQLite, PostgreSQL).
 * @module
 */
import { EventEmitter } from 'node:events';
import { KeycardError } from '../errors.js';
import {
  type Budget,
  type BudgetAlert,
  type BudgetScope,
  type ResolvedBudget,
  resolveBudget,
  type Spend,
} from './budget.js';
import { pendingSettled } from './pending.js';
import type { KeyUsage, Ledger, TotalsQuery, TotalsRow, UsageEvent } from './types.js';
import { describeCause, LedgerUnavailableError, type LedgerWarning } from './unavailable.js';
import { EventWriter } from './writer.js';

/** A reservation: the estimated usage of a call in flight, held until its event is written. */
export interface Reservation {
  id: string;
  scope: string;
  usd: number;
  requests: number;
  tokens: number;
  /** After this (ms since epoch) a reservation no longer counts: its process died. */
  expiresAt: number;
}

/** An event with the reservations its writing releases. */
export interface PendingEvent {
  event: UsageEvent;
  releases: readonly string[];
}

/** Options every built-in ledger takes. */
export interface LedgerOptions {
  /**
   * Write buffered events after this many milliseconds.
   * @default 20
   */
  flushIntervalMs?: number | undefined;
  /**
   * Write at once when this many events are buffered.
   * @default 500
   */
  maxBatch?: number | undefined;
  /**
   * The anomaly alert: fires when the spend of a key in the last hour is more than `multiple`
   * times its average hourly spend over the previous `windowHours`, and at least `minUsd`.
   * `false` turns it off.
   * @default { multiple: 5, windowHours: 24, minUsd: 1 }
   */
  anomaly?: { multiple?: number; windowHours?: number; minUsd?: number } | false | undefined;
  /**
   * Events kept in memory while the store cannot be written (PostgreSQL down, a disk full): they
   * are retried with backoff (0.1 s, doubling, up to 5 s apart) and written, in order, when the
   * store is back. Past this many, newer events are dropped and counted as lost; the loss is
   * reported once (see `on('warning')`). An event takes about 1 KB.
   * @default 10000
   */
  maxBufferedEvents?: number | undefined;
}

/** Reservations live this long at most (a call that never ends is not counted forever). */
export const RESERVATION_TTL_MS = 10 * 60_000;

type Listener = ((alert: BudgetAlert) => void) | ((warning: LedgerWarning) => void);

const ALERT = 'alert';
const WARNING = 'warning';

/** Ledgers that process exit must flush; a weak reference each, so that exit does not keep them alive. */
const open = new Set<WeakRef<BaseLedger>>();
let exitHooked = false;

function hookExit(ledger: BaseLedger): void {
  open.add(new WeakRef(ledger));
  if (exitHooked) return;
  exitHooked = true;
  // 'exit' runs synchronous code only: backends with a synchronous store (SQLite) write their
  // buffer here; PostgreSQL writes on 'beforeExit' (a natural end) and at close().
  process.once('exit', () => {
    for (const reference of open) reference.deref()?.flushOnExit();
  });
  // One last try each time the event loop empties; what cannot be written then is reported lost,
  // so that a store that stays down cannot keep the program from ending.
  process.on('beforeExit', () => {
    for (const reference of open)
      void reference
        .deref()
        ?.flushBeforeExit()
        .catch(() => undefined);
  });
}

export abstract class BaseLedger implements Ledger {
  readonly #emitter = new EventEmitter();
  readonly #writer: EventWriter;
  #closed = false;
  readonly anomaly: { multiple: number; windowHours: number; minUsd: number } | undefined;
  readonly #lastAnomalyCheck = new Map<string, number>();

  constructor(options: LedgerOptions = {}) {
    const maxBufferedEvents = options.maxBufferedEvents ?? 10_000;
    if (!Number.isInteger(maxBufferedEvents) || maxBufferedEvents < 1) {
      throw new KeycardError('ledger: maxBufferedEvents is a whole number of events, 1 or more.');
    }
    this.#writer = new EventWriter(
      {
        write: (batch) => this.writeBatch(batch),
        writeSync: (batch) => this.writeBatchSync(batch),
        describe: () => String(this),
        describeError: (error) => this.describeError(error),
        warn: (warning, sync) => this.#warn(warning, sync),
      },
      {
        flushIntervalMs: Math.max(0, options.flushIntervalMs ?? 20),
        maxBatch: Math.max(1, options.maxBatch ?? 500),
        maxBufferedEvents,
      },
    );
    this.anomaly =
      options.anomaly === false
        ? undefined
        : { multiple: 5, windowHours: 24, minUsd: 1, ...(options.anomaly ?? {}) };
    hookExit(this);
  }

  // --- primitives ---------------------------------------------------------------------------

  /** Writes events and deletes the reservations they release, in one transaction. */
  protected abstract writeBatch(batch: readonly PendingEvent[]): void | Promise<void>;
  /** Writes synchronously at process exit, if the backend can; else does nothing. */
  protected abstract writeBatchSync(batch: readonly PendingEvent[]): boolean;
  protected abstract readTotals(query: TotalsQuery): Promise<TotalsRow[]>;
  /** Events with an id above `after`, oldest first, at most `limit`. */
  protected abstract readEvents(
    query: Omit<TotalsQuery, 'by'>,
    after: number,
    limit: number,
  ): Promise<Array<{ id: number; event: UsageEvent }>>;
  protected abstract readKeys(): Promise<KeyUsage[]>;
  /**
   * Atomically, across every process using the store: the spend of `scope` since `since` (events
   * and live reservations), then `decide`, and, when it returns one, the reservation stored.
   */
  protected abstract lockedReserve(
    scope: BudgetScope,
    since: Date,
    decide: (spend: Spend) => Reservation | undefined,
  ): Promise<Spend>;
  /** Deletes reservations of calls that will record no event. */
  protected abstract deleteReservations(ids: readonly string[]): Promise<void>;
  /** Records that `key` fired; `true` the first time, in any process. */
  protected abstract insertAlertMark(key: string): Promise<boolean>;
  protected abstract closeStore(): Promise<void>;

  /** A store error in one line, for messages; backends remove what must not be shown. */
  protected describeError(error: unknown): string {
    return describeCause(error);
  }

  // --- Ledger -------------------------------------------------------------------------------

  /** Whether `close()` was called: later events are ignored. */
  protected get closed(): boolean {
    return this.#closed;
  }

  record(event: UsageEvent, releases: readonly string[] = []): void {
    if (this.#closed) return;
    // A copy: the caller's object may change before the batch is written.
    this.#writer.add({ event: { ...event, time: new Date(event.time) }, releases: [...releases] });
  }

  /**
   * Writes what is buffered. Rejects with a `LedgerUnavailableError` when the store cannot be
   * written; the events stay in memory and are tried again.
   */
  async flush(): Promise<void> {
    await pendingSettled();
    const batch = await this.#writer.write();
    if (batch.length > 0) await this.checkAnomaly(batch).catch(() => undefined);
  }

  /** @internal Called at process exit. */
  flushOnExit(): void {
    this.#writer.exit();
  }

  /** @internal Called when the event loop empties. */
  async flushBeforeExit(): Promise<void> {
    await pendingSettled();
    const batch = await this.#writer.beforeExit();
    if (batch.length > 0) await this.checkAnomaly(batch).catch(() => undefined);
  }

  /** Events of this process waiting in memory to be written. */
  get bufferedEvents(): number {
    return this.#writer.buffered;
  }

  /** Events this ledger dropped (the store was down and `maxBufferedEvents` were waiting). */
  get lostEvents(): number {
    return this.#writer.lost;
  }

  async totals(query: TotalsQuery = {}): Promise<TotalsRow[]> {
    await this.flush();
    return this.#read(() => this.readTotals(query));
  }

  async *events(query: Omit<TotalsQuery, 'by'> = {}): AsyncIterable<UsageEvent> {
    await this.flush();
    let after = 0;
    for (;;) {
      const page = await this.#read(() => this.readEvents(query, after, 1000));
      for (const { event } of page) yield event;
      if (page.length < 1000) return;
      after = page.at(-1)?.id ?? after;
    }
  }

  async keys(): Promise<KeyUsage[]> {
    await this.flush();
    return this.#read(() => this.readKeys());
  }

  async #read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw KeycardError.is(error) ? error : this.#writer.unavailableError(error, 'read');
    }
  }

  /**
   * Writes what is buffered and releases the store. When the store cannot be written, what is
   * buffered is lost and reported (a `lost` warning); `close()` itself does not fail.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await pendingSettled();
    await this.#writer.close();
    this.#closed = true;
    for (const reference of open) if (reference.deref() === this) open.delete(reference);
    await this.closeStore();
  }

  /**
   * `alert`: budget thresholds crossed, and unusual spend.
   * `warning`: the store cannot be written (once per outage), is back (with what was written and
   * lost), or events were given up. Without a `warning` listener, these go to
   * `process.emitWarning` (stderr), codes `KEYCARD_LEDGER_UNAVAILABLE`, `KEYCARD_LEDGER_RECOVERED`
   * and `KEYCARD_LEDGER_EVENTS_LOST`.
   */
  on(event: 'alert', listener: (alert: BudgetAlert) => void): this;
  on(event: 'warning', listener: (warning: LedgerWarning) => void): this;
  on(event: 'alert' | 'warning', listener: Listener): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off(event: 'alert', listener: (alert: BudgetAlert) => void): this;
  off(event: 'warning', listener: (warning: LedgerWarning) => void): this;
  off(event: 'alert' | 'warning', listener: Listener): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  #warn(warning: LedgerWarning, sync: boolean): void {
    if (this.#emitter.listenerCount(WARNING) > 0) {
      this.#emitter.emit(WARNING, warning);
      return;
    }
    // At exit, nothing asynchronous runs any more: process.emitWarning would print nothing.
    if (sync) process.stderr.write(`(node:${process.pid}) [${warning.code}] Warning: ${warning.message}\n`);
    else process.emitWarning(warning.message, { code: warning.code });
  }

  // --- budgets (used by keycard's budget gate) ------------------------------------------------

  readonly #budgets: ResolvedBudget[] = [];

  /** Budgets registered on the ledger: they apply to every client recording here. */
  get budgets(): readonly ResolvedBudget[] {
    return this.#budgets;
  }

  /**
   * Registers a budget for every client that records to this ledger (in this process; register
   * it in each process, or give it to each client, to cover them all).
   */
  addBudget(budget: Budget): this {
    this.#budgets.push(resolveBudget(budget));
    return this;
  }

  /**
   * @internal Buffered events are written first: the store must hold every finished call of this
   * process, or a scope whose budget came later would not see them.
   */
  async reserve(
    scope: BudgetScope,
    since: Date,
    decide: (spend: Spend) => Reservation | undefined,
  ): Promise<Spend> {
    // While the store is down, this fails at once (a call must not wait for it), except for one
    // caller at a time once the next retry is due.
    this.#writer.checkAvailable();
    try {
      await this.flush();
      const spend = await this.lockedReserve(scope, since, decide);
      this.#writer.storeAnswered();
      return spend;
    } catch (error) {
      if (LedgerUnavailableError.is(error)) throw error;
      this.#writer.storeFailed(error);
      throw this.#writer.unavailableError(error, 'reached');
    }
  }

  /** @internal */
  release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    // Reservations of a store that is down expire by themselves.
    if (this.#writer.unavailable) return Promise.resolve();
    return this.deleteReservations(ids);
  }

  /** @internal Emits `alert` once per `key` across processes; resolves to whether it fired. */
  async alertOnce(key: string, alert: BudgetAlert): Promise<boolean> {
    // Which alerts fired is kept in the store: while it is down, none can be marked.
    if (this.#writer.unavailable) return false;
    if (!(await this.insertAlertMark(key))) return false;
    this.#emitter.emit(ALERT, alert);
    return true;
  }

  /** Whether anyone listens for alerts. */
  protected hasAlertListeners(): boolean {
    return this.#emitter.listenerCount(ALERT) > 0;
  }

  /**
   * The anomaly alert, after a write: for keys with priced calls in the last hour, at most once a
   * minute per key, compare the last hour's spend with the trailing hourly average.
   */
  protected async checkAnomaly(batch: readonly PendingEvent[]): Promise<void> {
    const anomaly = this.anomaly;
    if (anomaly === undefined || !this.hasAlertListeners()) return;
    const now = Date.now();
    const keys = new Set<string>();
    for (const { event } of batch) {
      if ((event.costUsd ?? 0) <= 0 || now - event.time.getTime() > 3_600_000) continue;
      const last = this.#lastAnomalyCheck.get(event.keyFingerprint) ?? 0;
      if (now - last < 60_000) continue;
      this.#lastAnomalyCheck.set(event.keyFingerprint, now);
      keys.add(event.keyFingerprint);
    }
    const hour = 3_600_000;
    const hourStart = new Date(Math.floor(now / hour) * hour);
    for (const fingerprint of keys) {
      const [recent] = await this.readTotals({
        since: new Date(now - hour),
        where: { keyFingerprint: fingerprint },
      });
      const [trailing] = await this.readTotals({
        since: new Date(now - hour * (anomaly.windowHours + 1)),
        until: new Date(now - hour),
        where: { keyFingerprint: fingerprint },
      });
      const last = recent?.costUsd ?? 0;
      const average = (trailing?.costUsd ?? 0) / anomaly.windowHours;
      if (last < anomaly.minUsd || last <= anomaly.multiple * average) continue;
      const spend = {
        usd: last,
        requests: recent?.requests ?? 0,
        tokens: (recent?.inputTokens ?? 0) + (recent?.outputTokens ?? 0),
      };
      await this.alertOnce(`anomaly|key:${fingerprint}|${hourStart.toISOString()}`, {
        kind: 'anomaly',
        scope: `key:${fingerprint}`,
        spend,
        periodStart: hourStart,
        message: `keycard: key ${recent?.maskedId ?? fingerprint} spent $${last.toFixed(2)} in the last hour, more than ${anomaly.multiple} times its hourly average of $${average.toFixed(2)}; if this is not expected, rotate the key.`,
      });
    }
  }
}
