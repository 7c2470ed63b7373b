/**
 * The budget gate: before each request, every budget that applies (the client's and the
 * ledger's) is checked against the ledger's spend plus the calls in flight, and the call's
 * estimated usage is reserved; after it, the reservation is released with the real event and
 * thresholds are checked for alerts (once per period and scope, across processes).
 * @module
 */
import { randomUUID } from 'node:crypto';
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
import type { ProviderId } from '../providers/ids.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';

/** What admitting one request reserved, to settle when its event is recorded. */
export interface Admission {
  releases: string[];
  checks: Array<{ budget: ResolvedBudget; scope: BudgetScope; before: Spend; start: Date }>;
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

export class BudgetGate {
  readonly #estimator = new Estimator();
  readonly #warned = new Set<string>();

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
  async admit(secret: Secret, model: string | null): Promise<Admission | BudgetExceededError> {
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
      let blocked: keyof Spend | undefined;
      const id = randomUUID();
      const before = await this.ledger.reserve(scope, start, (spend) => {
        const over = exceededLimit(budget, spend, next);
        if (over !== undefined && budget.onExceed === 'block') {
          blocked = over;
          return undefined;
        }
        if (over !== undefined) this.#warnOnce(budget, scope, start, over, spend);
        return { id, scope: scope.id, ...next, expiresAt: Date.now() + RESERVATION_TTL_MS };
      });
      if (blocked !== undefined) {
        await this.ledger.release(admission.releases);
        return new BudgetExceededError(budget, scope, blocked, before, periodEnd(budget.period, now));
      }
      admission.releases.push(id);
      admission.checks.push({ budget, scope, before, start });
    }
    return admission;
  }

  /** Releases an admission whose call recorded no event. */
  async cancel(admission: Admission): Promise<void> {
    await this.ledger.release(admission.releases);
  }

  /** After the call's event is recorded: learn its cost, fire threshold alerts. */
  async settle(admission: Admission, event: UsageEvent): Promise<void> {
    this.#estimator.learn(event);
    for (const { budget, scope, before, start } of admission.checks) {
      const after: Spend = {
        usd: before.usd + (event.costUsd ?? 0),
        requests: before.requests + event.requests,
        tokens: before.tokens + (event.inputTokens ?? 0) + (event.outputTokens ?? 0),
      };
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
const BLOCKED = new Map<string, BudgetExceededError>();
const MARKER = /\[keycard-budget:([0-9a-f-]{36})\]/;

/**
 * A `402` answer for a blocked request, marked so that the SDK does not retry it and keycard
 * finds the `BudgetExceededError` in whatever the SDK throws. No request left the process.
 */
export function blockedResponse(error: BudgetExceededError): Response {
  const id = randomUUID();
  BLOCKED.set(id, error);
  setTimeout(() => BLOCKED.delete(id), 60_000).unref();
  const message = `${error.message} [keycard-budget:${id}]`;
  return new Response(
    JSON.stringify({ ok: false, error: { message, type: 'keycard_budget_exceeded' }, message }),
    {
      status: 402,
      headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-keycard-budget': id },
    },
  );
}

/** The `BudgetExceededError` behind an SDK error made from `blockedResponse()`, if any. */
export function findBlocked(error: unknown): BudgetExceededError | undefined {
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
