/**
 * Grouping and summing usage events: the shared arithmetic behind every ledger's `totals()`.
 * @module
 */
import { KeycardError } from '../errors.js';
import { NO_TAGS, TAG_KEY, tagKeyOf } from './tags.js';
import type { KeyUsage, TotalsDimension, TotalsQuery, TotalsRow, UsageEvent } from './types.js';

const DIMENSIONS: ReadonlySet<string> = new Set([
  'fingerprint',
  'provider',
  'model',
  'workflow',
  'operation',
  'day',
  'hour',
]);

/** Checks a query's dimensions and tag filters: a `KeycardError` naming the first wrong one. */
export function checkTotalsQuery(query: TotalsQuery): void {
  for (const dimension of query.by ?? []) {
    if (DIMENSIONS.has(dimension) || tagKeyOf(dimension) !== undefined) continue;
    throw new KeycardError(
      `ledger.totals(): cannot group by ${JSON.stringify(String(dimension))}. Dimensions: ${[...DIMENSIONS].join(', ')}, or tag:NAME (a tag name: a letter, then letters, digits, _, . or -).`,
    );
  }
  const tags = query.where?.tags;
  if (tags === undefined) return;
  if (typeof tags !== 'object' || tags === null) {
    throw new KeycardError(
      'ledger.totals(): where.tags is an object of tag names and values, such as { team: "billing" }.',
    );
  }
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_KEY.test(key) || (value !== null && typeof value !== 'string')) {
      throw new KeycardError(
        `ledger.totals(): where.tags.${key.slice(0, 70)} must be a tag name (a letter, then letters, digits, _, . or -) with a string value or null.`,
      );
    }
  }
}

/** Whether `event` falls inside the query's time range and `where` fields. */
export function matchesQuery(event: UsageEvent, query: Omit<TotalsQuery, 'by'> = {}): boolean {
  if (query.since !== undefined && event.time < query.since) return false;
  if (query.until !== undefined && event.time >= query.until) return false;
  if (query.where !== undefined) {
    for (const [field, expected] of Object.entries(query.where)) {
      if (expected === undefined) continue;
      if (field === 'tags') {
        const tags = event.tags ?? NO_TAGS;
        for (const [key, value] of Object.entries(expected as Record<string, string | null>)) {
          if ((tags[key] ?? null) !== value) return false;
        }
      } else if (event[field as keyof UsageEvent] !== expected) return false;
    }
  }
  return true;
}

/** `YYYY-MM-DD` in UTC. */
export function dayOf(time: Date): string {
  return time.toISOString().slice(0, 10);
}

function groupFields(event: UsageEvent, by: readonly TotalsDimension[]): Partial<TotalsRow> {
  const fields: Partial<TotalsRow> = {};
  for (const dimension of by) {
    switch (dimension) {
      case 'fingerprint':
        fields.fingerprint = event.keyFingerprint;
        fields.maskedId = event.maskedId;
        break;
      case 'provider':
        fields.provider = event.provider;
        break;
      case 'model':
        fields.model = event.model;
        break;
      case 'workflow':
        fields.workflow = event.workflow;
        break;
      case 'operation':
        fields.operation = event.operation;
        break;
      case 'day':
        fields.day = dayOf(event.time);
        break;
      case 'hour':
        fields.hour = event.time.toISOString().slice(0, 13);
        break;
      default: {
        const key = dimension.slice(4);
        fields.tags ??= {};
        fields.tags[key] = (event.tags ?? NO_TAGS)[key] ?? null;
      }
    }
  }
  return fields;
}

/** A row's value of one dimension: its field, or its tag's value. */
export function dimensionValue(row: Partial<TotalsRow>, dimension: TotalsDimension): unknown {
  const key = tagKeyOf(dimension);
  if (key !== undefined) return row.tags?.[key] ?? null;
  return row[dimension as keyof TotalsRow];
}

function emptyRow(fields: Partial<TotalsRow>): TotalsRow {
  return {
    ...fields,
    requests: 0,
    errors: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    costUsd: null,
    unpricedRequests: 0,
  };
}

/** Sums `events` into rows grouped by `query.by`, in order of first appearance. */
export function sumEvents(events: Iterable<UsageEvent>, query: TotalsQuery = {}): TotalsRow[] {
  const by = query.by ?? [];
  const rows = new Map<string, TotalsRow>();
  for (const event of events) {
    if (!matchesQuery(event, query)) continue;
    const fields = groupFields(event, by);
    const key = JSON.stringify(by.map((dimension) => dimensionValue(fields, dimension)));
    let row = rows.get(key);
    if (row === undefined) {
      row = emptyRow(fields);
      rows.set(key, row);
    }
    row.requests += event.requests;
    if (event.outcome !== 'ok') row.errors += event.requests;
    row.inputTokens += event.inputTokens ?? 0;
    row.cachedInputTokens += event.cachedInputTokens ?? 0;
    row.cacheWriteTokens += event.cacheWriteTokens ?? 0;
    row.outputTokens += event.outputTokens ?? 0;
    row.reasoningTokens += event.reasoningTokens ?? 0;
    if (event.costUsd === null) {
      if (event.outcome === 'ok') row.unpricedRequests += event.requests;
    } else row.costUsd = (row.costUsd ?? 0) + event.costUsd;
  }
  return [...rows.values()];
}

/** Per key fingerprint: masked id (the latest), provider, first and last use, requests, cost. */
export function sumKeys(events: Iterable<UsageEvent>): KeyUsage[] {
  const keys = new Map<string, KeyUsage>();
  for (const event of events) {
    let row = keys.get(event.keyFingerprint);
    if (row === undefined) {
      row = {
        fingerprint: event.keyFingerprint,
        maskedId: event.maskedId,
        provider: event.provider,
        firstUsed: event.time,
        lastUsed: event.time,
        requests: 0,
        errors: 0,
        costUsd: null,
      };
      keys.set(event.keyFingerprint, row);
    }
    if (event.time < row.firstUsed) row.firstUsed = event.time;
    if (event.time >= row.lastUsed) {
      row.lastUsed = event.time;
      row.maskedId = event.maskedId;
    }
    row.requests += event.requests;
    if (event.outcome !== 'ok') row.errors += event.requests;
    if (event.costUsd !== null) row.costUsd = (row.costUsd ?? 0) + event.costUsd;
  }
  return [...keys.values()].sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
}
