/**
 * The default ledger while it opens. Opening it (loading the SQLite driver, opening the file,
 * WAL, the schema check: about 40 ms) is not on `createClient`'s path: the client records here
 * at once. Events recorded before the ledger is open are kept in memory, in order, and handed to
 * it, in that order, as soon as it is; when it cannot open, they are dropped, as every later
 * event is (the client has warned, see `default.ts`). `flush()` waits for the open.
 *
 * At most `maxQueued` events wait (the ledger's own `maxBufferedEvents` default); past that, and
 * for events still waiting when the process exits, a `KEYCARD_LEDGER_EVENTS_LOST` warning says
 * how many were lost.
 * @module
 */
import { KeycardError } from '../errors.js';
import type { KeyUsage, Ledger, TotalsQuery, TotalsRow, UsageEvent } from './types.js';
import { WARNING_CODES } from './unavailable.js';

/** What `record` hands on: an event, and the budget reservations its writing releases. */
type Recording = Ledger & { record(event: UsageEvent, releases?: readonly string[]): void };

/** Deferred ledgers that still hold events: process exit reports them lost. */
const waiting = new Set<DeferredLedger>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    let lost = 0;
    for (const ledger of waiting) lost += ledger.queued;
    if (lost === 0) return;
    // At exit, nothing asynchronous runs any more: process.emitWarning would print nothing.
    process.stderr.write(
      `(node:${process.pid}) [${WARNING_CODES.lost}] Warning: keycard: ${lost} usage event${lost === 1 ? ' was' : 's were'} not recorded: the process exited before the default ledger had opened. Await client.close() before process.exit().\n`,
    );
  });
}

export class DeferredLedger implements Ledger {
  #target: Recording | undefined;
  #settled = false;
  #queue: Array<{ event: UsageEvent; releases: readonly string[] }> = [];
  #dropped = 0;
  readonly #onOpen: Array<(ledger: Ledger) => void> = [];
  readonly #opened: Promise<Ledger | undefined>;

  /**
   * @param opening - the ledger's open. The events are handed over in the first reaction to this
   *   promise, so whoever awaits the same promise later finds them there already.
   * @param hooks - called first when the open settles (the client's warnings).
   */
  constructor(
    opening: Promise<Ledger>,
    hooks: { opened?(ledger: Ledger): void; failed?(error: unknown): void } = {},
    private readonly maxQueued = 10_000,
  ) {
    this.#opened = opening.then(
      (ledger) => {
        hooks.opened?.(ledger);
        return this.#settle(ledger);
      },
      (error: unknown) => {
        hooks.failed?.(error);
        return this.#settle(undefined);
      },
    );
    waiting.add(this);
    hookExit();
  }

  #settle(ledger: Ledger | undefined): Ledger | undefined {
    this.#settled = true;
    this.#target = ledger as Recording | undefined;
    waiting.delete(this);
    const queue = this.#queue;
    this.#queue = [];
    if (ledger !== undefined) {
      for (const { event, releases } of queue) this.#target?.record(event, releases);
      for (const callback of this.#onOpen.splice(0)) callback(ledger);
      if (this.#dropped > 0) {
        process.emitWarning(
          `keycard: ${this.#dropped} usage event${this.#dropped === 1 ? ' was' : 's were'} not recorded: more than ${this.maxQueued} were waiting for the default ledger to open.`,
          { code: WARNING_CODES.lost },
        );
      }
    }
    return ledger;
  }

  /** Events waiting for the ledger to open. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Calls `callback` with the ledger once it is open (never, when it cannot open). */
  whenOpen(callback: (ledger: Ledger) => void): void {
    if (!this.#settled) this.#onOpen.push(callback);
    else if (this.#target !== undefined) callback(this.#target);
  }

  record(event: UsageEvent, releases: readonly string[] = []): void {
    if (this.#settled) {
      this.#target?.record(event, releases);
      return;
    }
    if (this.#queue.length >= this.maxQueued) {
      this.#dropped += 1;
      return;
    }
    // A copy: the caller's object may change before the ledger opens.
    this.#queue.push({ event: { ...event, time: new Date(event.time) }, releases: [...releases] });
  }

  async #ledger(): Promise<Ledger> {
    const ledger = await this.#opened;
    if (ledger === undefined) throw new KeycardError('keycard: the default ledger could not be opened.');
    return ledger;
  }

  async flush(): Promise<void> {
    await (await this.#opened)?.flush();
  }

  /** Flushes: the default ledger is the process's, not this client's, to close. */
  async close(): Promise<void> {
    await this.flush();
  }

  async totals(query?: TotalsQuery): Promise<TotalsRow[]> {
    return (await this.#ledger()).totals(query);
  }

  async *events(query?: Omit<TotalsQuery, 'by'>): AsyncIterable<UsageEvent> {
    yield* (await this.#ledger()).events(query);
  }

  async keys(): Promise<KeyUsage[]> {
    return (await this.#ledger()).keys();
  }

  toString(): string {
    return this.#target === undefined ? 'the default ledger (opening)' : String(this.#target);
  }
}
