/**
 * The simulator's tally bookkeeping: one row of counts per provider, key and model, added to as
 * requests are answered, and summed by provider, key and model when the tally is read.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import type { SimulatedRequest, SimulatorCounts, SimulatorTally, SimulatorTallyRow } from './types.js';

type MutableCounts = {
  requests: number;
  unanswered: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  errors: Record<number, number>;
};

/** The tally's rows, by provider, key fingerprint and model. */
export type TallyRows = Map<
  string,
  MutableCounts & { provider: ProviderId; keyFingerprint: string | null; model: string | null }
>;

const emptyCounts = (): MutableCounts => ({
  requests: 0,
  unanswered: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  errors: {},
});

function addCounts(into: MutableCounts, from: SimulatorCounts): void {
  into.requests += from.requests;
  into.unanswered += from.unanswered;
  into.inputTokens += from.inputTokens;
  into.cachedInputTokens += from.cachedInputTokens;
  into.outputTokens += from.outputTokens;
  into.reasoningTokens += from.reasoningTokens;
  for (const [status, count] of Object.entries(from.errors)) {
    const code = Number(status);
    into.errors[code] = (into.errors[code] ?? 0) + count;
  }
}

/** The counts of `name` in `groups`, created empty on first use. */
function group<Name extends string>(groups: Partial<Record<Name, MutableCounts>>, name: Name): MutableCounts {
  const existing = groups[name];
  if (existing !== undefined) return existing;
  const created = emptyCounts();
  groups[name] = created;
  return created;
}

/** Counts `entry` in its row of `rows`; requests routed to no provider are not counted. */
export function countRequest(rows: TallyRows, entry: SimulatedRequest): void {
  if (entry.provider === null) return;
  const id = JSON.stringify([entry.provider, entry.keyFingerprint, entry.model]);
  let row = rows.get(id);
  if (row === undefined) {
    row = {
      provider: entry.provider,
      keyFingerprint: entry.keyFingerprint,
      model: entry.model,
      ...emptyCounts(),
    };
    rows.set(id, row);
  }
  if (entry.status === null) {
    row.unanswered += 1;
    return;
  }
  row.requests += 1;
  if (entry.status >= 400) row.errors[entry.status] = (row.errors[entry.status] ?? 0) + 1;
  if (entry.status === 200 && entry.usage !== null) {
    row.inputTokens += entry.usage.inputTokens;
    row.cachedInputTokens += entry.usage.cachedInputTokens;
    row.outputTokens += entry.usage.outputTokens;
    row.reasoningTokens += entry.usage.reasoningTokens;
  }
}

/** A snapshot of `rows`, with totals by provider, key and model. */
export function tallyOf(rows: TallyRows): SimulatorTally {
  const total = emptyCounts();
  const byProvider: Partial<Record<ProviderId, MutableCounts>> = {};
  const byKey: Record<string, MutableCounts> = {};
  const byModel: Record<string, MutableCounts> = {};
  const snapshot: SimulatorTallyRow[] = [];
  for (const row of rows.values()) {
    const copy = { ...row, errors: { ...row.errors } };
    snapshot.push(copy);
    addCounts(total, copy);
    addCounts(group(byProvider, row.provider), copy);
    if (row.keyFingerprint !== null) addCounts(group(byKey, row.keyFingerprint), copy);
    if (row.model !== null) addCounts(group(byModel, row.model), copy);
  }
  return { total, byProvider, byKey, byModel, rows: snapshot };
}
