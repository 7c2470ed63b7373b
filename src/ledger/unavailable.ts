/**
 * When a ledger's store cannot be reached or written (PostgreSQL down, a disk full, a role that
 * may not write): the error keycard raises, and the warnings a ledger reports while its events
 * wait in memory.
 * @module
 */
import { KeycardError, type KeycardErrorOptions } from '../errors.js';
import type { BudgetAlert } from './budget.js';

/** A store error in one line, for messages: its message, else its code, else its name. */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 300);
  // Node's AggregateError (a refused connection to `localhost`, tried on ::1 and 127.0.0.1) has
  // an empty message: say what its first error says.
  const inner = error instanceof AggregateError ? (error.errors[0] as unknown) : undefined;
  if (error.message === '' && inner !== undefined) return describeCause(inner);
  const code = (error as { code?: unknown }).code;
  const text = error.message === '' ? (typeof code === 'string' ? code : error.name) : error.message;
  const line = text.split('\n')[0] ?? text;
  return line.length > 300 ? `${line.slice(0, 297)}…` : line;
}

/** What a `LedgerUnavailableError` is built from. */
export interface LedgerUnavailableOptions extends KeycardErrorOptions {
  message: string;
  hint: string;
  /** The ledger, as its `toString()` shows it (never a password). */
  ledger: string;
  /** Events kept in memory, waiting for the store. */
  buffered: number;
  /** The store's error in one line, without secrets. */
  detail: string;
  budget?: string | undefined;
  scope?: string | undefined;
}

/**
 * The ledger's store cannot be reached or written. `flush()`, `totals()`, `events()` and `keys()`
 * reject with it while the store is down; a call is rejected with it, before anything is sent,
 * only when a budget that applies says `onLedgerDown: 'block'`. Calls themselves never fail
 * because of the ledger otherwise.
 */
export class LedgerUnavailableError extends KeycardError {
  /** The ledger, e.g. `PostgresLedger(postgres://keycard@db:5432/usage, schema keycard)`. */
  readonly ledger: string;
  /** Events of this process kept in memory, waiting to be written. */
  readonly buffered: number;
  /** The store's error in one line, e.g. `connect ECONNREFUSED 10.0.0.5:5432`. */
  readonly detail: string;
  /** The budget that could not be checked, when a call was blocked. */
  readonly budget: string | undefined;
  /** The budget's scope, e.g. `key:3f2a9c…`, when a call was blocked. */
  readonly scope: string | undefined;
  /** What to do, in one sentence. */
  readonly hint: string;
  /** Always true: the store may be back soon. */
  readonly retryable = true;

  constructor(options: LedgerUnavailableOptions) {
    super(`${options.message.trimEnd()} ${options.hint}`, { cause: options.cause });
    this.ledger = options.ledger;
    this.buffered = options.buffered;
    this.detail = options.detail;
    this.budget = options.budget;
    this.scope = options.scope;
    this.hint = options.hint;
  }

  /** Whether `value` is a `LedgerUnavailableError` from any copy of keycard. */
  static override is(value: unknown): value is LedgerUnavailableError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[UNAVAILABLE_MARKER] === true
    );
  }
}
const UNAVAILABLE_MARKER = Symbol.for('keycard.error.LedgerUnavailableError');
Object.defineProperty(LedgerUnavailableError.prototype, UNAVAILABLE_MARKER, { value: true });
Object.defineProperty(LedgerUnavailableError.prototype, 'name', {
  value: 'LedgerUnavailableError',
  writable: true,
  configurable: true,
});

/**
 * What a ledger reports about its store, through `ledger.on('warning', listener)`, or, when no
 * listener is attached, as a Node process warning (`process.emitWarning`, printed on stderr) with
 * `code` as its code. One outage gives one `unavailable` warning, then one `recovered` note
 * (or one `lost` warning, when the ledger is closed or the process exits before it is back).
 */
export interface LedgerWarning {
  /**
   * - `unavailable`: a write failed (or the store fell behind); events are kept in memory and
   *   written, in order, when it is back. Further failures of the same outage are not reported.
   * - `recovered`: writes succeed again; says how many kept events were written and how many were
   *   lost.
   * - `lost`: events were given up without a recovery (the ledger was closed, or the process
   *   ended, while the store was down); says how many.
   * - `alert_undelivered`: an alert could not be delivered to a channel of the `alerts` option
   *   (after its retries, or at `close()`); names the channel (never its token or secret URL).
   */
  kind: 'unavailable' | 'recovered' | 'lost' | 'alert_undelivered';
  /**
   * `KEYCARD_LEDGER_UNAVAILABLE`, `KEYCARD_LEDGER_RECOVERED`, `KEYCARD_LEDGER_EVENTS_LOST` or
   * `KEYCARD_ALERT_UNDELIVERED`.
   */
  code: string;
  /** For people; names the ledger and the cause, never a password. */
  message: string;
  /** The ledger, as its `toString()` shows it. */
  ledger: string;
  /** Events kept in memory now, waiting to be written. */
  buffered: number;
  /** Events of this outage that were dropped (past `maxBufferedEvents`) or given up. */
  lost: number;
  /** Events written when the store came back (`recovered`). */
  written?: number | undefined;
  /** How long the outage lasted, in milliseconds (`recovered`, `lost`). */
  downMs?: number | undefined;
  /** The store's error (`unavailable`), or the channel's (`alert_undelivered`), redacted. */
  cause?: unknown;
  /** The channel an alert could not reach (`alert_undelivered`), e.g. `slack #ops`. */
  channel?: string | undefined;
  /** The alert that could not be delivered (`alert_undelivered`). */
  alert?: BudgetAlert | undefined;
}

export const WARNING_CODES: Record<LedgerWarning['kind'], string> = {
  unavailable: 'KEYCARD_LEDGER_UNAVAILABLE',
  recovered: 'KEYCARD_LEDGER_RECOVERED',
  lost: 'KEYCARD_LEDGER_EVENTS_LOST',
  alert_undelivered: 'KEYCARD_ALERT_UNDELIVERED',
};
