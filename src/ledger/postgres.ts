/**
 * The PostgreSQL ledger (pg): the way to go when workers on several machines share keys. A pool,
 * the same schema as SQLite (in a schema of your choice), migrations under an advisory lock
 * (skipped when the schema is current, so that a read-only role can open it), batches in one
 * transaction, and budget leases serialised per scope with advisory locks. A connection that
 * drops is an error of the operation in progress, never of the process.
 * @module
 */
import type { Pool, PoolClient } from 'pg';
import { KeycardError } from '../errors.js';
import { importOptional } from '../import-optional.js';
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
import type { KeyUsage, TotalsQuery, TotalsRow } from './types.js';
import { describeCause } from './unavailable.js';

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
  /**
   * How long opening a connection may take before it fails (a server that does not answer),
   * in milliseconds.
   * @default 10000
   */
  connectTimeoutMs?: number | undefined;
  /**
   * How long a query may wait for its answer before it fails and its connection is dropped (a
   * server or network that stopped answering), in milliseconds. Budget checks wait for each
   * other's locks within it.
   * @default 30000
   */
  queryTimeoutMs?: number | undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** PostgreSQL's error code for a missing privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';

/** A pooled connection, released with the error that broke it, if any. */
interface Connection {
  client: PoolClient;
  release(error?: unknown): void;
}

/** A batch whose COMMIT was sent but not answered: whether it is stored is known from its id. */
interface UncertainCommit {
  xid: string;
  events: ReadonlySet<PendingEvent>;
}

export class PostgresLedger extends BaseLedger {
  readonly schema: string;
  readonly #pool: Pool;
  readonly #ready: Promise<void>;
  readonly #display: string;
  readonly #secrets: readonly string[];
  readonly #uncertain: UncertainCommit[] = [];
  /** When expired lease rows were last deleted. */
  #purgedAt = 0;

  /**
   * @param secrets strings never to show in a message (the password, as given and decoded)
   */
  constructor(
    pool: Pool,
    schema: string,
    display: string,
    options: LedgerOptions = {},
    secrets: readonly string[] = [],
  ) {
    super(options);
    this.schema = schema;
    this.#pool = pool;
    this.#display = display;
    this.#secrets = secrets.filter((secret) => secret.length > 0);
    this.#ready = this.#migrate();
    this.#ready.catch(() => undefined);
  }

  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The store's error in one line, without the password. */
  protected override describeError(error: unknown): string {
    let text = describeCause(error);
    for (const secret of this.#secrets) text = text.replaceAll(secret, '****');
    return text;
  }

  /** A connection from the pool whose failure (a dropped connection) is an error of the query, not of the process. */
  async #connect(): Promise<Connection> {
    const client = await this.#pool.connect();
    let failed: unknown;
    // pg emits 'error' on a checked-out client whose connection drops; unheard, it would crash
    // the process. The query in progress rejects with the same error.
    const onError = (error: unknown) => {
      failed ??= error;
    };
    client.on('error', onError);
    return {
      client,
      release(error?: unknown) {
        // A connection that failed, or that may hold a query still running, is not reused.
        client.release(
          error !== undefined || failed !== undefined ? ((error ?? failed) as Error) : undefined,
        );
        client.off('error', onError);
      },
    };
  }

  async #migrate(): Promise<void> {
    const steps = migrations('postgres');
    let connection: Connection | undefined;
    let found: number | undefined;
    try {
      connection = await this.#connect();
      const { client } = connection;
      found = await this.#version(client);
      if (found !== undefined && found > steps.length) {
        throw new KeycardError(
          `keycard: the PostgreSQL ledger at ${this.#display} has schema version ${found}; this keycard knows ${steps.length}. Upgrade keycard.`,
        );
      }
      // Current: nothing to write, so a role that may only read opens it too.
      if (found === steps.length) return;
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('keycard.migrate'))");
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${this.schema}".keycard_schema (version INTEGER NOT NULL)`,
      );
      const rows = await client.query(`SELECT version FROM "${this.schema}".keycard_schema`);
      let version = rows.rows.length === 0 ? 0 : Number((rows.rows[0] as { version: number }).version);
      if (rows.rows.length === 0)
        await client.query(`INSERT INTO "${this.schema}".keycard_schema (version) VALUES (0)`);
      if (version > steps.length) {
        throw new KeycardError(
          `keycard: the PostgreSQL ledger at ${this.#display} has schema version ${version}; this keycard knows ${steps.length}. Upgrade keycard.`,
        );
      }
      for (; version < steps.length; version += 1) await client.query(steps[version] as string);
      await client.query(`UPDATE "${this.schema}".keycard_schema SET version = $1`, [version]);
      await client.query('COMMIT');
    } catch (error) {
      connection?.release(error);
      connection = undefined;
      if (KeycardError.is(error)) throw error;
      throw new KeycardError(this.#openFailure(error, found, steps.length), { cause: error });
    } finally {
      connection?.release();
    }
  }

  /** The schema version of the store, `undefined` when keycard's tables are not there yet. */
  async #version(client: PoolClient): Promise<number | undefined> {
    const table = await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [
      `"${this.schema}".keycard_schema`,
    ]);
    if ((table.rows[0] as { present: boolean } | undefined)?.present !== true) return undefined;
    const rows = await client.query(`SELECT version FROM "${this.schema}".keycard_schema`);
    return rows.rows.length === 0 ? undefined : Number((rows.rows[0] as { version: number }).version);
  }

  /** Why the ledger cannot be opened, with the server's own words. */
  #openFailure(error: unknown, found: number | undefined, current: number): string {
    const cause = this.describeError(error).replace(/\.$/, '');
    const where = `the PostgreSQL ledger at ${this.#display} (schema ${this.schema})`;
    if ((error as { code?: unknown } | null)?.code === INSUFFICIENT_PRIVILEGE) {
      const state =
        found === undefined
          ? 'its tables do not exist yet'
          : `its tables are at version ${found} of ${current}`;
      return `keycard: ${where} cannot be opened: ${cause}. ${state[0]?.toUpperCase()}${state.slice(1)}, and this role may not create or upgrade them: open it once with a role that may (the schema's owner), then read it with this one.`;
    }
    return `keycard: ${where} cannot be opened: ${cause}.`;
  }

  async #transaction<T>(
    work: (client: PoolClient) => Promise<T>,
    onCommit: () => void = () => undefined,
  ): Promise<T> {
    await this.#ready;
    const connection = await this.#connect();
    const { client } = connection;
    let failure: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      onCommit();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // The server refused a statement: a rollback leaves the connection healthy. Anything else
      // (a dropped connection, a query that timed out and may still run) drops the connection,
      // which ends the transaction on the server.
      failure = error;
      if (isServerError(error) && (await rolledBack(client))) failure = undefined;
      throw error;
    } finally {
      connection.release(failure);
    }
  }

  async #query(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    await this.#ready;
    return (await this.#pool.query(text, params)).rows as Record<string, unknown>[];
  }

  /**
   * One transaction. When the connection drops after COMMIT was sent, the batch may or may not be
   * stored: its transaction id is kept, and before the batch is written again the server says
   * whether that transaction committed (`txid_status`), so that no event is stored twice.
   */
  protected async writeBatch(batch: readonly PendingEvent[]): Promise<void> {
    const pending = this.#uncertain.length === 0 ? batch : await this.#withoutCommitted(batch);
    if (pending.length === 0) return;
    let xid: string | undefined;
    let committing = false;
    try {
      await this.#write(
        pending,
        (id) => {
          xid = id;
        },
        () => {
          committing = true;
        },
      );
    } catch (error) {
      if (committing && xid !== undefined) this.#uncertain.push({ xid, events: new Set(pending) });
      throw error;
    }
  }

  /** `batch` without the events of earlier batches that did commit. */
  async #withoutCommitted(batch: readonly PendingEvent[]): Promise<readonly PendingEvent[]> {
    const stored = new Set<PendingEvent>();
    for (const uncertain of [...this.#uncertain]) {
      const [row] = await this.#query('SELECT txid_status($1::bigint) AS status', [uncertain.xid]);
      const status = row?.['status'] as string | null | undefined;
      // Still running: the server has not yet seen that the connection is gone. Try again later.
      if (status === 'in progress')
        throw new Error('an earlier write of this ledger is still being committed');
      if (status === 'committed') for (const event of uncertain.events) stored.add(event);
      this.#uncertain.splice(this.#uncertain.indexOf(uncertain), 1);
    }
    return stored.size === 0 ? batch : batch.filter((pending) => !stored.has(pending));
  }

  async #write(
    batch: readonly PendingEvent[],
    onTransactionId: (xid: string) => void,
    onCommit: () => void,
  ): Promise<void> {
    await this.#transaction(async (client) => {
      const [row] = (await client.query('SELECT txid_current()::text AS xid')).rows as Array<{ xid: string }>;
      if (row !== undefined) onTransactionId(row.xid);
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
      const charges = [...batchCharges(batch)];
      if (charges.length > 0) {
        // One statement: row locks taken in one order, whatever the batch.
        await client.query(
          `UPDATE keycard_reservations AS r SET usd_nusd = r.usd_nusd - c.nusd, requests = r.requests - c.requests,
            tokens = r.tokens - c.tokens
            FROM (SELECT unnest($1::text[]) AS id, unnest($2::bigint[]) AS nusd, unnest($3::bigint[]) AS requests,
              unnest($4::bigint[]) AS tokens) AS c
            WHERE r.id = c.id`,
          [
            charges.map(([id]) => id),
            charges.map(([, used]) => used.nusd),
            charges.map(([, used]) => used.requests),
            charges.map(([, used]) => used.tokens),
          ],
        );
      }
    }, onCommit);
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

  protected override async readTagNames(query: Omit<TotalsQuery, 'by'>): Promise<string[]> {
    const { text, params } = tagNamesQuery('postgres', query);
    return (await this.#query(text, params)).map((row) => String(row['name']));
  }

  protected async readKeys(): Promise<KeyUsage[]> {
    return (await this.#query(KEYS_QUERY)).map(rowToKey);
  }

  protected async lockedLease(
    scope: BudgetScope,
    since: readonly Date[],
    id: string,
    decide: (view: LeaseView) => LeaseChange | undefined,
  ): Promise<LeaseView> {
    return this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keycard.budget:${scope.id}`]);
      const now = Date.now();
      const query = leaseViewQuery('postgres', scope, since, id, now);
      const view = rowToLeaseView((await client.query(query.text, query.params)).rows[0], since.length);
      const change = decide(view);
      if (change !== undefined) {
        const { text, params } = leaseChangeQuery('postgres', scope, id, now, change);
        await client.query(text, params);
      }
      if (now - this.#purgedAt > 3_600_000) {
        this.#purgedAt = now;
        const { text, params } = purgeQuery('postgres', now - 3_600_000);
        await client.query(text, params);
      }
      return view;
    });
  }

  protected async insertAlertMark(key: string): Promise<boolean> {
    await this.#ready;
    const result = await this.#pool.query(
      'INSERT INTO keycard_alerts (key, fired_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [key, Date.now()],
    );
    return result.rowCount === 1;
  }

  #keyStatesTable: Promise<void> | undefined;

  /** The table of shared key states, made on first use (no schema version: older keycards ignore it). */
  #keyStates(): Promise<void> {
    this.#keyStatesTable ??= this.#ready
      .then(() => this.#pool.query(KEY_STATES_TABLE))
      .then(
        () => undefined,
        (error: unknown) => {
          // Two processes creating it at once: one of them gets a unique violation on the
          // catalogue (or "already exists"), and the table is there.
          const code = (error as { code?: unknown } | null)?.code;
          if (code === '23505' || code === '42P07') return;
          this.#keyStatesTable = undefined;
          throw error;
        },
      );
    return this.#keyStatesTable;
  }

  protected override async writeKeyState(state: SharedKeyState): Promise<void> {
    await this.#keyStates();
    await this.#pool.query(UPSERT_KEY_STATE('$1', '$2', '$3', '$4', '$5'), [
      state.fingerprint,
      state.model,
      state.state,
      state.untilMs,
      state.updatedMs,
    ]);
  }

  protected override async readKeyStates(
    fingerprints: readonly string[],
    sinceMs: number,
  ): Promise<SharedKeyState[]> {
    await this.#keyStates();
    const result = await this.#pool.query(
      'SELECT fingerprint, model, state, until_ms, updated_ms FROM keycard_key_states WHERE updated_ms > $1 AND fingerprint = ANY($2)',
      [sinceMs, [...fingerprints]],
    );
    return (result.rows as Record<string, unknown>[]).map(rowToKeyState);
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
    const loaded = await importOptional<typeof import('pg') & { default?: typeof import('pg') }>('pg');
    pg = loaded.default ?? loaded;
  } catch (error) {
    throw new KeycardError('keycard: the PostgreSQL ledger needs the pg package. Run: npm install pg', {
      cause: error,
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not shown: it may hold a password.
    throw new KeycardError(
      'keycard: the PostgreSQL ledger URL cannot be read; it looks like postgres://user:password@host:5432/database?schema=keycard (special characters in the password percent-encoded).',
    );
  }
  const schema = options.schema ?? parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema))
    throw new KeycardError('keycard: a PostgreSQL schema name has letters, digits and _ only.');
  parsed.searchParams.delete('schema');
  // The schema is every connection's search_path from its start (a startup option, so no query
  // races the first one; the URL's own `options` are kept).
  const startupOptions = [parsed.searchParams.get('options'), `-c search_path="${schema}"`]
    .filter((option) => option !== null && option !== '')
    .join(' ');
  parsed.searchParams.delete('options');
  const display = `postgres://${parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`}${parsed.host}${parsed.pathname}`;
  const secrets = parsed.password === '' ? [] : [parsed.password, safeDecode(parsed.password)];
  const connectTimeoutMs = timeout(options.connectTimeoutMs, 10_000, 'connectTimeoutMs');
  const queryTimeoutMs = timeout(options.queryTimeoutMs, 30_000, 'queryTimeoutMs');
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: options.maxConnections ?? 4,
    // Idle connections do not keep the process alive: a script may end without close().
    allowExitOnIdle: true,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: queryTimeoutMs,
    keepAlive: true,
    options: startupOptions,
  });
  // Idle clients that fail (the server restarted) must not crash the process.
  pool.on('error', () => undefined);
  const ledger = new PostgresLedger(pool, schema, display, options, secrets);
  try {
    await ledger.ready;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return ledger;
}

/** An error the server sent (it has a severity), as opposed to a connection that failed. */
function isServerError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'severity' in error;
}

async function rolledBack(client: PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function timeout(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new KeycardError(`keycard: ${name} is a number of milliseconds, more than 0.`);
  }
  return Math.round(value);
}
