/**
 * The PostgreSQL ledger (pg): the way to go when workers on several machines share keys. A pool,
 * the same schema as SQLite (in a schema of your choice), migrations under an advisory lock,
 * batches in one transaction, and budget checks serialised per scope with advisory locks.
 * @module
 */
import type { Pool, PoolClient } from 'pg';
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
import type { KeyUsage, TotalsQuery, TotalsRow } from './types.js';

/** Options of the PostgreSQL ledger. */
export interface PostgresLedgerOptions extends LedgerOptions {
  /**
   * The schema that holds keycard's tables; created if missing.
   * @default `?schema=` of the URL, else 'public'
   */
  schema?: string | undefined;
  /**
   * Connections in the pool.
   * @default 4
   */
  maxConnections?: number | undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class PostgresLedger extends BaseLedger {
  readonly schema: string;
  readonly #pool: Pool;
  readonly #ready: Promise<void>;
  readonly #display: string;

  constructor(pool: Pool, schema: string, display: string, options: LedgerOptions = {}) {
    super(options);
    this.schema = schema;
    this.#pool = pool;
    this.#display = display;
    this.#ready = this.#migrate();
    this.#ready.catch(() => undefined);
  }

  get ready(): Promise<void> {
    return this.#ready;
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('keycard.migrate'))");
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${this.schema}".keycard_schema (version INTEGER NOT NULL)`,
      );
      const found = await client.query(`SELECT version FROM "${this.schema}".keycard_schema`);
      const steps = migrations('postgres');
      let version = found.rows.length === 0 ? 0 : Number((found.rows[0] as { version: number }).version);
      if (found.rows.length === 0)
        await client.query(`INSERT INTO "${this.schema}".keycard_schema (version) VALUES (0)`);
      if (version > steps.length) {
        throw new KeycardError(
          `keycard: the PostgreSQL ledger has schema version ${version}; this keycard knows ${steps.length}. Upgrade keycard.`,
        );
      }
      for (; version < steps.length; version += 1) await client.query(steps[version] as string);
      await client.query(`UPDATE "${this.schema}".keycard_schema SET version = $1`, [version]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new KeycardError(`keycard: the PostgreSQL ledger at ${this.#display} cannot be prepared.`, {
        cause: error,
      });
    } finally {
      client.release();
    }
  }

  async #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.#ready;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async #query(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    await this.#ready;
    return (await this.#pool.query(text, params)).rows as Record<string, unknown>[];
  }

  protected async writeBatch(batch: readonly PendingEvent[]): Promise<void> {
    await this.#transaction(async (client) => {
      // Multi-row inserts, in chunks that stay under PostgreSQL's parameter limit.
      for (let start = 0; start < batch.length; start += 1000) {
        const chunk = batch.slice(start, start + 1000);
        const params: unknown[] = [];
        const rows = chunk.map(({ event }) => {
          const values = eventValues(event);
          const placeholders = values.map((value) => {
            params.push(value);
            return `$${params.length}`;
          });
          return `(${placeholders.join(', ')})`;
        });
        await client.query(
          `INSERT INTO keycard_events (${EVENT_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`,
          params,
        );
      }
      const releases = batch.flatMap(({ releases }) => releases);
      if (releases.length > 0)
        await client.query('DELETE FROM keycard_reservations WHERE id = ANY($1)', [releases]);
    });
  }

  protected writeBatchSync(): boolean {
    return false;
  }

  protected async readTotals(query: TotalsQuery): Promise<TotalsRow[]> {
    const { text, params } = totalsQuery('postgres', query);
    const rows = await this.#query(text, params);
    const by = query.by ?? [];
    if (by.length === 0 && rows[0]?.['requests'] === null) return [];
    return rows.map((row) => rowToTotals(row, by)).filter((row): row is TotalsRow => row !== undefined);
  }

  protected async readEvents(query: Omit<TotalsQuery, 'by'>, after: number, limit: number) {
    const { text, params } = eventsQuery('postgres', query, after, limit);
    return (await this.#query(text, params)).map((row) => ({
      id: Number(row['id']),
      event: rowToEvent(row),
    }));
  }

  protected async readKeys(): Promise<KeyUsage[]> {
    return (await this.#query(KEYS_QUERY)).map(rowToKey);
  }

  protected async lockedReserve(
    scope: BudgetScope,
    since: Date,
    decide: (spend: Spend) => Reservation | undefined,
  ): Promise<Spend> {
    return this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keycard.budget:${scope.id}`]);
      const now = Date.now();
      const query = spendQuery('postgres', scope, since, now);
      const spend: Spend = rowToSpend(
        (await client.query(query.text, query.params)).rows[0] as Record<string, unknown>,
      );
      const reservation = decide(spend);
      if (reservation !== undefined) {
        await client.query(
          'INSERT INTO keycard_reservations (id, scope, usd_nusd, requests, tokens, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)',
          [
            reservation.id,
            reservation.scope,
            toNano(reservation.usd),
            reservation.requests,
            reservation.tokens,
            reservation.expiresAt,
          ],
        );
      }
      return spend;
    });
  }

  protected async deleteReservations(ids: readonly string[]): Promise<void> {
    await this.#query('DELETE FROM keycard_reservations WHERE id = ANY($1)', [ids]);
  }

  protected async insertAlertMark(key: string): Promise<boolean> {
    await this.#ready;
    const result = await this.#pool.query(
      'INSERT INTO keycard_alerts (key, fired_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [key, Date.now()],
    );
    return result.rowCount === 1;
  }

  protected async closeStore(): Promise<void> {
    await this.#pool.end();
  }

  override toString(): string {
    return `PostgresLedger(${this.#display}, schema ${this.schema})`;
  }
}

/**
 * Opens the PostgreSQL ledger at `url` (`postgres://user@host:5432/db?schema=keycard`); loads pg
 * on first use. The password in the URL is never shown.
 */
export async function openPostgresLedger(
  url: string,
  options: PostgresLedgerOptions = {},
): Promise<PostgresLedger> {
  let pg: typeof import('pg');
  try {
    const loaded = (await import('pg')) as typeof import('pg') & { default?: typeof import('pg') };
    pg = loaded.default ?? loaded;
  } catch (error) {
    throw new KeycardError('keycard: the PostgreSQL ledger needs the pg package. Run: npm install pg', {
      cause: error,
    });
  }
  const parsed = new URL(url);
  const schema = options.schema ?? parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema))
    throw new KeycardError('keycard: a PostgreSQL schema name has letters, digits and _ only.');
  parsed.searchParams.delete('schema');
  const display = `postgres://${parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`}${parsed.host}${parsed.pathname}`;
  // Idle connections do not keep the process alive: a script may end without close().
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: options.maxConnections ?? 4,
    allowExitOnIdle: true,
  });
  // Idle clients that fail (the server restarted) must not crash the process.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    void client.query(`SET search_path TO "${schema}"`).catch(() => undefined);
  });
  const ledger = new PostgresLedger(pool, schema, display, options);
  try {
    await ledger.ready;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return ledger;
}
