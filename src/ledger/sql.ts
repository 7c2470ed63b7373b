/**
 * The SQL both stored ledgers share (SQLite and PostgreSQL): the schema, and the queries behind
 * `totals()`, `events()`, `keys()` and budget checks, with the few differences of dialect in one
 * place. Costs are stored as whole nano-dollars, so that sums are exact.
 * @module
 */
import type { Amount, LeaseChange, LeaseView, PendingEvent, SharedKeyState } from './base.js';
import type { BudgetScope } from './budget.js';
import { hasTags, NO_TAGS, TAG_KEY, tagKeyOf } from './tags.js';
import type { KeyUsage, TotalsDimension, TotalsQuery, TotalsRow, UsageEvent, UsageOutcome } from './types.js';

export type Dialect = 'sqlite' | 'postgres';

/** USD ↔ nano-USD. */
export const toNano = (usd: number | null): number | null => (usd === null ? null : Math.round(usd * 1e9));
export const fromNano = (nano: unknown): number | null =>
  nano === null || nano === undefined ? null : Number(nano) / 1e9;

/** The schema, as migrations: migration N brings the store from version N to N+1. */
export function migrations(dialect: Dialect): string[] {
  const id = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  return [
    `CREATE TABLE keycard_events (
      id ${id},
      time_ms ${int} NOT NULL,
      provider TEXT NOT NULL,
      operation TEXT NOT NULL,
      model TEXT,
      key_fingerprint TEXT NOT NULL,
      masked_id TEXT NOT NULL,
      workflow TEXT,
      input_tokens ${int},
      cached_input_tokens ${int},
      cache_write_tokens ${int},
      output_tokens ${int},
      reasoning_tokens ${int},
      requests ${int} NOT NULL,
      cost_nusd ${int},
      pricing TEXT,
      latency_ms ${real} NOT NULL,
      outcome TEXT NOT NULL,
      status ${int},
      stream ${int} NOT NULL
    );
    CREATE INDEX keycard_events_time ON keycard_events (time_ms);
    CREATE INDEX keycard_events_key ON keycard_events (key_fingerprint, time_ms);
    CREATE INDEX keycard_events_workflow ON keycard_events (workflow, time_ms);
    CREATE INDEX keycard_events_provider ON keycard_events (provider, time_ms);
    CREATE TABLE keycard_reservations (
      id TEXT PRIMARY KEY,
      scope TEXT NOT NULL,
      usd_nusd ${int} NOT NULL,
      requests ${int} NOT NULL,
      tokens ${int} NOT NULL,
      expires_ms ${int} NOT NULL
    );
    CREATE INDEX keycard_reservations_scope ON keycard_reservations (scope, expires_ms);
    CREATE TABLE keycard_alerts (
      key TEXT PRIMARY KEY,
      fired_ms ${int} NOT NULL
    );`,
    // 2: tags, a JSON object (NULL when a call has none). PostgreSQL indexes them for `@>`, which
    // the filters and tag-scoped budgets use; SQLite reads them with json_extract.
    dialect === 'sqlite'
      ? 'ALTER TABLE keycard_events ADD COLUMN tags TEXT;'
      : `ALTER TABLE keycard_events ADD COLUMN tags JSONB;
    CREATE INDEX keycard_events_tags ON keycard_events USING GIN (tags jsonb_path_ops);`,
  ];
}

/** The SQL of one tag's value, for a tag name already checked against `TAG_KEY` (so safe inline). */
export function tagValueSql(dialect: Dialect, key: string): string {
  if (!TAG_KEY.test(key)) throw new TypeError(`ledger: ${JSON.stringify(key)} is not a tag name`);
  return dialect === 'sqlite' ? `json_extract(tags, '$."${key}"')` : `(tags ->> '${key}')`;
}

/** The stored form of an event's tags: JSON text, or NULL when it has none (no work on the common path). */
export function tagsValue(tags: UsageEvent['tags'] | undefined): string | null {
  return hasTags(tags) ? JSON.stringify(tags) : null;
}

/** Stored tags back to an object (SQLite gives JSON text, pg a parsed object). */
function tagsFrom(value: unknown): UsageEvent['tags'] {
  if (value === null || value === undefined) return NO_TAGS;
  try {
    const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    return typeof parsed === 'object' && parsed !== null
      ? Object.freeze(parsed as Record<string, string>)
      : NO_TAGS;
  } catch {
    return NO_TAGS;
  }
}

/**
 * Pool members' states shared between processes (`BaseLedger.shareKeyState`). Made on first use,
 * outside the versioned schema, so that an older keycard still opens a store that has it.
 */
export const KEY_STATES_TABLE = `CREATE TABLE IF NOT EXISTS keycard_key_states (
  fingerprint TEXT NOT NULL,
  model TEXT NOT NULL,
  state TEXT NOT NULL,
  until_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (fingerprint, model)
)`;

/** Writes one key state (placeholders `?` for SQLite, `$1…` for PostgreSQL); the newest wins. */
export const UPSERT_KEY_STATE = (...p: [string, string, string, string, string]): string =>
  `INSERT INTO keycard_key_states (fingerprint, model, state, until_ms, updated_ms) VALUES (${p.join(', ')})
   ON CONFLICT (fingerprint, model) DO UPDATE SET state = excluded.state, until_ms = excluded.until_ms,
   updated_ms = excluded.updated_ms WHERE excluded.updated_ms >= keycard_key_states.updated_ms`;

/** A stored key state back to its object. */
export function rowToKeyState(row: Record<string, unknown>): SharedKeyState {
  return {
    fingerprint: String(row['fingerprint']),
    model: String(row['model']),
    state: String(row['state']) as SharedKeyState['state'],
    untilMs: Number(row['until_ms']),
    updatedMs: Number(row['updated_ms']),
  };
}

export const EVENT_COLUMNS = [
  'time_ms',
  'provider',
  'operation',
  'model',
  'key_fingerprint',
  'masked_id',
  'workflow',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'requests',
  'cost_nusd',
  'pricing',
  'latency_ms',
  'outcome',
  'status',
  'stream',
  'tags',
] as const;

/** An event's values, in `EVENT_COLUMNS` order. */
export function eventValues(event: UsageEvent): Array<string | number | null> {
  return [
    event.time.getTime(),
    event.provider,
    event.operation,
    event.model,
    event.keyFingerprint,
    event.maskedId,
    event.workflow,
    event.inputTokens,
    event.cachedInputTokens,
    event.cacheWriteTokens,
    event.outputTokens,
    event.reasoningTokens,
    event.requests,
    toNano(event.costUsd),
    event.pricing,
    event.latencyMs,
    event.outcome,
    event.status,
    event.stream ? 1 : 0,
    tagsValue(event.tags),
  ];
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** A stored row back to an event. */
export function rowToEvent(row: Record<string, unknown>): UsageEvent {
  return {
    time: new Date(Number(row['time_ms'])),
    provider: row['provider'] as UsageEvent['provider'],
    operation: String(row['operation']),
    model: (row['model'] as string | null) ?? null,
    keyFingerprint: String(row['key_fingerprint']),
    maskedId: String(row['masked_id']),
    workflow: (row['workflow'] as string | null) ?? null,
    inputTokens: num(row['input_tokens']),
    cachedInputTokens: num(row['cached_input_tokens']),
    cacheWriteTokens: num(row['cache_write_tokens']),
    outputTokens: num(row['output_tokens']),
    reasoningTokens: num(row['reasoning_tokens']),
    requests: Number(row['requests']),
    costUsd: fromNano(row['cost_nusd']),
    pricing: (row['pricing'] as string | null) ?? null,
    latencyMs: Number(row['latency_ms']),
    outcome: row['outcome'] as UsageOutcome,
    status: num(row['status']),
    stream: Number(row['stream']) === 1,
    tags: tagsFrom(row['tags']),
  };
}

/** Builds parameterised SQL in one dialect. */
export class Sql {
  readonly params: unknown[] = [];
  constructor(readonly dialect: Dialect) {}
  /** A placeholder for `value`. */
  p(value: unknown): string {
    this.params.push(value);
    return this.dialect === 'sqlite' ? '?' : `$${this.params.length}`;
  }
  /** `column = value`, true for nulls too. */
  equals(column: string, value: unknown): string {
    return this.dialect === 'sqlite'
      ? `${column} IS ${this.p(value)}`
      : `${column} IS NOT DISTINCT FROM ${this.p(value)}`;
  }
  timeFormat(kind: 'day' | 'hour'): string {
    if (this.dialect === 'sqlite') {
      return `strftime('${kind === 'day' ? '%Y-%m-%d' : '%Y-%m-%dT%H'}', time_ms / 1000, 'unixepoch')`;
    }
    return `to_char(to_timestamp(time_ms / 1000.0) AT TIME ZONE 'UTC', '${kind === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM-DD"T"HH24'}')`;
  }
}

const WHERE_COLUMNS: Record<string, string> = {
  provider: 'provider',
  model: 'model',
  workflow: 'workflow',
  keyFingerprint: 'key_fingerprint',
  operation: 'operation',
};

export function whereClause(sql: Sql, query: Omit<TotalsQuery, 'by'>): string {
  const parts: string[] = [];
  if (query.since !== undefined) parts.push(`time_ms >= ${sql.p(query.since.getTime())}`);
  if (query.until !== undefined) parts.push(`time_ms < ${sql.p(query.until.getTime())}`);
  for (const [field, value] of Object.entries(query.where ?? {})) {
    if (field === 'tags') {
      for (const [key, expected] of Object.entries((value ?? {}) as Record<string, string | null>)) {
        parts.push(tagEquals(sql, key, expected));
      }
      continue;
    }
    const column = WHERE_COLUMNS[field];
    if (column === undefined) throw new TypeError(`ledger: cannot filter on ${field}`);
    if (value !== undefined) parts.push(sql.equals(column, value));
  }
  return parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
}

/** Events whose tag `key` is `value` (`null`: events without that tag). */
function tagEquals(sql: Sql, key: string, value: string | null): string {
  const column = tagValueSql(sql.dialect, key);
  if (value === null) return `${column} IS NULL`;
  // PostgreSQL: containment, which the GIN index on tags serves.
  if (sql.dialect === 'postgres') return `tags @> ${sql.p(JSON.stringify({ [key]: value }))}::jsonb`;
  return `${column} = ${sql.p(value)}`;
}

const DIMENSION_SQL: Record<Exclude<TotalsDimension, 'day' | 'hour' | `tag:${string}`>, string> = {
  fingerprint: 'key_fingerprint',
  provider: 'provider',
  model: 'model',
  workflow: 'workflow',
  operation: 'operation',
};

export function totalsQuery(dialect: Dialect, query: TotalsQuery): { text: string; params: unknown[] } {
  const sql = new Sql(dialect);
  const by = query.by ?? [];
  const select: string[] = [];
  const group: string[] = [];
  for (const [index, dimension] of by.entries()) {
    const tag = tagKeyOf(dimension);
    const expression =
      tag !== undefined
        ? tagValueSql(dialect, tag)
        : dimension === 'day' || dimension === 'hour'
          ? sql.timeFormat(dimension)
          : DIMENSION_SQL[dimension as keyof typeof DIMENSION_SQL];
    select.push(`${expression} AS ${dimensionAlias(dimension, index)}`);
    group.push(expression);
    if (dimension === 'fingerprint') select.push('MAX(masked_id) AS d_masked_id');
  }
  const where = whereClause(sql, query);
  const text = `SELECT ${[
    ...select,
    'SUM(requests) AS requests',
    "SUM(CASE WHEN outcome <> 'ok' THEN requests ELSE 0 END) AS errors",
    'SUM(COALESCE(input_tokens, 0)) AS input_tokens',
    'SUM(COALESCE(cached_input_tokens, 0)) AS cached_input_tokens',
    'SUM(COALESCE(cache_write_tokens, 0)) AS cache_write_tokens',
    'SUM(COALESCE(output_tokens, 0)) AS output_tokens',
    'SUM(COALESCE(reasoning_tokens, 0)) AS reasoning_tokens',
    'SUM(cost_nusd) AS cost_nusd',
    "SUM(CASE WHEN cost_nusd IS NULL AND outcome = 'ok' THEN requests ELSE 0 END) AS unpriced",
  ].join(', ')} FROM keycard_events ${where}${group.length > 0 ? ` GROUP BY ${group.join(', ')}` : ''}${
    group.length > 0 ? ' ORDER BY MIN(id)' : ''
  }`;
  return { text, params: sql.params };
}

/** The column a dimension is read into (a tag's by its place: its name is no SQL identifier). */
function dimensionAlias(dimension: TotalsDimension, index: number): string {
  return tagKeyOf(dimension) !== undefined ? `d_tag_${index}` : `d_${dimension}`;
}

export function rowToTotals(
  row: Record<string, unknown>,
  by: readonly TotalsDimension[],
): TotalsRow | undefined {
  if (Number(row['requests'] ?? 0) === 0 && by.length === 0 && row['requests'] === null) return undefined;
  const result: TotalsRow = {
    requests: Number(row['requests'] ?? 0),
    errors: Number(row['errors'] ?? 0),
    inputTokens: Number(row['input_tokens'] ?? 0),
    cachedInputTokens: Number(row['cached_input_tokens'] ?? 0),
    cacheWriteTokens: Number(row['cache_write_tokens'] ?? 0),
    outputTokens: Number(row['output_tokens'] ?? 0),
    reasoningTokens: Number(row['reasoning_tokens'] ?? 0),
    costUsd: fromNano(row['cost_nusd']),
    unpricedRequests: Number(row['unpriced'] ?? 0),
  };
  for (const [index, dimension] of by.entries()) {
    const value = row[dimensionAlias(dimension, index)];
    const tag = tagKeyOf(dimension);
    if (tag !== undefined) {
      result.tags ??= {};
      result.tags[tag] = value === null || value === undefined ? null : String(value);
      continue;
    }
    switch (dimension) {
      case 'fingerprint':
        result.fingerprint = String(value);
        result.maskedId = String(row['d_masked_id']);
        break;
      case 'provider':
        result.provider = value as TotalsRow['provider'] & string;
        break;
      case 'operation':
        result.operation = String(value);
        break;
      case 'model':
        result.model = (value as string | null) ?? null;
        break;
      case 'workflow':
        result.workflow = (value as string | null) ?? null;
        break;
      case 'day':
        result.day = String(value);
        break;
      case 'hour':
        result.hour = String(value);
        break;
    }
  }
  return result;
}

export function eventsQuery(dialect: Dialect, query: Omit<TotalsQuery, 'by'>, after: number, limit: number) {
  const sql = new Sql(dialect);
  const where = whereClause(sql, query);
  const text = `SELECT * FROM keycard_events ${where === '' ? 'WHERE' : `${where} AND`} id > ${sql.p(after)} ORDER BY id LIMIT ${sql.p(limit)}`;
  return { text, params: sql.params };
}

/** The tag names of the events in a range and filter, sorted. */
export function tagNamesQuery(dialect: Dialect, query: Omit<TotalsQuery, 'by'>) {
  const sql = new Sql(dialect);
  const where = whereClause(sql, query);
  const filter = `${where === '' ? 'WHERE' : `${where} AND`} tags IS NOT NULL`;
  const text =
    dialect === 'sqlite'
      ? `SELECT DISTINCT j.key AS name FROM keycard_events, json_each(keycard_events.tags) AS j ${filter} ORDER BY 1`
      : `SELECT DISTINCT jsonb_object_keys(tags) AS name FROM keycard_events ${filter} ORDER BY 1`;
  return { text, params: sql.params };
}

export const KEYS_QUERY = `SELECT key_fingerprint, MAX(masked_id) AS masked_id, MAX(provider) AS provider,
  MIN(time_ms) AS first_ms, MAX(time_ms) AS last_ms, SUM(requests) AS requests,
  SUM(CASE WHEN outcome <> 'ok' THEN requests ELSE 0 END) AS errors, SUM(cost_nusd) AS cost_nusd
  FROM keycard_events GROUP BY key_fingerprint ORDER BY MAX(time_ms) DESC`;

export function rowToKey(row: Record<string, unknown>): KeyUsage {
  return {
    fingerprint: String(row['key_fingerprint']),
    maskedId: String(row['masked_id']),
    provider: row['provider'] as KeyUsage['provider'],
    firstUsed: new Date(Number(row['first_ms'])),
    lastUsed: new Date(Number(row['last_ms'])),
    requests: Number(row['requests']),
    errors: Number(row['errors']),
    costUsd: fromNano(row['cost_nusd']),
  };
}

const SCOPE_COLUMN: Record<Exclude<BudgetScope['field'], 'tag'>, string> = {
  key: 'key_fingerprint',
  workflow: 'workflow',
  provider: 'provider',
};

/** Events of a budget scope: its column's value, or (`tag`) its tag's value. */
function inScopeSql(sql: Sql, scope: BudgetScope): string {
  if (scope.field === 'tag') return tagEquals(sql, scope.tag as string, scope.value);
  return `${SCOPE_COLUMN[scope.field]} = ${sql.p(scope.value)}`;
}

/**
 * What a lease operation reads (`LeaseView`), in ONE statement, so that all of it comes from the
 * same snapshot: a batch of another process writes its events and charges its lease in one
 * transaction, and a call must not vanish from both, nor count in both. Events are summed per
 * period start (`r0_…`, `r1_…`); the live holds of the scope (leases, and reservations of keycard
 * before leases) count each when above 0 (a lease whose calls cost more than it held is below 0,
 * and its events count them); `own_…` is the lease's own hold, when live.
 */
export function leaseViewQuery(
  dialect: Dialect,
  scope: BudgetScope,
  since: readonly Date[],
  id: string,
  now: number,
) {
  const sql = new Sql(dialect);
  const positive = (column: string) =>
    dialect === 'sqlite' ? `MAX(${column}, 0)` : `GREATEST(${column}, 0)`;
  const recorded = since.map((start, index) => {
    const where = `WHERE ${inScopeSql(sql, scope)} AND time_ms >= ${sql.p(start.getTime())}`;
    return `(SELECT COALESCE(SUM(cost_nusd), 0) AS r${index}_nusd, COALESCE(SUM(requests), 0) AS r${index}_requests,
      COALESCE(SUM(COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0)), 0) AS r${index}_tokens
      FROM keycard_events ${where}) AS r${index}`;
  });
  const held = `(SELECT COALESCE(SUM(${positive('usd_nusd')}), 0) AS held_nusd,
    COALESCE(SUM(${positive('requests')}), 0) AS held_requests, COALESCE(SUM(${positive('tokens')}), 0) AS held_tokens
    FROM keycard_reservations WHERE scope = ${sql.p(scope.id)} AND expires_ms >= ${sql.p(now)}) AS h`;
  const own = `(SELECT COUNT(*) AS own_count, COALESCE(SUM(usd_nusd), 0) AS own_nusd,
    COALESCE(SUM(requests), 0) AS own_requests, COALESCE(SUM(tokens), 0) AS own_tokens
    FROM keycard_reservations WHERE id = ${sql.p(id)} AND expires_ms >= ${sql.p(now)}) AS o`;
  return { text: `SELECT * FROM ${[...recorded, held, own].join(', ')}`, params: sql.params };
}

/** The `LeaseView` in the row of `leaseViewQuery`. */
export function rowToLeaseView(row: Record<string, unknown> | undefined, periods: number): LeaseView {
  const amount = (prefix: string): Amount => ({
    nusd: Number(row?.[`${prefix}_nusd`] ?? 0),
    requests: Number(row?.[`${prefix}_requests`] ?? 0),
    tokens: Number(row?.[`${prefix}_tokens`] ?? 0),
  });
  return {
    recorded: Array.from({ length: periods }, (_, index) => amount(`r${index}`)),
    held: amount('held'),
    own: Number(row?.['own_count'] ?? 0) > 0 ? amount('own') : undefined,
  };
}

/**
 * A lease's change (`LeaseChange`), as one statement: added to its hold while live, else set.
 * `now` is the time its view was read at, so the choice is the one its decision assumed.
 */
export function leaseChangeQuery(
  dialect: Dialect,
  scope: BudgetScope,
  id: string,
  now: number,
  change: LeaseChange,
) {
  const sql = new Sql(dialect);
  if ('remove' in change) {
    return { text: `DELETE FROM keycard_reservations WHERE id = ${sql.p(id)}`, params: sql.params };
  }
  const { add } = change;
  const values = [id, scope.id, add.nusd, add.requests, add.tokens, change.expiresAt].map((value) =>
    sql.p(value),
  );
  const column = (name: string) =>
    `${name} = CASE WHEN keycard_reservations.expires_ms >= ${sql.p(now)} THEN keycard_reservations.${name} + excluded.${name} ELSE excluded.${name} END`;
  const text = `INSERT INTO keycard_reservations (id, scope, usd_nusd, requests, tokens, expires_ms)
    VALUES (${values.join(', ')})
    ON CONFLICT (id) DO UPDATE SET ${column('usd_nusd')}, ${column('requests')}, ${column('tokens')},
    expires_ms = excluded.expires_ms`;
  return { text, params: sql.params };
}

/** Lease rows that expired long ago (their processes died): nothing reads them any more. */
export function purgeQuery(dialect: Dialect, before: number) {
  const sql = new Sql(dialect);
  return {
    text: `DELETE FROM keycard_reservations WHERE expires_ms < ${sql.p(before)}`,
    params: sql.params,
  };
}

/** Pending events' values, flattened for a multi-row insert. */
export function batchValues(batch: readonly PendingEvent[]): unknown[][] {
  return batch.map(({ event }) => eventValues(event));
}
