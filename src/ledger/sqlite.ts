/**
 * The SQLite ledger (better-sqlite3): one file, WAL, a busy timeout, a versioned schema. Several
 * processes may write one file at once; each batch is one transaction, so a crash loses at most
 * the batch in flight and never corrupts the store.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { KeycardError } from '../errors.js';
import { BaseLedger, type LedgerOptions, type PendingEvent, type Reservation } from './base.js';
import type { BudgetScope, Spend } from './budget.js';
import {
  EVENT_COLUMNS,
  eventsQuery,
  eventValues,
  KEYS_QUERY,
  migrations,
  rowToEvent,
  rowToKey,
  rowToSpend,
  rowToTotals,
  spendQuery,
  toNano,
  totalsQuery,
} from './sql.js';
import type { KeyUsage, TotalsQuery, TotalsRow, UsageEvent } from './types.js';

type Database = BetterSqlite3.Database;

/** Options of the SQLite ledger. */
export interface SqliteLedgerOptions extends LedgerOptions {
  /**
   * How long a write waits for another process's transaction, in milliseconds.
   * @default 10000
   */
  busyTimeoutMs?: number | undefined;
}

export class SqliteLedger extends BaseLedger {
  readonly path: string;
  readonly #db: Database;
  readonly #insert: BetterSqlite3.Statement;
  readonly #release: BetterSqlite3.Statement;
  readonly #write: BetterSqlite3.Transaction<(batch: readonly PendingEvent[]) => void>;

  constructor(Driver: typeof BetterSqlite3, path: string, options: SqliteLedgerOptions = {}) {
    super(options);
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      this.#db = new Driver(path, { timeout: options.busyTimeoutMs ?? 10_000 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      migrate(this.#db);
    } catch (error) {
      throw new KeycardError(`keycard: the SQLite ledger at ${path} cannot be opened.`, { cause: error });
    }
    this.#insert = this.#db.prepare(
      `INSERT INTO keycard_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.#release = this.#db.prepare('DELETE FROM keycard_reservations WHERE id = ?');
    this.#write = this.#db.transaction((batch: readonly PendingEvent[]) => {
      for (const { event, releases } of batch) {
        this.#insert.run(...eventValues(event));
        for (const id of releases) this.#release.run(id);
      }
    });
  }

  protected writeBatch(batch: readonly PendingEvent[]): void {
    this.#write.immediate(batch);
  }

  protected writeBatchSync(batch: readonly PendingEvent[]): boolean {
    try {
      this.#write.immediate(batch);
      return true;
    } catch {
      return false;
    }
  }

  protected async readTotals(query: TotalsQuery): Promise<TotalsRow[]> {
    const { text, params } = totalsQuery('sqlite', query);
    const rows = this.#db.prepare(text).all(...params) as Record<string, unknown>[];
    const by = query.by ?? [];
    if (by.length === 0 && rows[0]?.['requests'] === null) return [];
    return rows.map((row) => rowToTotals(row, by)).filter((row): row is TotalsRow => row !== undefined);
  }

  protected async readEvents(query: Omit<TotalsQuery, 'by'>, after: number, limit: number) {
    const { text, params } = eventsQuery('sqlite', query, after, limit);
    const rows = this.#db.prepare(text).all(...params) as Record<string, unknown>[];
    return rows.map((row) => ({ id: Number(row['id']), event: rowToEvent(row) as UsageEvent }));
  }

  protected async readKeys(): Promise<KeyUsage[]> {
    return (this.#db.prepare(KEYS_QUERY).all() as Record<string, unknown>[]).map(rowToKey);
  }

  protected async lockedReserve(
    scope: BudgetScope,
    since: Date,
    decide: (spend: Spend) => Reservation | undefined,
  ): Promise<Spend> {
    const run = this.#db.transaction(() => {
      const now = Date.now();
      const query = spendQuery('sqlite', scope, since, now);
      const spend: Spend = rowToSpend(
        this.#db.prepare(query.text).get(...query.params) as Record<string, unknown>,
      );
      const reservation = decide(spend);
      if (reservation !== undefined) {
        this.#db
          .prepare(
            'INSERT INTO keycard_reservations (id, scope, usd_nusd, requests, tokens, expires_ms) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(
            reservation.id,
            reservation.scope,
            toNano(reservation.usd),
            reservation.requests,
            reservation.tokens,
            reservation.expiresAt,
          );
      }
      return spend;
    });
    return run.immediate();
  }

  protected async deleteReservations(ids: readonly string[]): Promise<void> {
    this.#db
      .transaction(() => {
        for (const id of ids) this.#release.run(id);
      })
      .immediate();
  }

  protected async insertAlertMark(key: string): Promise<boolean> {
    const result = this.#db
      .prepare('INSERT OR IGNORE INTO keycard_alerts (key, fired_ms) VALUES (?, ?)')
      .run(key, Date.now());
    return result.changes === 1;
  }

  protected async closeStore(): Promise<void> {
    this.#db.close();
  }

  override toString(): string {
    return `SqliteLedger(${this.path})`;
  }
}

/** Brings the schema to the latest version, once, whichever process gets there first. */
function migrate(db: Database): void {
  const steps = migrations('sqlite');
  db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > steps.length) {
      throw new KeycardError(
        `keycard: the SQLite ledger has schema version ${version}; this keycard knows ${steps.length}. Upgrade keycard.`,
      );
    }
    for (let index = version; index < steps.length; index += 1) db.exec(steps[index] as string);
    if (version < steps.length) db.pragma(`user_version = ${steps.length}`);
  }).immediate();
}

/** Opens (creating if needed) the SQLite ledger at `path`; loads better-sqlite3 on first use. */
export async function openSqliteLedger(
  path: string,
  options: SqliteLedgerOptions = {},
): Promise<SqliteLedger> {
  let Driver: typeof BetterSqlite3;
  try {
    Driver = (await import('better-sqlite3')).default;
  } catch (error) {
    throw new KeycardError(
      'keycard: the SQLite ledger needs the better-sqlite3 package (version 12 on Node 20). Run: npm install better-sqlite3@12',
      { cause: error },
    );
  }
  return new SqliteLedger(Driver, path, options);
}
