/**
 * The SQLite ledger: one file, WAL, a busy timeout, a versioned schema. Several processes may
 * write one file at once, each through either driver (better-sqlite3 or `node:sqlite`, see
 * `sqlite-driver.ts`); each batch is one transaction, so a crash loses at most the batch in
 * flight and never corrupts the store.
 * @module
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
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
import type {
  SqliteDatabase,
  SqliteDriver,
  SqliteDriverChoice,
  SqliteDriverName,
  SqliteStatement,
} from './sqlite-driver.js';
import { loadSqliteDriver } from './sqlite-load.js';
import { describeOpenError } from './sqlite-open-error.js';
import type { KeyUsage, TotalsQuery, TotalsRow, UsageEvent } from './types.js';

/** Options of the SQLite ledger. */
export interface SqliteLedgerOptions extends LedgerOptions {
  /**
   * How long a write waits for another process's transaction, in milliseconds.
   * @default 10000
   */
  busyTimeoutMs?: number | undefined;
  /**
   * The SQLite library: `'better-sqlite3'`, `'node:sqlite'` (Node 22.13+), or `'auto'`, the first
   * of the two that loads. Every driver writes the same file format.
   * @default process.env.KEYCARD_SQLITE_DRIVER, else 'auto'
   */
  driver?: SqliteDriverChoice | undefined;
}

export class SqliteLedger extends BaseLedger {
  readonly path: string;
  /** The SQLite library this ledger writes with. */
  readonly driver: SqliteDriverName;
  readonly #db: SqliteDatabase;
  readonly #insert: SqliteStatement;
  readonly #release: SqliteStatement;

  constructor(driver: SqliteDriver, path: string, options: SqliteLedgerOptions = {}) {
    super(options);
    this.path = path;
    this.driver = driver.name;
    let db: SqliteDatabase | undefined;
    try {
      if (path !== ':memory:') {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
        if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
      }
      db = driver.open(path, { busyTimeoutMs: options.busyTimeoutMs ?? 10_000 });
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      migrate(db);
      this.#insert = db.prepare(
        `INSERT INTO keycard_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
      );
      this.#release = db.prepare('DELETE FROM keycard_reservations WHERE id = ?');
    } catch (error) {
      try {
        db?.close();
      } catch {
        // Already unusable: the error below says why.
      }
      if (KeycardError.is(error)) throw error;
      throw new KeycardError(
        `keycard: the SQLite ledger at ${path} cannot be opened: ${describeOpenError(path, error)}.`,
        { cause: error },
      );
    }
    this.#db = db;
  }

  #write(batch: readonly PendingEvent[]): void {
    this.#db.immediate(() => {
      for (const { event, releases } of batch) {
        this.#insert.run(...eventValues(event));
        for (const id of releases) this.#release.run(id);
      }
    });
  }

  protected writeBatch(batch: readonly PendingEvent[]): void {
    this.#write(batch);
  }

  protected writeBatchSync(batch: readonly PendingEvent[]): boolean {
    try {
      this.#write(batch);
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
    return this.#db.immediate(() => {
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
  }

  protected async deleteReservations(ids: readonly string[]): Promise<void> {
    this.#db.immediate(() => {
      for (const id of ids) this.#release.run(id);
    });
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
function migrate(db: SqliteDatabase): void {
  const steps = migrations('sqlite');
  db.immediate(() => {
    const version = Number(db.prepare('PRAGMA user_version').get()?.['user_version'] ?? 0);
    if (version > steps.length) {
      throw new KeycardError(
        `keycard: the SQLite ledger has schema version ${version}; this keycard knows ${steps.length}. Upgrade keycard.`,
      );
    }
    for (let index = version; index < steps.length; index += 1) db.exec(steps[index] as string);
    if (version < steps.length) db.exec(`PRAGMA user_version = ${steps.length}`);
  });
}

/** Opens (creating if needed) the SQLite ledger at `path`, with the driver `options.driver` names. */
export async function openSqliteLedger(
  path: string,
  options: SqliteLedgerOptions = {},
): Promise<SqliteLedger> {
  return new SqliteLedger(await loadSqliteDriver(options.driver), path, options);
}
