/**
 * Budgets and request quotas: limits in USD, requests or tokens per key, workflow or provider
 * over a UTC day, week or month; `block` or `warn` when a call would exceed one; alerts at
 * thresholds. Spent through leases (`instrument/budget-lease.ts`): each process takes slices of
 * what is left from the ledger's store, under a lock every process shares, and checks its calls
 * against its slice with no store round trip.
 * @module
 */
import { KeycardError } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';
import { type Tags, tagKeyOf } from './tags.js';

/**
 * A budget or quota.
 *
 * **How it holds across processes.** Each process spends a budget through a *lease*: a slice of
 * what is left, taken from the ledger's store in one transaction under a lock that every process
 * shares (an immediate transaction in SQLite, an advisory lock in PostgreSQL, a lock file for
 * JSON lines), then spent locally, with no store round trip per call. The store counts what is
 * left of each slice as spent (each call's event is taken off its slice in the transaction that
 * writes it), and slices never overlap. So the bound is the same as when
 * each call took its own reservation: **spend exceeds the limit by no more than the calls in
 * flight cost beyond their estimates** (a call's estimate is the running average of its model's
 * recent calls; a request is always 1, so a request quota is never exceeded). There is no margin
 * to configure: leases add none.
 *
 * A slice is sized for the calls of the last few seconds, at most 1/16 of what is left, and one
 * call at least, so near the limit every call takes its slice under the lock. What a slice did
 * not spend goes back when the process needs its next slice, after 2 seconds without a call, and
 * when the client or the ledger closes (or the program ends; with SQLite and JSON lines, at
 * `process.exit()` too). Until then other processes cannot use it: a call may be refused while
 * other live processes still hold that much unspent. A slice of a process that died counts until
 * its lease expires, `budgetLeaseMs` (60 s) after its last renewal.
 */
export interface Budget {
  /** A name for messages and alerts. @default derived from scope, period and limits */
  name?: string | undefined;
  /** Limit in USD (priced calls). */
  usd?: number | undefined;
  /** Limit in requests, e.g. 60 for a free tier of 60 calls a month. */
  requests?: number | undefined;
  /** Limit in tokens (input plus output). */
  tokens?: number | undefined;
  /**
   * The period, in UTC: a day from 00:00, a week from Monday 00:00, a month from the 1st.
   * @default 'month'
   */
  period?: 'day' | 'week' | 'month' | undefined;
  /**
   * What the limit counts: the key's usage (every workflow and process using it), the
   * workflow's, the provider's, or (`'tag:NAME'`) each value of the tag `NAME`'s: with
   * `scope: 'tag:team'`, each team has the limit, counted over every client and process that
   * records calls with that team to the ledger. A call without a workflow is outside a
   * `'workflow'` budget; a call without the tag, outside a `'tag:NAME'` one.
   * @default 'key'
   * @example { usd: 100, period: 'month', scope: 'tag:customer' } // each customer $100 a month
   */
  scope?: BudgetScopeName | undefined;
  /**
   * `block`: a call that would exceed the budget throws `BudgetExceededError` before any network
   * traffic; calls in flight, in this process or others, may exceed it by what they cost beyond
   * their estimates (see `Budget`). `warn`: it goes ahead, with a warning.
   * @default 'block'
   */
  onExceed?: 'block' | 'warn' | undefined;
  /**
   * What a call does when it needs a new slice of the budget (see `Budget`) while the ledger's
   * store cannot be reached, so that the spend cannot be checked against what every process
   * recorded. Calls within the slice this process already holds go ahead either way: that slice
   * was checked against every process's spend when it was taken.
   * - `allow` (fail open): the call goes ahead. This process goes on counting its own calls
   *   against the last spend it read, so a runaway loop here still stops at the limit; what
   *   other processes spend meanwhile is not seen until the store is back.
   * - `block` (fail closed): the call is rejected with a `LedgerUnavailableError` before
   *   anything is sent, until the store answers again.
   * @default 'allow'
   */
  onLedgerDown?: 'block' | 'allow' | undefined;
  /**
   * Fractions of the limit at which an alert fires, once per period and scope, across processes.
   * A process checks them against the spend the store had when it took its slice plus its own
   * calls since, so an alert may come up to a slice late or early.
   * @default [0.5, 0.8, 1]
   */
  alertAt?: readonly number[] | undefined;
}

/** What a budget counts: `'key'`, `'workflow'`, `'provider'`, or a tag, `'tag:NAME'`. */
export type BudgetScopeName = 'key' | 'workflow' | 'provider' | `tag:${string}`;

/** A budget with its defaults filled in and checked. */
export interface ResolvedBudget {
  name: string;
  usd: number | undefined;
  requests: number | undefined;
  tokens: number | undefined;
  period: 'day' | 'week' | 'month';
  scope: BudgetScopeName;
  /** The tag name of a `'tag:NAME'` scope. */
  tag: string | undefined;
  onExceed: 'block' | 'warn';
  onLedgerDown: 'block' | 'allow';
  alertAt: readonly number[];
}

/** What a budget is counted over, for one call. */
export interface BudgetScope {
  field: 'key' | 'workflow' | 'provider' | 'tag';
  /** The tag name, when `field` is `'tag'`. */
  tag?: string | undefined;
  value: string;
  /** `key:3f2a…`, `workflow:summarize`, `provider:openai`, `tag:team=search`. */
  id: string;
}

/** Usage inside one scope and period. */
export interface Spend {
  usd: number;
  requests: number;
  tokens: number;
}

/** An alert: a threshold crossed, or an unusual pattern of spend. */
export interface BudgetAlert {
  kind: 'threshold' | 'anomaly';
  /** The budget's name (threshold alerts). */
  budget?: string | undefined;
  /** The scope, e.g. `key:3f2a9c…` or `workflow:summarize`. */
  scope: string;
  /** The masked id of the key (`sk-…abcd`) when the scope is a key, for people to read. */
  key?: string | undefined;
  /** The budget's period (threshold alerts). */
  period?: 'day' | 'week' | 'month' | undefined;
  /** The fraction of the limit reached (threshold alerts), e.g. 0.8. */
  threshold?: number | undefined;
  /** What was used when the alert fired. */
  spend: Spend;
  /** The limits (threshold alerts). */
  limit?:
    | { usd?: number | undefined; requests?: number | undefined; tokens?: number | undefined }
    | undefined;
  /** Start of the period (threshold alerts) or of the hour (anomaly alerts). */
  periodStart: Date;
  message: string;
}

export function resolveBudget(budget: Budget): ResolvedBudget {
  const { usd, requests, tokens } = budget;
  for (const [name, value] of Object.entries({ usd, requests, tokens })) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new KeycardError(`budget: ${name} must be a number, 0 or more.`);
    }
  }
  if (usd === undefined && requests === undefined && tokens === undefined) {
    throw new KeycardError('budget: give at least one limit: usd, requests or tokens.');
  }
  const period = budget.period ?? 'month';
  const scope = budget.scope ?? 'key';
  const onExceed = budget.onExceed ?? 'block';
  if (!['day', 'week', 'month'].includes(period))
    throw new KeycardError("budget: period is 'day', 'week' or 'month'.");
  const tag = tagKeyOf(scope);
  if (!['key', 'workflow', 'provider'].includes(scope) && tag === undefined) {
    throw new KeycardError(
      "budget: scope is 'key', 'workflow', 'provider' or 'tag:NAME' (a tag name: a letter, then letters, digits, _, . or -).",
    );
  }
  if (onExceed !== 'block' && onExceed !== 'warn')
    throw new KeycardError("budget: onExceed is 'block' or 'warn'.");
  const onLedgerDown = budget.onLedgerDown ?? 'allow';
  if (onLedgerDown !== 'block' && onLedgerDown !== 'allow')
    throw new KeycardError("budget: onLedgerDown is 'block' (fail closed) or 'allow' (fail open).");
  const alertAt = [...(budget.alertAt ?? [0.5, 0.8, 1])].sort((a, b) => a - b);
  if (alertAt.some((fraction) => typeof fraction !== 'number' || !(fraction > 0))) {
    throw new KeycardError('budget: alertAt holds fractions of the limit, such as 0.5 or 1.');
  }
  const limits = [
    usd === undefined ? undefined : `$${usd}`,
    requests === undefined ? undefined : `${requests} requests`,
    tokens === undefined ? undefined : `${tokens} tokens`,
  ].filter((item) => item !== undefined);
  const name = budget.name ?? `${limits.join(' / ')} per ${period} per ${scope}`;
  return { name, usd, requests, tokens, period, scope, tag, onExceed, onLedgerDown, alertAt };
}

/** The start of the UTC period holding `time`. */
export function periodStart(period: ResolvedBudget['period'], time: Date): Date {
  const start = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  if (period === 'week') start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
  if (period === 'month') start.setUTCDate(1);
  return start;
}

/** The start of the next period: when the budget resets. */
export function periodEnd(period: ResolvedBudget['period'], time: Date): Date {
  const start = periodStart(period, time);
  if (period === 'day') start.setUTCDate(start.getUTCDate() + 1);
  else if (period === 'week') start.setUTCDate(start.getUTCDate() + 7);
  else start.setUTCMonth(start.getUTCMonth() + 1);
  return start;
}

/**
 * The scope a call falls in for `budget`; `undefined` when the call has none (no workflow, or
 * not the budget's tag).
 */
export function scopeOf(
  budget: ResolvedBudget,
  call: { fingerprint: string; workflow: string | null; provider: ProviderId; tags: Tags },
): BudgetScope | undefined {
  if (budget.tag !== undefined) {
    const value = call.tags[budget.tag];
    if (value === undefined) return undefined;
    return { field: 'tag', tag: budget.tag, value, id: `tag:${budget.tag}=${value}` };
  }
  const value =
    budget.scope === 'key' ? call.fingerprint : budget.scope === 'workflow' ? call.workflow : call.provider;
  if (value === null) return undefined;
  const field = budget.scope as 'key' | 'workflow' | 'provider';
  return { field, value, id: `${field}:${value}` };
}

/** Which limit `spend` plus `next` would pass, if any. */
export function exceededLimit(budget: ResolvedBudget, spend: Spend, next: Spend): keyof Spend | undefined {
  if (budget.requests !== undefined && spend.requests + next.requests > budget.requests) return 'requests';
  if (budget.usd !== undefined && spend.usd + next.usd > budget.usd + 1e-12) return 'usd';
  if (budget.tokens !== undefined && spend.tokens + next.tokens > budget.tokens) return 'tokens';
  return undefined;
}

/** The highest share of a limit `spend` uses. */
export function usedFraction(budget: ResolvedBudget, spend: Spend): number {
  const shares = [
    budget.usd === undefined || budget.usd === 0 ? 0 : spend.usd / budget.usd,
    budget.requests === undefined || budget.requests === 0 ? 0 : spend.requests / budget.requests,
    budget.tokens === undefined || budget.tokens === 0 ? 0 : spend.tokens / budget.tokens,
  ];
  return Math.max(...shares);
}

/** Thrown before a call that a budget with `onExceed: 'block'` forbids; nothing was sent. */
export class BudgetExceededError extends KeycardError {
  /** The budget's name. */
  readonly budget: string;
  /** The scope, e.g. `key:3f2a9c…`, `workflow:summarize`. */
  readonly scope: string;
  /** Which limit the call would pass. */
  readonly limit: 'usd' | 'requests' | 'tokens';
  /** What the scope has used in this period (calls in flight included). */
  readonly spend: Spend;
  /** The budget's limits. */
  readonly limits: Partial<Spend>;
  /** When the period ends and the budget resets. */
  readonly resetsAt: Date;
  /** What to do, in one sentence. */
  readonly hint: string;

  constructor(budget: ResolvedBudget, scope: BudgetScope, limit: keyof Spend, spend: Spend, resetsAt: Date) {
    const limits: Partial<Spend> = {};
    if (budget.usd !== undefined) limits.usd = budget.usd;
    if (budget.requests !== undefined) limits.requests = budget.requests;
    if (budget.tokens !== undefined) limits.tokens = budget.tokens;
    const used =
      limit === 'usd'
        ? `$${spend.usd.toFixed(4)} of $${budget.usd}`
        : `${spend[limit]} of ${limits[limit]} ${limit}`;
    const hint = `Wait until ${resetsAt.toISOString()}, raise the budget, or use another ${scope.field === 'tag' ? `${scope.tag} tag` : scope.field}.`;
    super(
      `Budget "${budget.name}" for ${scope.id} would be exceeded: ${used} used this ${budget.period}. ${hint}`,
    );
    this.budget = budget.name;
    this.scope = scope.id;
    this.limit = limit;
    this.spend = spend;
    this.limits = limits;
    this.resetsAt = resetsAt;
    this.hint = hint;
  }

  /** Whether `value` is a `BudgetExceededError` from any copy of keycard. */
  static override is(value: unknown): value is BudgetExceededError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BUDGET_MARKER] === true
    );
  }
}
const BUDGET_MARKER = Symbol.for('keycard.error.BudgetExceededError');
Object.defineProperty(BudgetExceededError.prototype, BUDGET_MARKER, { value: true });
Object.defineProperty(BudgetExceededError.prototype, 'name', {
  value: 'BudgetExceededError',
  writable: true,
  configurable: true,
});
