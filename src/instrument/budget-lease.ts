/**
 * A budget lease: the slice of a budget scope that this process holds in the store and spends
 * locally, so that a call under a budget costs a few comparisons instead of a store round trip.
 *
 * The store holds, for the lease, what the process may still spend plus what its calls in
 * flight were estimated at; each recorded event is charged to it in the transaction that writes
 * the event. Every process reads these holds under one lock before it takes a slice, and a slice
 * is only taken from what no event and no hold uses yet: slices never overlap. A call goes ahead
 * under the lease while, for every limit of the scope's budgets, the lease's real costs so far
 * plus the estimates of its calls in flight plus this call's estimate stay within what the lease
 * was granted. So a budget is exceeded by no more than it was before leases: the difference
 * between the estimates and the real costs of the calls in flight (none for request quotas).
 *
 * Slices follow demand (the calls of the last few seconds) and are at most 1/16 of what is left
 * for the tightest budget, and one call at least: near the limit they shrink to one call, taken
 * under the lock as before. What a lease did not spend goes back to the store when it takes its
 * next slice, after a short idle time, and when its client or ledger closes; a lease of a process
 * that died counts until `budgetLeaseMs` after its last renewal.
 * @module
 */
import type { Amount, LeaseChange, LeaseView } from '../ledger/base.js';
import type { BudgetScope, ResolvedBudget, Spend } from '../ledger/budget.js';
import { periodEnd, periodStart } from '../ledger/budget.js';

/** At most this share of what is left for a budget goes into one slice. */
export const SLICE_SHARE = 1 / 16;
/** A slice is sized for the calls this lease made over this long (at its last rate). */
const DEMAND_MS = 10_000;
/** A slice is at most this many times the last one. */
const GROWTH = 4;
/** What a lease did not spend goes back after this long without a call. */
export const IDLE_MS = 2_000;

export const ZERO: Readonly<Amount> = Object.freeze({ nusd: 0, requests: 0, tokens: 0 });

const add = (into: Amount, more: Amount, sign = 1): void => {
  into.nusd += sign * more.nusd;
  into.requests += sign * more.requests;
  into.tokens += sign * more.tokens;
};
const sum = (...amounts: Amount[]): Amount => {
  const total = { nusd: 0, requests: 0, tokens: 0 };
  for (const amount of amounts) add(total, amount);
  return total;
};
const minus = (a: Amount, b: Amount): Amount => ({
  nusd: a.nusd - b.nusd,
  requests: a.requests - b.requests,
  tokens: a.tokens - b.tokens,
});
const times = (amount: Amount, count: number): Amount => ({
  nusd: amount.nusd * count,
  requests: amount.requests * count,
  tokens: amount.tokens * count,
});
const positive = (amount: Amount): Amount => ({
  nusd: Math.max(amount.nusd, 0),
  requests: Math.max(amount.requests, 0),
  tokens: Math.max(amount.tokens, 0),
});

/** Whole units to the `Spend` of messages, errors and alerts. */
export function toSpend(amount: Amount): Spend {
  return { usd: amount.nusd / 1e9, requests: amount.requests, tokens: amount.tokens };
}

/** A budget's limits in whole units (`undefined`: no limit of that kind). */
interface Limits {
  nusd: number | undefined;
  requests: number | undefined;
  tokens: number | undefined;
}

function limitsOf(budget: ResolvedBudget): Limits {
  return {
    nusd: budget.usd === undefined ? undefined : Math.round(budget.usd * 1e9),
    requests: budget.requests,
    tokens: budget.tokens,
  };
}

const KINDS = ['nusd', 'requests', 'tokens'] as const;
const SPEND_KIND = { nusd: 'usd', requests: 'requests', tokens: 'tokens' } as const;

/**
 * How many calls of `estimate` fit under `limits` on top of `base`, and the limit that stops the
 * first one, if any.
 */
function callsThatFit(
  limits: Limits,
  base: Amount,
  estimate: Amount,
): { calls: number; over: keyof Spend | undefined } {
  let calls = Number.POSITIVE_INFINITY;
  let over: keyof Spend | undefined;
  for (const kind of KINDS) {
    const limit = limits[kind];
    if (limit === undefined) continue;
    const free = limit - base[kind];
    const fit = free < 0 ? 0 : estimate[kind] > 0 ? Math.floor(free / estimate[kind]) : calls;
    if (fit < calls) calls = fit;
    if (fit < 1 && over === undefined) over = SPEND_KIND[kind];
  }
  return { calls, over };
}

/** What one budget of the lease looked like at its last renewal. */
interface BudgetView {
  budget: ResolvedBudget;
  limits: Limits;
  start: Date;
  /**
   * The scope's usage in the period as the store had it, without this lease's slice and calls in
   * flight: events, holds of other processes, and this process's calls not written yet.
   */
  others: Amount;
}

/** What a renewal decided, applied once the store has it. */
export interface Renewal {
  change: LeaseChange;
  /** The lease's room after it. */
  room: Amount;
  /** Calls the slice is sized for. */
  calls: number;
  views: BudgetView[];
  /** The budget that stopped the call, and its spend. */
  blocked?: { budget: ResolvedBudget; over: keyof Spend; spend: Spend; start: Date } | undefined;
  /** Budgets with `onExceed: 'warn'` that the slice goes past. */
  exceeded: Array<{ budget: ResolvedBudget; over: keyof Spend; spend: Spend; start: Date }>;
  /** Whether the store held this lease when the view was read. */
  live: boolean;
  /** When (`performance.now()`) it was decided: the store's expiry counts from then. */
  decidedAt: number;
  /** The lease's grant after it, and what was settled, when the store's view was read. */
  granted: Amount;
  settled: Amount;
  outsideSettled: Amount;
}

export class Lease {
  /** The lease's row id in the store; a new one after it was removed. */
  id = newId();
  /** `[id]`, handed to the ledger with each event of a call under the lease. */
  ids: readonly string[] = [this.id];
  /** What the store granted this lease, in all: real costs and estimates are counted against it. */
  readonly granted: Amount = { nusd: 0, requests: 0, tokens: 0 };
  /** Real usage of the calls settled under the lease. */
  readonly settled: Amount = { nusd: 0, requests: 0, tokens: 0 };
  /** Estimates of the calls in flight under the lease. */
  readonly inflight: Amount = { nusd: 0, requests: 0, tokens: 0 };
  /** Calls admitted while the store could not be reached, outside the lease: estimates, then real usage. */
  readonly outsideInflight: Amount = { nusd: 0, requests: 0, tokens: 0 };
  readonly outsideSettled: Amount = { nusd: 0, requests: 0, tokens: 0 };
  /** `settled` at the last renewal. */
  settledAtRenewal: Amount = { ...ZERO };
  /** Until then (`performance.now()`) the lease may be spent; after, it must be renewed first. */
  usableUntil = Number.NEGATIVE_INFINITY;
  /** When (ms since epoch) the first of its budgets' periods ends. */
  periodEnds = 0;
  /** The lease operation in progress; calls wait for it. */
  renewing: Promise<unknown> | undefined;
  /** Whether the store may hold a row for it. */
  stored = false;
  /** Calls admitted since the last renewal, when it was, and how many calls its slice was for. */
  admitted = 0;
  renewedAt = 0;
  lastSlice = 0;
  lastCallAt = 0;
  /** When (`performance.now()`) the store last renewed it. */
  touchedAt = 0;
  views: BudgetView[] = [];
  timer: NodeJS.Timeout | undefined;
  /** Which limits the lease checks: those of its budgets. */
  readonly checks: { nusd: boolean; requests: boolean; tokens: boolean };

  constructor(
    readonly scope: BudgetScope,
    readonly budgets: readonly ResolvedBudget[],
    /** The budgets' version it was made for: when budgets are added, a new lease is made. */
    readonly version: number,
  ) {
    this.checks = {
      nusd: budgets.some((budget) => budget.usd !== undefined),
      requests: budgets.some((budget) => budget.requests !== undefined),
      tokens: budgets.some((budget) => budget.tokens !== undefined),
    };
  }

  /** What the lease may still spend (below 0 when real costs went past the estimates). */
  room(): Amount {
    return minus(this.granted, sum(this.settled, this.inflight));
  }

  /** Whether a call of `estimate` may go ahead under the lease now, with no store round trip. */
  fits(estimate: Amount, now: number): boolean {
    if (this.renewing !== undefined || now >= this.usableUntil || Date.now() >= this.periodEnds) return false;
    const { granted, settled, inflight, checks } = this;
    if (checks.requests && settled.requests + inflight.requests + estimate.requests > granted.requests)
      return false;
    if (checks.nusd && settled.nusd + inflight.nusd + estimate.nusd > granted.nusd) return false;
    if (checks.tokens && settled.tokens + inflight.tokens + estimate.tokens > granted.tokens) return false;
    return true;
  }

  take(estimate: Amount, now: number): void {
    add(this.inflight, estimate);
    this.admitted += 1;
    this.lastCallAt = now;
  }

  settle(estimate: Amount, used: Amount): void {
    add(this.inflight, estimate, -1);
    add(this.settled, used);
  }

  takeOutside(estimate: Amount, now: number): void {
    add(this.outsideInflight, estimate);
    this.lastCallAt = now;
  }

  settleOutside(estimate: Amount, used: Amount): void {
    add(this.outsideInflight, estimate, -1);
    add(this.outsideSettled, used);
  }

  /** Whether calls of this process are in flight under the lease (or outside it). */
  get busy(): boolean {
    return this.inflight.requests > 0 || this.outsideInflight.requests > 0;
  }

  /** Whether the lease still holds something it could give back. */
  get hasRoom(): boolean {
    const room = this.room();
    return room.nusd > 0 || room.requests > 0 || room.tokens > 0;
  }

  /** The highest share of a limit of budget `index` that `known(index, false)` uses. */
  usedFraction(index: number): number {
    const view = this.views[index];
    if (view === undefined) return 0;
    const { others } = view;
    const { settled, settledAtRenewal: at, outsideSettled: outside } = this;
    const { usd, requests, tokens } = view.budget;
    let fraction = 0;
    if (usd !== undefined && usd > 0)
      fraction = Math.max(fraction, (others.nusd + settled.nusd - at.nusd + outside.nusd) / 1e9 / usd);
    if (requests !== undefined && requests > 0)
      fraction = Math.max(
        fraction,
        (others.requests + settled.requests - at.requests + outside.requests) / requests,
      );
    if (tokens !== undefined && tokens > 0)
      fraction = Math.max(fraction, (others.tokens + settled.tokens - at.tokens + outside.tokens) / tokens);
    return fraction;
  }

  /**
   * What this process knows of budget `index`'s spend: the store's at the last renewal (without
   * this lease's slice), and this process's calls since. For alerts, and while the store is down.
   */
  known(index: number, inflight: boolean): Amount {
    const view = this.views[index];
    const known = sum(view?.others ?? ZERO, minus(this.settled, this.settledAtRenewal), this.outsideSettled);
    if (inflight) add(known, sum(this.inflight, this.outsideInflight));
    return known;
  }

  /**
   * The decision of a renewal, in the lock, from the store's view: `slice` calls of `estimate`
   * wanted (0: give back what is not spent; `undefined`: keep the room as it is).
   */
  decide(
    view: LeaseView,
    estimate: Amount,
    slice: number | undefined,
    leaseMs: number,
    starts: readonly Date[],
  ): Renewal {
    const room = this.room();
    const live = view.own !== undefined;
    // This process's calls finished whose events are not written yet (held by the lease, not yet
    // events), and its calls in flight: the store counts both only through this lease's hold.
    const unwritten = live ? positive(minus(minus(view.own ?? ZERO, room), this.inflight)) : { ...ZERO };
    const mine = sum(this.inflight, this.outsideInflight);
    const othersHeld = minus(view.held, positive(view.own ?? ZERO));
    const views: BudgetView[] = this.budgets.map((budget, index) => ({
      budget,
      limits: limitsOf(budget),
      start: starts[index] ?? periodStart(budget.period, new Date()),
      others: sum(view.recorded[index] ?? ZERO, othersHeld, unwritten),
    }));
    const renewal: Renewal = {
      change: { remove: true },
      room,
      calls: 0,
      views,
      exceeded: [],
      live,
      decidedAt: performance.now(),
      granted: { ...ZERO },
      settled: { ...this.settled },
      outsideSettled: { ...this.outsideSettled },
    };
    let target: Amount;
    if (slice === undefined) target = positive(room);
    else if (slice === 0) target = { ...ZERO };
    else {
      let most = Number.POSITIVE_INFINITY;
      for (const item of views) {
        if (item.budget.onExceed !== 'block') continue;
        const base = sum(item.others, mine);
        const { calls, over } = callsThatFit(item.limits, base, estimate);
        if (over !== undefined && renewal.blocked === undefined) {
          renewal.blocked = { budget: item.budget, over, spend: toSpend(base), start: item.start };
        }
        most = Math.min(most, calls);
      }
      const calls =
        renewal.blocked !== undefined
          ? 0
          : Math.min(most, Math.max(1, Math.min(slice, Math.floor(most * SLICE_SHARE))));
      renewal.calls = calls;
      target = calls === 0 ? { ...ZERO } : times(estimate, calls);
      for (const item of views) {
        if (item.budget.onExceed !== 'warn') continue;
        const base = sum(item.others, mine);
        const { over } = callsThatFit(item.limits, base, estimate);
        if (over !== undefined)
          renewal.exceeded.push({ budget: item.budget, over, spend: toSpend(base), start: item.start });
      }
    }
    renewal.room = target;
    // As the store has it: calls that settle before the renewal is applied are charged to it too.
    renewal.granted = sum(this.settled, this.inflight, target);
    const expiresAt = Date.now() + leaseMs;
    if (slice === 0 && !this.busy) renewal.change = { remove: true };
    // Calls admitted outside the lease (the store was down) are not charged to it: not held either.
    else renewal.change = { add: live ? minus(target, room) : sum(this.inflight, target), expiresAt };
    return renewal;
  }

  /** A renewal the store took: the lease is now what it decided. */
  apply(renewal: Renewal, leaseMs: number): void {
    const { decidedAt } = renewal;
    const removed = 'remove' in renewal.change;
    const granted = removed ? renewal.settled : renewal.granted;
    this.granted.nusd = granted.nusd;
    this.granted.requests = granted.requests;
    this.granted.tokens = granted.tokens;
    if (removed) {
      // The next row starts afresh.
      this.id = newId();
      this.ids = [this.id];
      this.stored = false;
      this.usableUntil = Number.NEGATIVE_INFINITY;
    } else {
      this.stored = true;
      // Spent only while the store surely still counts it: a quarter of its life is kept for
      // the renewal, and for clocks of other machines that run ahead.
      this.usableUntil = decidedAt + leaseMs * 0.75;
    }
    this.touchedAt = decidedAt;
    this.views = renewal.views;
    this.settledAtRenewal = renewal.settled;
    // Calls outside the lease settled before the view was read are in its events now.
    add(this.outsideSettled, renewal.outsideSettled, -1);
    const now = new Date();
    this.periodEnds = Math.min(...this.budgets.map((budget) => periodEnd(budget.period, now).getTime()));
    if (renewal.calls > 0) {
      this.lastSlice = renewal.calls;
      this.admitted = 0;
      this.renewedAt = decidedAt;
    }
  }

  /** How many calls the next slice is for: the last ones' rate over `DEMAND_MS`, growing at most `GROWTH` times. */
  demand(now: number): number {
    if (this.lastSlice === 0) return 1;
    const elapsed = Math.max(now - this.renewedAt, 1);
    const wanted = Math.ceil((this.admitted / elapsed) * DEMAND_MS);
    return Math.max(1, Math.min(wanted, this.lastSlice * GROWTH));
  }
}

function newId(): string {
  return `lease:${crypto.randomUUID()}`;
}
