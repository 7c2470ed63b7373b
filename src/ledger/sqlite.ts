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
import {
  BaseLedger,
  batchCharges,
  type LeaseChange,
  type LeaseView,
  type LedgerOptions,
  type PendingEvent,
  type SharedKeyState,
} from './base.js';
import type { BudgetScope } from './budget.js';
import {
  EVENT_COLUMNS,
  eventsQuery,
  eventValues,
  KEY_STATES_TABLE,
  KEYS_QUERY,
  leaseChangeQuery,
  leaseViewQuery,
  migrations,
  purgeQuery,
  rowToEvent,
  rowToKey,
  rowToKeyState,
  rowToLeaseView,
  rowToTotals,
  tagNamesQuery,
  totalsQuery,
  UPSERT_KEY_STATE,
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
  readonly #charge: SqliteStatement;
  /** When expired lease rows were last deleted. */
  #purgedAt = 0;
  /** Prepared statements of lease operations, by their text. */
  readonly #statements = new Map<string, SqliteStatement>();

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
      this.#charge = db.prepare(
        'UPDATE keycard_reservations SET usd_nusd = usd_nusd - ?, requests = requests - ?, tokens = tokens - ? WHERE id = ?',
      );
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
    const charges = batchCharges(batch);
    this.#db.immediate(() => {
      for (const { event } of batch) this.#insert.run(...eventValues(event));
      for (const [id, used] of charges) this.#charge.run(used.nusd, used.requests, used.tokens, id);
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

  protected override removeLeasesSync(ids: readonly string[]): void {
    try {
      const remove = this.#db.prepare('DELETE FROM keycard_reservations WHERE id = ?');
      this.#db.immediate(() => {
        for (const id of ids) remove.run(id);
      });
    } catch {
      // They expire.
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

  protected override async readTagNames(query: Omit<TotalsQuery, 'by'>): Promise<string[]> {
    const { text, params } = tagNamesQuery('sqlite', query);
    return (this.#db.prepare(text).all(...params) as Record<string, unknown>[]).map((row) =>
      String(row['name']),
    );
  }

  protected async readKeys(): Promise<KeyUsage[]> {
    return (this.#db.prepare(KEYS_QUERY).all() as Record<string, unknown>[]).map(rowToKey);
  }

  protected async lockedLease(
    scope: BudgetScope,
    since: readonly Date[],
    id: string,
    decide: (view: LeaseView) => LeaseChange | undefined,
  ): Promise<LeaseView> {
    return this.#db.immediate(() => {
      const now = Date.now();
      const query = leaseViewQuery('sqlite', scope, since, id, now);
      const view = rowToLeaseView(this.#statement(query.text).get(...query.params), since.length);
      const change = decide(view);
      if (change !== undefined) {
        const { text, params } = leaseChangeQuery('sqlite', scope, id, now, change);
        this.#statement(text).run(...params);
      }
      if (now - this.#purgedAt > 3_600_000) {
        this.#purgedAt = now;
        const { text, params } = purgeQuery('sqlite', now - 3_600_000);
        this.#db.prepare(text).run(...params);
      }
      return view;
    });
  }

  #statement(text: string): SqliteStatement {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  protected async insertAlertMark(key: string): Promise<boolean> {
    const result = this.#db
      .prepare('INSERT OR IGNORE INTO keycard_alerts (key, fired_ms) VALUES (?, ?)')
      .run(key, Date.now());
    return result.changes === 1;
  }

  #keyStatesTable = false;

  /** The table of shared key states, made on first use (no schema version: older keycards ignore it). */
  #keyStates(): void {
    if (this.#keyStatesTable) return;
    this.#db.exec(KEY_STATES_TABLE);
    this.#keyStatesTable = true;
  }

  protected override async writeKeyState(state: SharedKeyState): Promise<void> {
    this.#keyStates();
    this.#statement(UPSERT_KEY_STATE('?', '?', '?', '?', '?')).run(
      state.fingerprint,
      state.model,
      state.state,
      state.untilMs,
      state.updatedMs,
    );
  }

  protected override async readKeyStates(
    fingerprints: readonly string[],
    sinceMs: number,
  ): Promise<SharedKeyState[]> {
    this.#keyStates();
    const rows = this.#db
      .prepare(
        `SELECT fingerprint, model, state, until_ms, updated_ms FROM keycard_key_states WHERE updated_ms > ? AND fingerprint IN (${fingerprints.map(() => '?').join(', ')})`,
      )
      .all(sinceMs, ...fingerprints) as Record<string, unknown>[];
    return rows.map(rowToKeyState);
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
