/**
 * The budget gate: before each request, every budget that applies (the client's and the
 * ledger's) is checked, and after it the call's real usage is counted and thresholds are checked
 * for alerts (once per period and scope, across processes). Budgets are spent through leases
 * (`budget-lease.ts`): one per scope, a slice of what is left taken from the store under its lock
 * and spent here, so that a call under a budget costs no store round trip until the slice runs
 * out. While the ledger's store cannot be reached and a call needs a new slice, each budget's
 * `onLedgerDown` decides: `block` rejects the call, `allow` lets it through, counted against the
 * last spend this process read.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { CredentialError, type KeycardError } from '../errors.js';
import { type Amount, type BaseLedger, type LeaseHolder, usageAmount } from '../ledger/base.js';
import {
  type BudgetAlert,
  BudgetExceededError,
  type BudgetScope,
  exceededLimit,
  periodEnd,
  periodStart,
  type ResolvedBudget,
  type Spend,
  scopeOf,
} from '../ledger/budget.js';
import { NO_TAGS, type Tags } from '../ledger/tags.js';
import type { UsageEvent } from '../ledger/types.js';
import { describeCause, LedgerUnavailableError } from '../ledger/unavailable.js';
import type { ProviderId } from '../providers/ids.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';
import { IDLE_MS, Lease, type Renewal, toSpend, ZERO } from './budget-lease.js';

/** What admitting one request took, to settle when its event is recorded. */
export interface Admission {
  /** The leases the call's event is charged to, in the transaction that writes it. */
  releases: readonly string[];
  /** The leases the call was admitted under (none: no budget applies). */
  checks: readonly Lease[];
  /** The call's estimate, taken from each lease until the call is settled. */
  estimate: Amount;
  /** Leases the call went past while the store could not be reached (`onLedgerDown: 'allow'`). */
  outside: readonly Lease[];
}

export const NO_ADMISSION: Admission = { releases: [], checks: [], estimate: ZERO, outside: [] };

/** A call's estimate before any call of its model was seen: one request, no cost, no tokens. */
const FIRST: Amount = Object.freeze({ nusd: 0, requests: 1, tokens: 0 });

/** Running averages of a call's cost and tokens, per model, for estimates. */
class Estimator {
  readonly #averages = new Map<string, { usd: number; tokens: number; count: number; estimate: Amount }>();

  estimate(model: string | null): Amount {
    return (this.#averages.get(model ?? '*') ?? this.#averages.get('*'))?.estimate ?? FIRST;
  }

  learn(event: UsageEvent): void {
    if (event.outcome !== 'ok') return;
    const tokens = (event.inputTokens ?? 0) + (event.outputTokens ?? 0);
    const cost = event.costUsd ?? 0;
    this.#learn(event.model ?? '*', cost, tokens);
    if (event.model !== null) this.#learn('*', cost, tokens);
  }

  #learn(key: string, cost: number, tokens: number): void {
    let average = this.#averages.get(key);
    if (average === undefined) {
      average = { usd: 0, tokens: 0, count: 0, estimate: FIRST };
      this.#averages.set(key, average);
    }
    average.count = Math.min(average.count + 1, 50);
    average.usd += (cost - average.usd) / average.count;
    average.tokens += (tokens - average.tokens) / average.count;
    const nusd = Math.round(average.usd * 1e9);
    const rounded = Math.round(average.tokens);
    // A new object when it changes: admissions keep the estimate they took.
    if (nusd !== average.estimate.nusd || rounded !== average.estimate.tokens || average.estimate === FIRST) {
      average.estimate = { nusd, requests: 1, tokens: rounded };
    }
  }
}

export class BudgetGate implements LeaseHolder {
  readonly #estimator = new Estimator();
  readonly #warned = new Set<string>();
  /** Budgets already reported as unchecked during the current outage. */
  readonly #unchecked = new Set<string>();
  /** Alert keys known to have fired (here or in another process). */
  readonly #fired = new Set<string>();
  /** The lease of each scope, by scope id. */
  readonly #leases = new Map<string, Lease>();
  /** Leases the store may hold a row for: returned at close. */
  readonly #stored = new Set<Lease>();
  /** The leases of the last key seen. */
  /** The last call's leases; its tags matter only when a budget is scoped by a tag. */
  #last:
    | { fingerprint: string; tags: Tags; byTag: boolean; version: number; leases: readonly Lease[] }
    | undefined;
  #closed = false;

  constructor(
    private readonly budgets: readonly ResolvedBudget[],
    private readonly ledger: BaseLedger,
    private readonly provider: ProviderId,
    private readonly workflow: string | null,
    private readonly logger: KeycardLogger,
  ) {}

  /** Whether any budget applies; without one, admitting costs nothing. */
  get active(): boolean {
    return this.budgets.length > 0 || this.ledger.budgets.length > 0;
  }

  /**
   * Checks every budget and takes the call's estimate from each lease; returns the admission, or
   * the error to throw. Synchronous while every lease has room.
   */
  admit(
    secret: Secret,
    model: string | null,
    tags: Tags = NO_TAGS,
  ): Admission | Promise<Admission | BudgetExceededError | LedgerUnavailableError> {
    const leases = this.#leasesFor(secret.fingerprint, tags);
    if (leases.length === 0) return NO_ADMISSION;
    const estimate = this.#estimator.estimate(model);
    const now = performance.now();
    for (const lease of leases) if (!lease.fits(estimate, now)) return this.#admitSlowly(leases, estimate);
    for (const lease of leases) lease.take(estimate, now);
    const releases = leases.length === 1 ? (leases[0] as Lease).ids : leases.flatMap((lease) => lease.ids);
    return { releases, checks: leases, estimate, outside: [] };
  }

  /** The leases of the budgets that apply to calls with this key and tags (made as needed). */
  #leasesFor(fingerprint: string, tags: Tags): readonly Lease[] {
    const version = this.ledger.budgets.length;
    const last = this.#last;
    if (
      last !== undefined &&
      last.fingerprint === fingerprint &&
      (last.tags === tags || !last.byTag) &&
      last.version === version
    )
      return last.leases;
    const call = { fingerprint, workflow: this.workflow, provider: this.provider, tags };
    const groups = new Map<string, { scope: BudgetScope; budgets: ResolvedBudget[] }>();
    let byTag = false;
    for (const budget of [...this.budgets, ...this.ledger.budgets]) {
      if (budget.tag !== undefined) byTag = true;
      const scope = scopeOf(budget, call);
      if (scope === undefined) continue;
      const id = scope.id;
      let group = groups.get(id);
      if (group === undefined) {
        group = { scope, budgets: [] };
        groups.set(id, group);
      }
      group.budgets.push(budget);
    }
    const leases: Lease[] = [];
    for (const [id, { scope, budgets }] of groups) {
      let lease = this.#leases.get(id);
      if (lease === undefined || lease.version !== version) {
        // Budgets were added: a lease checked against them all; the old one gives back its room.
        if (lease !== undefined) void this.#giveBack(lease);
        lease = new Lease(scope, budgets, version);
        this.#leases.set(id, lease);
      }
      leases.push(lease);
    }
    this.#last = { fingerprint, tags, byTag, version, leases };
    return leases;
  }

  async #admitSlowly(
    leases: readonly Lease[],
    estimate: Amount,
  ): Promise<Admission | BudgetExceededError | LedgerUnavailableError> {
    const outside = new Set<Lease>();
    for (;;) {
      const now = performance.now();
      const lacking = leases.find((lease) => !outside.has(lease) && !lease.fits(estimate, now));
      if (lacking === undefined) {
        const inside: Lease[] = [];
        for (const lease of leases) {
          if (outside.has(lease)) lease.takeOutside(estimate, now);
          else {
            lease.take(estimate, now);
            inside.push(lease);
          }
        }
        return {
          releases: inside.flatMap((lease) => lease.ids),
          checks: leases,
          estimate,
          outside: [...outside],
        };
      }
      if (lacking.renewing !== undefined) {
        await lacking.renewing.catch(() => undefined);
        continue;
      }
      const result = await this.#renew(lacking, estimate, lacking.demand(now));
      if (result === undefined) continue;
      if (BudgetExceededError.is(result)) return result;
      const verdict = this.#whileDown(lacking, estimate, result.down);
      if (verdict !== undefined) return verdict;
      outside.add(lacking);
    }
  }

  /**
   * One lease operation: a slice of `slice` calls (0: give back what is not spent; `undefined`:
   * keep the room, renew the lease). Resolves to nothing when done, to the error when a budget
   * forbids the call, or to what kept the store from answering.
   */
  async #renew(
    lease: Lease,
    estimate: Amount,
    slice: number | undefined,
  ): Promise<undefined | BudgetExceededError | { down: unknown }> {
    const now = new Date();
    const starts = lease.budgets.map((budget) => periodStart(budget.period, now));
    const leaseMs = this.ledger.leaseMs;
    let renewal: Renewal | undefined;
    const operation = this.ledger.lease(lease.scope, starts, lease.id, (view) => {
      renewal = lease.decide(view, estimate, slice, leaseMs, starts);
      return renewal.change;
    });
    lease.renewing = operation;
    try {
      await operation;
    } catch (error) {
      return { down: error };
    } finally {
      lease.renewing = undefined;
    }
    if (renewal === undefined) return undefined;
    lease.apply(renewal, leaseMs);
    if (lease.stored) {
      this.#stored.add(lease);
      this.ledger.holdLeases(this);
      this.#arm(lease);
    } else this.#forget(lease);
    for (const [index, budget] of lease.budgets.entries()) {
      this.#unchecked.delete(`${budget.name}|${lease.scope.id}|${starts[index]?.toISOString()}`);
    }
    for (const { budget, over, spend, start } of renewal.exceeded)
      this.#warnOnce(budget, lease.scope, start, over, spend);
    const blocked = renewal.blocked;
    if (blocked === undefined) return undefined;
    return new BudgetExceededError(
      blocked.budget,
      lease.scope,
      blocked.over,
      blocked.spend,
      periodEnd(blocked.budget.period, now),
    );
  }

  /**
   * A call that needs a new slice while the store is down: the error to reject it with (`block`,
   * or a limit this process alone has reached), or `undefined` to let it through (`allow`).
   */
  #whileDown(
    lease: Lease,
    estimate: Amount,
    error: unknown,
  ): BudgetExceededError | LedgerUnavailableError | undefined {
    const unavailable = LedgerUnavailableError.is(error) ? error : undefined;
    const ledger = unavailable?.ledger ?? String(this.ledger);
    const detail = unavailable?.detail ?? describeCause(error);
    const scope = lease.scope;
    const blocking = lease.budgets.find((budget) => budget.onLedgerDown === 'block');
    if (blocking !== undefined) {
      return new LedgerUnavailableError({
        message: `keycard: budget "${blocking.name}" for ${scope.id} cannot be checked: the ledger ${ledger} cannot be reached (${detail.replace(/\.$/, '')}). The call was not sent, because the budget's onLedgerDown is 'block'.`,
        hint: "Try again when the ledger is back, or set onLedgerDown: 'allow' on the budget to let calls through while it is down.",
        ledger,
        buffered: unavailable?.buffered ?? 0,
        detail,
        budget: blocking.name,
        scope: scope.id,
        cause: error,
      });
    }
    const now = new Date();
    for (const [index, budget] of lease.budgets.entries()) {
      const known = toSpend(lease.known(index, true));
      const over = exceededLimit(budget, known, toSpend(estimate));
      const start = periodStart(budget.period, now);
      if (over !== undefined && budget.onExceed === 'block') {
        return new BudgetExceededError(budget, scope, over, known, periodEnd(budget.period, now));
      }
      if (over !== undefined) this.#warnOnce(budget, scope, start, over, known);
      const key = `${budget.name}|${scope.id}|${start.toISOString()}`;
      if (this.#unchecked.has(key)) continue;
      this.#unchecked.add(key);
      this.logger.warn(
        `keycard: budget "${budget.name}" for ${scope.id} cannot be checked against the ledger ${ledger} (${detail.replace(/\.$/, '')}); calls go ahead because its onLedgerDown is 'allow', counted by this process against the last spend it read.`,
        { budget: budget.name, scope: scope.id, spend: known },
      );
    }
    return undefined;
  }

  /** After the call's event is recorded: count its real usage, learn its cost, fire threshold alerts. */
  async settle(admission: Admission, event: UsageEvent): Promise<void> {
    this.#estimator.learn(event);
    const used = usageAmount(event);
    for (const lease of admission.checks) {
      if (admission.outside.length > 0 && admission.outside.includes(lease))
        lease.settleOutside(admission.estimate, used);
      else lease.settle(admission.estimate, used);
    }
    for (const lease of admission.checks) await this.#alert(lease, event.maskedId);
  }

  /** Threshold alerts of a lease's budgets, against what this process knows of their spend. */
  async #alert(lease: Lease, maskedId: string): Promise<void> {
    for (const [index, budget] of lease.budgets.entries()) {
      const view = lease.views[index];
      if (view === undefined || budget.alertAt.length === 0) continue;
      const fraction = lease.usedFraction(index);
      for (const threshold of budget.alertAt) {
        if (fraction + 1e-9 < threshold) break;
        const scope = lease.scope;
        const key = `threshold|${budget.name}|${scope.id}|${view.start.toISOString()}|${threshold}`;
        if (this.#fired.has(key)) continue;
        const spend = toSpend(lease.known(index, false));
        const percent = Math.round(threshold * 100);
        const alert: BudgetAlert = {
          kind: 'threshold',
          budget: budget.name,
          scope: scope.id,
          ...(scope.field === 'key' ? { key: maskedId } : {}),
          period: budget.period,
          threshold,
          spend,
          limit: { usd: budget.usd, requests: budget.requests, tokens: budget.tokens },
          periodStart: view.start,
          message: `keycard: budget "${budget.name}" for ${scope.field === 'key' ? `key ${maskedId}` : scope.id} is at ${percent} % this ${budget.period} (${describeSpend(budget, spend)}).`,
        };
        const fired = await this.ledger.alertOnce(key, alert);
        // While the store is down, no alert can be marked: tried again with a later call.
        if (fired || !this.ledger.storeUnavailable) this.#fired.add(key);
        if (fired)
          this.logger.warn(alert.message, { budget: budget.name, scope: scope.id, threshold, spend });
      }
    }
  }

  /**
   * A timer per lease held: gives back what a lease did not spend once no call used it for
   * `IDLE_MS`, and renews a lease still in use (or with calls in flight) a third of the way
   * through its life, so that the store keeps counting it.
   */
  #arm(lease: Lease): void {
    if (lease.timer !== undefined) clearTimeout(lease.timer);
    const leaseMs = this.ledger.leaseMs;
    const now = performance.now();
    const idleAt = lease.lastCallAt + IDLE_MS;
    const touchAt = lease.touchedAt + leaseMs / 3;
    // Idle with only calls in flight to hold: nothing to give back, only the renewal is due.
    const due = idleAt > now || lease.hasRoom || !lease.busy ? Math.min(idleAt, touchAt) : touchAt;
    lease.timer = setTimeout(
      () => {
        lease.timer = undefined;
        void this.#tick(lease, leaseMs);
      },
      Math.max(due - now, 50),
    );
    lease.timer.unref();
  }

  async #tick(lease: Lease, leaseMs: number): Promise<void> {
    if (this.#closed || !lease.stored) return;
    const now = performance.now();
    if (lease.renewing === undefined) {
      const idle = now - lease.lastCallAt >= IDLE_MS;
      if (idle && (lease.hasRoom || !lease.busy)) await this.#renew(lease, ZERO, 0);
      else if (now - lease.touchedAt >= leaseMs / 3) await this.#renew(lease, ZERO, undefined);
    }
    if (lease.stored && !this.#closed) this.#arm(lease);
  }

  /** Gives back what `lease` did not spend (and its row, when no call of it is in flight). */
  async #giveBack(lease: Lease): Promise<void> {
    if (lease.timer !== undefined) clearTimeout(lease.timer);
    lease.timer = undefined;
    while (lease.renewing !== undefined) await lease.renewing.catch(() => undefined);
    if (!lease.stored) return;
    await this.#renew(lease, ZERO, 0);
    if (this.#closed && lease.timer !== undefined) {
      clearTimeout(lease.timer);
      lease.timer = undefined;
    }
  }

  #forget(lease: Lease): void {
    this.#stored.delete(lease);
    if (this.#stored.size === 0) this.ledger.releaseLeases(this);
  }

  /** @internal Gives back what every lease did not spend (the ledger closes, or the program ends). */
  async returnLeases(): Promise<void> {
    for (const lease of [...this.#stored]) await this.#giveBack(lease);
  }

  /** @internal Leases in the store with no call in flight (the process exits). */
  idleLeases(): string[] {
    return [...this.#stored].filter((lease) => lease.stored && !lease.busy).map((lease) => lease.id);
  }

  /** The client closes: its leases go back to the store. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.returnLeases();
    for (const lease of this.#stored) if (lease.timer !== undefined) clearTimeout(lease.timer);
    this.ledger.releaseLeases(this);
  }

  #warnOnce(budget: ResolvedBudget, scope: BudgetScope, start: Date, over: keyof Spend, spend: Spend): void {
    const key = `${budget.name}|${scope.id}|${start.toISOString()}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.logger.warn(
      `keycard: budget "${budget.name}" for ${scope.id} is exceeded (${over}: ${describeSpend(budget, spend)}); the call goes ahead because onExceed is 'warn'.`,
      { budget: budget.name, scope: scope.id, spend },
    );
  }
}

function describeSpend(budget: ResolvedBudget, spend: Spend): string {
  const parts: string[] = [];
  if (budget.usd !== undefined) parts.push(`$${spend.usd.toFixed(4)} of $${budget.usd}`);
  if (budget.requests !== undefined) parts.push(`${spend.requests} of ${budget.requests} requests`);
  if (budget.tokens !== undefined) parts.push(`${spend.tokens} of ${budget.tokens} tokens`);
  return parts.join(', ');
}

/** Errors handed to SDKs as synthetic answers, found again by their id when the SDK throws. */
const BLOCKED = new Map<string, KeycardError>();
const MARKER = /\[keycard-budget:([0-9a-f-]{36})\]/;

/**
 * A `402` answer for a blocked request, marked so that the SDK does not retry it and keycard
 * finds the error (`BudgetExceededError`, or `LedgerUnavailableError` for a budget that blocks
 * while the ledger is down) in whatever the SDK throws. No request left the process.
 */
export function blockedResponse(error: KeycardError): Response {
  const id = rememberBlocked(error);
  const message = `${error.message} [keycard-budget:${id}]`;
  const type = LedgerUnavailableError.is(error)
    ? 'keycard_ledger_unavailable'
    : CredentialError.is(error)
      ? 'keycard_credential_error'
      : 'keycard_budget_exceeded';
  return new Response(JSON.stringify({ ok: false, error: { message, type }, message }), {
    status: 402,
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-keycard-budget': id },
  });
}

/**
 * Keeps `error` for a minute under a new id, which an answer carries (in its body, or its
 * `x-keycard-budget` header) for {@link findBlocked} to find the error in what an SDK throws.
 */
export function rememberBlocked(error: KeycardError): string {
  const id = randomUUID();
  BLOCKED.set(id, error);
  setTimeout(() => BLOCKED.delete(id), 60_000).unref();
  return id;
}

/**
 * The keycard error behind an SDK error made from `blockedResponse()` (or an answer marked with
 * `rememberBlocked()`), if any. It looks at the error and its causes (and the last error of the
 * Vercel AI SDK's `RetryError`), in their message, body and headers (`responseHeaders` and
 * `responseBody` for the AI SDK's `APICallError`).
 */
export function findBlocked(error: unknown): KeycardError | undefined {
  if (BLOCKED.size === 0) return undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    const fields = current as {
      message?: unknown;
      headers?: unknown;
      error?: unknown;
      data?: unknown;
      body?: unknown;
      responseBody?: unknown;
      responseHeaders?: unknown;
      cause?: unknown;
      lastError?: unknown;
    };
    const texts = [
      fields.message,
      safeStringify(fields.error),
      safeStringify(fields.data),
      safeStringify(fields.body),
      safeStringify(fields.responseBody),
    ];
    const headers = fields.headers ?? fields.responseHeaders;
    if (headers instanceof Headers) texts.push(headers.get('x-keycard-budget') ?? '');
    else if (typeof headers === 'object' && headers !== null)
      texts.push(String((headers as Record<string, unknown>)['x-keycard-budget'] ?? ''));
    for (const text of texts) {
      if (typeof text !== 'string') continue;
      const id = MARKER.exec(text)?.[1] ?? (/^[0-9a-f-]{36}$/.test(text) ? text : undefined);
      const found = id === undefined ? undefined : BLOCKED.get(id);
      if (found !== undefined) return found;
    }
    current = fields.cause ?? fields.lastError;
  }
  return undefined;
}

function safeStringify(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
