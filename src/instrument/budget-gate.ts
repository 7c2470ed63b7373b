/**
 * The budget gate: before each request, every budget that applies (the client's and the
 * ledger's) is checked against the ledger's spend plus the calls in flight, and the call's
 * estimated usage is reserved; after it, the reservation is released with the real event and
 * thresholds are checked for alerts (once per period and scope, across processes). While the
 * ledger's store cannot be reached, each budget's `onLedgerDown` decides: `block` rejects the
 * call, `allow` lets it through, counted against the last spend this process read.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { KeycardError } from '../errors.js';
import type { BaseLedger } from '../ledger/base.js';
import { RESERVATION_TTL_MS } from '../ledger/base.js';
import {
  type BudgetAlert,
  BudgetExceededError,
  type BudgetScope,
  exceededLimit,
  periodEnd,
  periodStart,
  type ResolvedBudget,
  type Spend,
  usedFraction,
} from '../ledger/budget.js';
import type { UsageEvent } from '../ledger/types.js';
import { describeCause, LedgerUnavailableError } from '../ledger/unavailable.js';
import type { ProviderId } from '../providers/ids.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';

/** One budget checked for one request. */
interface Check {
  budget: ResolvedBudget;
  scope: BudgetScope;
  before: Spend;
  start: Date;
  /** What was reserved for the call. */
  estimate: Spend;
  /** The budget, scope and period, as a key of `BudgetGate.#known`. */
  key: string;
}

/** What admitting one request reserved, to settle when its event is recorded. */
export interface Admission {
  releases: string[];
  checks: Check[];
}

export const NO_ADMISSION: Admission = { releases: [], checks: [] };

/** Running averages of a call's cost and tokens, per model, for estimates. */
class Estimator {
  readonly #averages = new Map<string, { usd: number; tokens: number; count: number }>();

  estimate(model: string | null): Spend {
    const average = this.#averages.get(model ?? '*') ?? this.#averages.get('*');
    return { usd: average?.usd ?? 0, requests: 1, tokens: average?.tokens ?? 0 };
  }

  learn(event: UsageEvent): void {
    if (event.outcome !== 'ok') return;
    const tokens = (event.inputTokens ?? 0) + (event.outputTokens ?? 0);
    for (const key of [event.model ?? '*', '*']) {
      const current = this.#averages.get(key) ?? { usd: 0, tokens: 0, count: 0 };
      const count = Math.min(current.count + 1, 50);
      this.#averages.set(key, {
        usd: current.usd + ((event.costUsd ?? 0) - current.usd) / count,
        tokens: current.tokens + (tokens - current.tokens) / count,
        count,
      });
    }
  }
}

const NOTHING: Spend = { usd: 0, requests: 0, tokens: 0 };

function add(spend: Spend, more: Spend, sign = 1): Spend {
  return {
    usd: spend.usd + sign * more.usd,
    requests: spend.requests + sign * more.requests,
    tokens: spend.tokens + sign * more.tokens,
  };
}

export class BudgetGate {
  readonly #estimator = new Estimator();
  readonly #warned = new Set<string>();
  /**
   * Per budget, scope and period: the spend last read from the store, plus what this process
   * admitted since. Budgets are checked against it while the store cannot be reached.
   */
  readonly #known = new Map<string, Spend>();
  /** Budgets already reported as unchecked during the current outage. */
  readonly #unchecked = new Set<string>();

  constructor(
    private readonly budgets: readonly ResolvedBudget[],
    private readonly ledger: BaseLedger,
    private readonly provider: ProviderId,
    private readonly workflow: string | null,
    private readonly logger: KeycardLogger,
  ) {}

  #all(): ResolvedBudget[] {
    return [...this.budgets, ...this.ledger.budgets];
  }

  /** Whether any budget applies; without one, admitting costs nothing. */
  get active(): boolean {
    return this.budgets.length > 0 || this.ledger.budgets.length > 0;
  }

  /**
   * Checks every budget and reserves the call's estimate; returns the admission, or the error to
   * throw (nothing reserved is left behind then).
   */
  async admit(
    secret: Secret,
    model: string | null,
  ): Promise<Admission | BudgetExceededError | LedgerUnavailableError> {
    const admission: Admission = { releases: [], checks: [] };
    const now = new Date();
    const next = this.#estimator.estimate(model);
    for (const budget of this.#all()) {
      const value =
        budget.scope === 'key'
          ? secret.fingerprint
          : budget.scope === 'workflow'
            ? this.workflow
            : this.provider;
      if (value === null) continue;
      const scope: BudgetScope = { field: budget.scope, value, id: `${budget.scope}:${value}` };
      const start = periodStart(budget.period, now);
      const key = `${budget.name}|${scope.id}|${start.toISOString()}`;
      let blocked: keyof Spend | undefined;
      const id = randomUUID();
      let before: Spend;
      try {
        before = await this.ledger.reserve(scope, start, (spend) => {
          const over = exceededLimit(budget, spend, next);
          if (over !== undefined && budget.onExceed === 'block') {
            blocked = over;
            return undefined;
          }
          if (over !== undefined) this.#warnOnce(budget, scope, start, over, spend);
          return { id, scope: scope.id, ...next, expiresAt: Date.now() + RESERVATION_TTL_MS };
        });
      } catch (error) {
        const known = this.#whileDown(budget, scope, start, key, next, error);
        if (known instanceof Error) {
          await this.cancel(admission);
          return known;
        }
        admission.checks.push({ budget, scope, before: known, start, estimate: next, key });
        continue;
      }
      this.#unchecked.delete(key);
      if (blocked !== undefined) {
        this.#known.set(key, before);
        await this.cancel(admission);
        return new BudgetExceededError(budget, scope, blocked, before, periodEnd(budget.period, now));
      }
      this.#known.set(key, add(before, next));
      admission.releases.push(id);
      admission.checks.push({ budget, scope, before, start, estimate: next, key });
    }
    return admission;
  }

  /**
   * A budget whose spend cannot be read (the store is down): the error to reject the call with
   * (`block`, or a limit this process alone has reached), or the spend to go on with (`allow`).
   */
  #whileDown(
    budget: ResolvedBudget,
    scope: BudgetScope,
    start: Date,
    key: string,
    next: Spend,
    error: unknown,
  ): Spend | BudgetExceededError | LedgerUnavailableError {
    const unavailable = LedgerUnavailableError.is(error) ? error : undefined;
    const ledger = unavailable?.ledger ?? String(this.ledger);
    const detail = unavailable?.detail ?? describeCause(error);
    if (budget.onLedgerDown === 'block') {
      return new LedgerUnavailableError({
        message: `keycard: budget "${budget.name}" for ${scope.id} cannot be checked: the ledger ${ledger} cannot be reached (${detail.replace(/\.$/, '')}). The call was not sent, because the budget's onLedgerDown is 'block'.`,
        hint: "Try again when the ledger is back, or set onLedgerDown: 'allow' on the budget to let calls through while it is down.",
        ledger,
        buffered: unavailable?.buffered ?? 0,
        detail,
        budget: budget.name,
        scope: scope.id,
        cause: error,
      });
    }
    const known = this.#known.get(key) ?? NOTHING;
    const over = exceededLimit(budget, known, next);
    if (over !== undefined && budget.onExceed === 'block') {
      return new BudgetExceededError(budget, scope, over, known, periodEnd(budget.period, start));
    }
    if (over !== undefined) this.#warnOnce(budget, scope, start, over, known);
    this.#known.set(key, add(known, next));
    if (!this.#unchecked.has(key)) {
      this.#unchecked.add(key);
      this.logger.warn(
        `keycard: budget "${budget.name}" for ${scope.id} cannot be checked against the ledger ${ledger} (${detail.replace(/\.$/, '')}); calls go ahead because its onLedgerDown is 'allow', counted by this process against the last spend it read.`,
        { budget: budget.name, scope: scope.id, spend: known },
      );
    }
    return known;
  }

  /** Releases an admission whose call recorded no event; a store that is down is no error here. */
  async cancel(admission: Admission): Promise<void> {
    await this.ledger.release(admission.releases).catch(() => undefined);
  }

  /** After the call's event is recorded: learn its cost, fire threshold alerts. */
  async settle(admission: Admission, event: UsageEvent): Promise<void> {
    this.#estimator.learn(event);
    const used: Spend = {
      usd: event.costUsd ?? 0,
      requests: event.requests,
      tokens: (event.inputTokens ?? 0) + (event.outputTokens ?? 0),
    };
    // What this process knows of each budget: the estimate it reserved becomes the real usage.
    for (const { key, estimate } of admission.checks) {
      const known = this.#known.get(key);
      if (known !== undefined) this.#known.set(key, add(add(known, estimate, -1), used));
    }
    for (const { budget, scope, before, start } of admission.checks) {
      const after = add(before, used);
      const fraction = usedFraction(budget, after);
      for (const threshold of budget.alertAt) {
        if (fraction + 1e-9 < threshold) break;
        const percent = Math.round(threshold * 100);
        const alert: BudgetAlert = {
          kind: 'threshold',
          budget: budget.name,
          scope: scope.id,
          threshold,
          spend: after,
          limit: { usd: budget.usd, requests: budget.requests, tokens: budget.tokens },
          periodStart: start,
          message: `keycard: budget "${budget.name}" for ${scope.id} is at ${percent} % this ${budget.period} (${describeSpend(budget, after)}).`,
        };
        const key = `threshold|${budget.name}|${scope.id}|${start.toISOString()}|${threshold}`;
        if (await this.ledger.alertOnce(key, alert)) {
          this.logger.warn(alert.message, { budget: budget.name, scope: scope.id, threshold, spend: after });
        }
      }
    }
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
  const id = randomUUID();
  BLOCKED.set(id, error);
  setTimeout(() => BLOCKED.delete(id), 60_000).unref();
  const message = `${error.message} [keycard-budget:${id}]`;
  const type = LedgerUnavailableError.is(error) ? 'keycard_ledger_unavailable' : 'keycard_budget_exceeded';
  return new Response(JSON.stringify({ ok: false, error: { message, type }, message }), {
    status: 402,
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-keycard-budget': id },
  });
}

/** The keycard error behind an SDK error made from `blockedResponse()`, if any. */
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
    };
    const texts = [
      fields.message,
      safeStringify(fields.error),
      safeStringify(fields.data),
      safeStringify(fields.body),
    ];
    const headers = fields.headers;
    if (headers instanceof Headers) texts.push(headers.get('x-keycard-budget') ?? '');
    else if (typeof headers === 'object' && headers !== null)
      texts.push(String((headers as Record<string, unknown>)['x-keycard-budget'] ?? ''));
    for (const text of texts) {
      if (typeof text !== 'string') continue;
      const id = MARKER.exec(text)?.[1] ?? (/^[0-9a-f-]{36}$/.test(text) ? text : undefined);
      const found = id === undefined ? undefined : BLOCKED.get(id);
      if (found !== undefined) return found;
    }
    current = (current as { cause?: unknown }).cause;
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
