/**
 * The write path every built-in ledger shares. Events are buffered and written in batches (after
 * a short interval, or at once when a batch is full). A batch the store refuses (PostgreSQL down,
 * a disk full) is kept, in order, and tried again with backoff; at most `maxBufferedEvents` wait
 * in memory, and past that the newest are dropped and counted. Each outage is reported once when
 * it starts and once when it ends, with the number of events lost.
 * @module
 */
import type { PendingEvent } from './base.js';
import { LedgerUnavailableError, type LedgerWarning, WARNING_CODES } from './unavailable.js';

/** What the writer needs from its ledger. */
export interface EventStore {
  /**
   * Writes a batch in one transaction; throws when the store refuses it. A batch that failed is
   * handed over again later, as the same objects, at the front of a bigger batch.
   */
  write(batch: readonly PendingEvent[]): void | Promise<void>;
  /** Writes synchronously (at process exit), if the store can; else returns `false`. */
  writeSync(batch: readonly PendingEvent[]): boolean;
  /** The store in one line, for messages. */
  describe(): string;
  /** A store error in one line, for messages, without secrets. */
  describeError(error: unknown): string;
  /** Reports a warning; `sync` at process exit, when nothing asynchronous runs any more. */
  warn(warning: LedgerWarning, sync: boolean): void;
}

export interface WriterSettings {
  flushIntervalMs: number;
  maxBatch: number;
  maxBufferedEvents: number;
}

interface Outage {
  since: number;
  /** Failed attempts; 0 while the store only fell behind (the buffer overflowed). */
  failures: number;
  /** When the store may be tried again. */
  retryAt: number;
  cause: unknown;
  /** Events dropped during this outage. */
  lost: number;
  /** Whether a caller is trying the store now (one at a time while it is down). */
  probing: boolean;
}

/** The first retry comes this soon after a failure; each next one twice as late, up to the max. */
export const FIRST_RETRY_MS = 100;
export const MAX_RETRY_MS = 5_000;

const ignore = () => undefined;

/** `1 event`, `2 events`. */
export function countEvents(count: number): string {
  return `${count} event${count === 1 ? '' : 's'}`;
}

export class EventWriter {
  #buffer: PendingEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<unknown> = Promise.resolve();
  /** A write asked for and not started yet: later asks share it (it takes what is buffered then). */
  #queued: Promise<readonly PendingEvent[]> | undefined;
  #inFlight = 0;
  #outage: Outage | undefined;
  #lost = 0;
  #closed = false;

  constructor(
    private readonly store: EventStore,
    private readonly settings: WriterSettings,
  ) {}

  /** Events waiting in memory: buffered, and in the batch being written. */
  get buffered(): number {
    return this.#buffer.length + this.#inFlight;
  }

  /** Events dropped since the ledger was opened. */
  get lost(): number {
    return this.#lost;
  }

  /** Whether the store failed and has not answered since. */
  get unavailable(): boolean {
    return (this.#outage?.failures ?? 0) > 0;
  }

  add(pending: PendingEvent): void {
    if (this.#closed) return;
    if (this.#buffer.length >= this.settings.maxBufferedEvents) {
      this.#drop(1);
      return;
    }
    this.#buffer.push(pending);
    // While the store is down, the retry timer writes.
    if (this.unavailable) return;
    if (this.#buffer.length >= this.settings.maxBatch) {
      void this.write().catch(ignore);
      return;
    }
    this.#schedule(this.settings.flushIntervalMs);
  }

  /**
   * Writes everything buffered now, after any write in progress. Resolves to the batch written;
   * rejects with a `LedgerUnavailableError` when the store refuses it (the batch is kept).
   */
  write(): Promise<readonly PendingEvent[]> {
    if (this.#queued !== undefined) return this.#queued;
    const run = this.#writing.then(() => {
      this.#queued = undefined;
      return this.#writeOnce();
    });
    this.#queued = run;
    this.#writing = run.catch(ignore);
    return run;
  }

  async #writeOnce(): Promise<readonly PendingEvent[]> {
    this.#clearTimer();
    const batch = this.#buffer;
    if (batch.length === 0) return batch;
    this.#buffer = [];
    this.#inFlight = batch.length;
    try {
      await this.store.write(batch);
    } catch (error) {
      this.#inFlight = 0;
      // Kept, in order, ahead of what came since; past the bound, the newest go.
      const kept = batch.concat(this.#buffer);
      const over = kept.length - this.settings.maxBufferedEvents;
      if (over > 0) kept.length = this.settings.maxBufferedEvents;
      this.#buffer = kept;
      this.#failed(error);
      if (over > 0) this.#drop(over);
      throw this.unavailableError(error, 'written');
    }
    this.#inFlight = 0;
    this.#recovered(batch.length);
    if (this.#buffer.length > 0 && !this.#closed) this.#schedule(this.settings.flushIntervalMs);
    return batch;
  }

  /**
   * Before another use of the store (a budget check): throws while the store is down and its
   * next try has not come; else lets this caller try it (one caller at a time while it is down),
   * who must then call `storeAnswered()` or `storeFailed()`.
   */
  checkAvailable(): void {
    const outage = this.#outage;
    if (outage === undefined || outage.failures === 0) return;
    if (!outage.probing && Date.now() >= outage.retryAt) {
      outage.probing = true;
      return;
    }
    throw this.unavailableError(outage.cause, 'reached');
  }

  /** The store answered another use: if it was down, write what waits now. */
  storeAnswered(): void {
    const outage = this.#outage;
    if (outage === undefined || outage.failures === 0) return;
    outage.probing = false;
    if (this.buffered === 0) this.#recovered(0);
    else {
      this.#clearTimer();
      this.#schedule(0);
    }
  }

  /** Another use of the store failed. */
  storeFailed(error: unknown): void {
    this.#failed(error);
  }

  /** The error for a store that cannot be `verb` now. */
  unavailableError(cause: unknown, verb: 'written' | 'reached' | 'read'): LedgerUnavailableError {
    const ledger = this.store.describe();
    const buffered = this.buffered;
    const detail = cause === undefined ? 'it failed earlier' : this.store.describeError(cause);
    return new LedgerUnavailableError({
      message: `keycard: the ledger ${ledger} cannot be ${verb}: ${detail.replace(/\.$/, '')}.`,
      hint:
        buffered > 0
          ? `${countEvents(buffered)} of this process ${buffered === 1 ? 'is' : 'are'} kept in memory and written when it is back.`
          : 'Try again when it is back.',
      ledger,
      buffered,
      detail,
      cause,
    });
  }

  /** At close: one last write; what cannot be written is lost, and reported. */
  async close(): Promise<void> {
    try {
      await this.write();
    } catch {
      this.#giveUp(
        (lost, downMs) =>
          `keycard: the ledger ${this.store.describe()} was closed while it could not be written${since(downMs)}: ${countEvents(lost)} lost.`,
        false,
      );
    }
    if ((this.#outage?.lost ?? 0) > 0) {
      this.#giveUp(
        (lost, downMs) =>
          `keycard: the ledger ${this.store.describe()} was closed after it fell behind${since(downMs)}: ${countEvents(lost)} lost.`,
        false,
      );
    }
    this.#closed = true;
    this.#clearTimer();
  }

  /** When the event loop empties (the program ends): one last write; what fails is lost. */
  async beforeExit(): Promise<readonly PendingEvent[]> {
    if (this.#buffer.length === 0) return [];
    try {
      return await this.write();
    } catch {
      this.#giveUp(
        (lost, downMs) =>
          `keycard: the program ended while the ledger ${this.store.describe()} could not be written${since(downMs)}: ${countEvents(lost)} lost.`,
        false,
      );
      return [];
    }
  }

  /** At process exit: a synchronous write if the store can; else what is buffered is lost. */
  exit(): void {
    const batch = this.#buffer;
    if (batch.length === 0) return;
    if (this.store.writeSync(batch)) {
      this.#buffer = [];
      return;
    }
    this.#giveUp(
      (lost) =>
        `keycard: ${countEvents(lost)} lost: the process exited before ${lost === 1 ? 'it was' : 'they were'} written to the ledger ${this.store.describe()}. Call ledger.close() (or client.close()) before process.exit().`,
      true,
    );
  }

  #schedule(delay: number): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.write().catch(ignore);
    }, delay);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #failed(error: unknown): void {
    const now = Date.now();
    const fresh = this.#outage === undefined;
    const outage = this.#outage ?? {
      since: now,
      failures: 0,
      retryAt: now,
      cause: error,
      lost: 0,
      probing: false,
    };
    this.#outage = outage;
    outage.failures += 1;
    outage.cause = error;
    outage.probing = false;
    const delay =
      Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(outage.failures - 1, 16)) *
      (0.75 + Math.random() / 2);
    outage.retryAt = now + delay;
    this.#clearTimer();
    this.#schedule(delay);
    if (!fresh) return;
    this.#report(
      'unavailable',
      `keycard: the ledger ${this.store.describe()} cannot be written: ${this.store.describeError(error).replace(/\.$/, '')}. Calls go on; their events are kept in memory (at most ${this.settings.maxBufferedEvents}, then the newest are dropped and counted) and written when it is back.`,
      { cause: error },
      false,
    );
  }

  #drop(count: number): void {
    this.#lost += count;
    if (this.#outage === undefined) {
      const now = Date.now();
      this.#outage = { since: now, failures: 0, retryAt: now, cause: undefined, lost: 0, probing: false };
      this.#report(
        'unavailable',
        `keycard: the ledger ${this.store.describe()} cannot keep up: ${this.settings.maxBufferedEvents} events are waiting to be written; newer events are dropped and counted until it catches up.`,
        {},
        false,
      );
    }
    this.#outage.lost += count;
  }

  #recovered(written: number): void {
    const outage = this.#outage;
    if (outage === undefined) return;
    this.#outage = undefined;
    const downMs = Date.now() - outage.since;
    const lost =
      outage.lost === 0
        ? 'none lost'
        : `${countEvents(outage.lost)} lost (more than maxBufferedEvents, ${this.settings.maxBufferedEvents}, were waiting)`;
    this.#report(
      'recovered',
      `keycard: the ledger ${this.store.describe()} is back after ${seconds(downMs)}: ${countEvents(written)} kept in memory written; ${lost}.`,
      { lost: outage.lost, written, downMs },
      false,
    );
  }

  /** Gives up what is buffered; reports it with what the outage had already lost. */
  #giveUp(message: (lost: number, downMs: number | undefined) => string, sync: boolean): void {
    const count = this.#buffer.length;
    this.#buffer = [];
    this.#lost += count;
    const outage = this.#outage;
    this.#outage = undefined;
    const lost = count + (outage?.lost ?? 0);
    if (lost === 0) return;
    const downMs = outage === undefined ? undefined : Date.now() - outage.since;
    this.#report('lost', message(lost, downMs), { lost, downMs }, sync);
  }

  #report(kind: LedgerWarning['kind'], message: string, fields: Partial<LedgerWarning>, sync: boolean): void {
    const warning: LedgerWarning = {
      kind,
      code: WARNING_CODES[kind],
      message,
      ledger: this.store.describe(),
      buffered: this.buffered,
      lost: 0,
      ...fields,
    };
    try {
      this.store.warn(warning, sync);
    } catch {
      // A listener that throws must not break the write path.
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function since(downMs: number | undefined): string {
  return downMs === undefined ? '' : ` (down for ${seconds(downMs)})`;
}
