/**
 * What every built-in ledger shares: batched writes (a timer or a full batch, whichever comes
 * first; at `close()` and at process exit too) that survive an outage of the store (see
 * `writer.ts`), alert and warning listeners, budget leases and one-time alerts, on top of a few
 * primitives each backend implements (memory, SQLite, JSON lines, PostgreSQL).
 * @module
 */
import { EventEmitter } from 'node:events';
import type { AlertsOption } from '../alerts/channels.js';
import type { AlertDelivery } from '../alerts/delivery.js';
import { KeycardError } from '../errors.js';
import {
  type Budget,
  type BudgetAlert,
  type BudgetScope,
  type ResolvedBudget,
  resolveBudget,
} from './budget.js';
import { pendingSettled } from './pending.js';
import { checkTotalsQuery } from './totals.js';
import type { KeyUsage, Ledger, TotalsQuery, TotalsRow, UsageEvent } from './types.js';
import { describeCause, LedgerUnavailableError, type LedgerWarning, WARNING_CODES } from './unavailable.js';
import { EventWriter } from './writer.js';

/**
 * A hold on a budget scope, as stored: a process's budget lease (what it may still spend, and its
 * calls in flight), or, from keycard before leases, the estimate of one call in flight.
 */
export interface Reservation {
  id: string;
  scope: string;
  usd: number;
  requests: number;
  tokens: number;
  /** After this (ms since epoch) a hold no longer counts: its process died, or stopped renewing it. */
  expiresAt: number;
}

/** An event with the budget leases its usage is charged to (when it is written). */
export interface PendingEvent {
  event: UsageEvent;
  leases: readonly string[];
}

/** Usage in whole units (nano-USD, requests, tokens), whose sums are exact. */
export interface Amount {
  nusd: number;
  requests: number;
  tokens: number;
}

/**
 * @internal What a lease operation reads, under the lock every process shares: the scope's
 * recorded usage since each period start asked for, every live hold on the scope (this lease's
 * included), and this lease's own hold.
 */
export interface LeaseView {
  /** Per period start, in the order given: events of the scope since then. */
  recorded: Amount[];
  /** Live holds of the scope, each counted when above 0. */
  held: Amount;
  /** This lease's hold as stored (it may be below 0); `undefined` when it has none live. */
  own: Amount | undefined;
}

/**
 * @internal A change to a lease: `add` to its hold (set it to `add` when it had none live) and
 * renew it until `expiresAt`; or `remove` it.
 */
export type LeaseChange = { add: Amount; expiresAt: number } | { remove: true };

/** @internal What holds leases in this process: returned when the ledger closes. */
export interface LeaseHolder {
  returnLeases(): Promise<void>;
  /** Leases in the store with no call in flight: removed at process exit, where the store can. */
  idleLeases(): string[];
}

/** An event's usage in whole units: what it is charged to its leases, and counts in a budget. */
export function usageAmount(event: UsageEvent): Amount {
  return {
    nusd: Math.round((event.costUsd ?? 0) * 1e9),
    requests: event.requests,
    tokens: (event.inputTokens ?? 0) + (event.outputTokens ?? 0),
  };
}

/** The charges of a batch, summed per lease. */
export function batchCharges(batch: readonly PendingEvent[]): Map<string, Amount> {
  const charges = new Map<string, Amount>();
  for (const { event, leases } of batch) {
    if (leases.length === 0) continue;
    const used = usageAmount(event);
    for (const id of leases) {
      const sum = charges.get(id);
      if (sum === undefined) charges.set(id, { ...used });
      else {
        sum.nusd += used.nusd;
        sum.requests += used.requests;
        sum.tokens += used.tokens;
      }
    }
  }
  return charges;
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
  /**
   * How long a budget lease lives in the store without being renewed, in milliseconds. Each
   * process holds a lease on each budget scope it calls in (a slice of what is left, see
   * `Budget`); it renews the lease while it uses it, and returns what it did not spend when it
   * stops. The lease of a process that died (it cannot return it) counts until this much time
   * after its last renewal, then the slice is free again.
   * @default 60000
   */
  budgetLeaseMs?: number | undefined;
  /**
   * Where budget and anomaly alerts go, for a person to read: webhooks, Slack channels, Telegram
   * chats (`alertToWebhook(url)`, `alertToSlack({ channel, key })`, `alertToTelegram({ chatId,
   * key })`, or the same as plain objects), or `{ to: [...], maxRetries, timeoutMs,
   * closeTimeoutMs }`. Each alert is delivered once per alert and period across every process
   * sharing the store: by the process that fires it. Delivery runs off the calls' path, with
   * retries; what cannot be delivered is a `warning` (`KEYCARD_ALERT_UNDELIVERED`). `close()`
   * waits for pending deliveries up to `closeTimeoutMs` (5 s).
   */
  alerts?: AlertsOption | undefined;
}

/** How long a budget lease lives without being renewed, unless `budgetLeaseMs` says otherwise. */
export const DEFAULT_LEASE_MS = 60_000;

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

/**
 * @internal A pool member's state as one client saw it, kept in the store so that every process
 * using it skips the key too (`instrument/key-pool.ts`). `model` is `''` for every model.
 */
export interface SharedKeyState {
  readonly fingerprint: string;
  readonly model: string;
  readonly state: 'cooling' | 'exhausted' | 'revoked' | 'forbidden';
  /** Until when (`cooling`, `exhausted`); 0 when it does not end. */
  readonly untilMs: number;
  readonly updatedMs: number;
}

export abstract class BaseLedger implements Ledger {
  readonly #emitter = new EventEmitter();
  /** Shared key states of a store that keeps none (memory, JSON lines): this process only. */
  readonly #keyStates = new Map<string, SharedKeyState>();
  readonly #writer: EventWriter;
  #closed = false;
  readonly anomaly: { multiple: number; windowHours: number; minUsd: number } | undefined;
  readonly #lastAnomalyCheck = new Map<string, number>();
  /** @internal How long a budget lease lives without being renewed (`budgetLeaseMs`). */
  readonly leaseMs: number;
  readonly #leaseHolders = new Set<LeaseHolder>();
  /** @internal Lease operations made (each one store round trip under the lock), for tests and the bench. */
  leaseOperations = 0;
  /** @internal Delivery of alerts to the `alerts` option's channels, loaded when it is given. */
  readonly alertDelivery: Promise<AlertDelivery | undefined> | undefined;

  constructor(options: LedgerOptions = {}) {
    const maxBufferedEvents = options.maxBufferedEvents ?? 10_000;
    if (!Number.isInteger(maxBufferedEvents) || maxBufferedEvents < 1) {
      throw new KeycardError('ledger: maxBufferedEvents is a whole number of events, 1 or more.');
    }
    const leaseMs = options.budgetLeaseMs ?? DEFAULT_LEASE_MS;
    if (typeof leaseMs !== 'number' || !Number.isFinite(leaseMs) || leaseMs < 100) {
      throw new KeycardError('ledger: budgetLeaseMs is a number of milliseconds, 100 or more.');
    }
    this.leaseMs = leaseMs;
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
    if (options.alerts !== undefined) this.alertDelivery = this.#deliverAlerts(options.alerts);
    hookExit(this);
  }

  /** Loads alert delivery; a channel that cannot be set up is reported, and no alert goes out. */
  async #deliverAlerts(option: AlertsOption): Promise<AlertDelivery | undefined> {
    try {
      const { AlertDelivery } = await import('../alerts/delivery.js');
      return new AlertDelivery(option, ({ message, channel, alert, cause }) =>
        this.#warn(this.#alertWarning(message, cause, channel, alert), false),
      );
    } catch (error) {
      const message = `keycard: the ledger's alerts option cannot be used: ${describeCause(error)}`;
      this.#warn(this.#alertWarning(message, error, undefined, undefined), false);
      return undefined;
    }
  }

  #alertWarning(message: string, cause: unknown, channel?: string, alert?: BudgetAlert): LedgerWarning {
    return {
      kind: 'alert_undelivered',
      code: WARNING_CODES.alert_undelivered,
      message,
      ledger: String(this),
      buffered: this.#writer.buffered,
      lost: this.#writer.lost,
      cause,
      channel,
      alert,
    };
  }

  // --- primitives ---------------------------------------------------------------------------

  /** Writes events and charges their usage to their leases (`batchCharges`), in one transaction. */
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
   * @internal Atomically, across every process using the store: read the `LeaseView` of `scope`
   * (a hold counts while its `expiresAt` is not past `Date.now()`), then `decide`, and apply the
   * change it returns to the lease `id`: when the lease has no live hold, `add` sets it.
   */
  protected abstract lockedLease(
    scope: BudgetScope,
    since: readonly Date[],
    id: string,
    decide: (view: LeaseView) => LeaseChange | undefined,
  ): Promise<LeaseView>;
  /** Records that `key` fired; `true` the first time, in any process. */
  protected abstract insertAlertMark(key: string): Promise<boolean>;
  /** @internal Writes a pool member's state (one row per key and model); by default, in this process only. */
  protected async writeKeyState(state: SharedKeyState): Promise<void> {
    this.#keyStates.set(`${state.fingerprint}\u0000${state.model}`, state);
  }
  /** @internal The states of `fingerprints` updated after `sinceMs`; by default, this process's. */
  protected async readKeyStates(fingerprints: readonly string[], sinceMs: number): Promise<SharedKeyState[]> {
    const wanted = new Set(fingerprints);
    return [...this.#keyStates.values()].filter(
      (state) => wanted.has(state.fingerprint) && state.updatedMs > sinceMs,
    );
  }
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

  /**
   * Records `event`; `leases` (keycard's budget gate) are the budget leases its usage is charged
   * to, in the transaction that writes it.
   */
  record(event: UsageEvent, leases: readonly string[] = []): void {
    if (this.#closed) return;
    // A copy: the caller's object may change before the batch is written.
    this.#writer.add({ event: { ...event, time: new Date(event.time) }, leases });
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
    // Every event written: leases with no call in flight go (their unspent slices with them).
    if (this.#writer.buffered > 0 || this.#leaseHolders.size === 0) return;
    const ids = [...this.#leaseHolders].flatMap((holder) => holder.idleLeases());
    if (ids.length > 0) this.removeLeasesSync(ids);
  }

  /** At process exit: deletes these leases synchronously, if the backend can; else they expire. */
  protected removeLeasesSync(_ids: readonly string[]): void {}

  /** @internal Called when the event loop empties: leases are returned, buffered events written. */
  async flushBeforeExit(): Promise<void> {
    await pendingSettled();
    await this.#returnLeases();
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
    checkTotalsQuery(query);
    await this.flush();
    return this.#read(() => this.readTotals(query));
  }

  async *events(query: Omit<TotalsQuery, 'by'> = {}): AsyncIterable<UsageEvent> {
    checkTotalsQuery(query);
    await this.flush();
    let after = 0;
    for (;;) {
      const page = await this.#read(() => this.readEvents(query, after, 1000));
      for (const { event } of page) yield event;
      if (page.length < 1000) return;
      after = page.at(-1)?.id ?? after;
    }
  }

  /** The tag names the events in `query`'s range and filter carry, sorted. */
  async tagNames(query: Omit<TotalsQuery, 'by'> = {}): Promise<string[]> {
    checkTotalsQuery(query);
    await this.flush();
    return this.#read(() => this.readTagNames(query));
  }

  /** {@link tagNames}: by reading every event; the SQL ledgers ask their store. */
  protected async readTagNames(query: Omit<TotalsQuery, 'by'>): Promise<string[]> {
    const names = new Set<string>();
    for (let after = 0; ; ) {
      const page = await this.readEvents(query, after, 1000);
      for (const { event } of page) for (const name in event.tags ?? {}) names.add(name);
      if (page.length < 1000) break;
      after = page.at(-1)?.id ?? after;
    }
    return [...names].sort();
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
    await this.#returnLeases();
    await this.#writer.close();
    this.#closed = true;
    for (const reference of open) if (reference.deref() === this) open.delete(reference);
    // Pending deliveries get up to `closeTimeoutMs`; what is left then is reported.
    await (await this.alertDelivery)?.close();
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
   * @internal One lease operation (see `lockedLease`). Buffered events are written first, so
   * that the store holds every finished call of this process and its charges.
   */
  async lease(
    scope: BudgetScope,
    since: readonly Date[],
    id: string,
    decide: (view: LeaseView) => LeaseChange | undefined,
  ): Promise<LeaseView> {
    // While the store is down, this fails at once (a call must not wait for it), except for one
    // caller at a time once the next retry is due.
    this.#writer.checkAvailable();
    this.leaseOperations += 1;
    try {
      await this.flush();
      const view = await this.lockedLease(scope, since, id, decide);
      this.#writer.storeAnswered();
      return view;
    } catch (error) {
      if (LedgerUnavailableError.is(error)) throw error;
      this.#writer.storeFailed(error);
      throw this.#writer.unavailableError(error, 'reached');
    }
  }

  /** @internal Whether the store failed and has not answered since. */
  get storeUnavailable(): boolean {
    return this.#writer.unavailable;
  }

  /** @internal `holder`'s leases are returned when this ledger closes, or the program ends. */
  holdLeases(holder: LeaseHolder): void {
    this.#leaseHolders.add(holder);
  }

  /** @internal `holder` holds no lease any more. */
  releaseLeases(holder: LeaseHolder): void {
    this.#leaseHolders.delete(holder);
  }

  async #returnLeases(): Promise<void> {
    for (const holder of [...this.#leaseHolders]) await holder.returnLeases().catch(() => undefined);
  }

  /**
   * @internal Shares a pool member's state with every process on this store. A store that is
   * down, or a role that may not write, loses the state (the pool works without it): `false`.
   */
  async shareKeyState(state: SharedKeyState): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.writeKeyState(state);
      return true;
    } catch {
      return false;
    }
  }

  /** @internal The shared states of `fingerprints` updated after `sinceMs`; none when unreadable. */
  async sharedKeyStates(fingerprints: readonly string[], sinceMs: number): Promise<SharedKeyState[]> {
    if (this.#closed || fingerprints.length === 0) return [];
    try {
      return await this.readKeyStates(fingerprints, sinceMs);
    } catch {
      return [];
    }
  }

  /** @internal Emits `alert` once per `key` across processes; resolves to whether it fired. */
  async alertOnce(key: string, alert: BudgetAlert): Promise<boolean> {
    // Which alerts fired is kept in the store: while it is down, none can be marked.
    if (this.#writer.unavailable) return false;
    if (!(await this.insertAlertMark(key))) return false;
    this.#emitter.emit(ALERT, alert);
    // This process won the alert: it delivers it, off the call's path.
    void this.alertDelivery?.then((delivery) => delivery?.deliver(alert));
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
    if (anomaly === undefined || (!this.hasAlertListeners() && this.alertDelivery === undefined)) return;
    const now = Date.now();
    const keys = new Set<string>();
    const maskedIds = new Map<string, string>();
    for (const { event } of batch) {
      maskedIds.set(event.keyFingerprint, event.maskedId);
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
        key: maskedIds.get(fingerprint),
        spend,
        periodStart: hourStart,
        message: `keycard: key ${maskedIds.get(fingerprint) ?? recent?.maskedId ?? fingerprint} spent $${last.toFixed(2)} in the last hour, more than ${anomaly.multiple} times its hourly average of $${average.toFixed(2)}; if this is not expected, rotate the key.`,
      });
    }
  }
}
