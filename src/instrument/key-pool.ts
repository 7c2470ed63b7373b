/**
 * The keys of a client made from `keys.pool()`: one `KeyHolder` per member (so each is re-read
 * when the provider rejects it, as a single key is), a health state per key, and the pick of a
 * key per request. Everything here is in memory and synchronous: a pick costs a loop over the
 * members, with no store round trip.
 *
 * States: `ok`; `cooling` (rate limited) until the answer's `retry-after` or rate-limit reset, else
 * `cooldownMs`; `exhausted` (out of credit) for `exhaustedMs`; `revoked` (rejected even after its
 * source was read again) until `client.refresh()` reads a new key for it; and `forbidden` for one
 * model (a key without access to that model is skipped for it only). States found here are written
 * to the ledger's store, and those other processes wrote are read every `syncMs` in the background
 * (`share()`); so is each key's use, for the `least-used` and `budget` strategies. A request's
 * model (which a plan may have to parse from its body) is read only when a key was refused one.
 * @module
 */
import { CredentialError, type CredentialReason } from '../errors.js';
import type { KeyPool, PoolRequest } from '../keys/pool.js';
import type { BaseLedger, SharedKeyState } from '../ledger/base.js';
import {
  type BudgetExceededError,
  periodStart,
  type ResolvedBudget,
  usedFraction,
} from '../ledger/budget.js';
import type { ProviderId } from '../providers/ids.js';
import type { FailureClass } from '../providers/types.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';
import type { ClientKeys, KeyHolder } from './key-holder.js';

/** A pool member's state, as `client.pool()` reports it. */
export type PoolMemberState = 'ok' | 'cooling' | 'exhausted' | 'revoked';

/** One member of a pool, as `client.pool()` reports it: never the key. */
export interface PoolMemberStatus {
  /** Where the key comes from, e.g. `env:OPENAI_KEY_TEAM_A`. */
  readonly source: string;
  /** The key's masked id, e.g. `sk-proj-****wxyz`. */
  readonly maskedId: string;
  /** The key's fingerprint. */
  readonly fingerprint: string;
  /** Whether the key is picked now, and if not, why. */
  readonly state: PoolMemberState;
  /** Until when the key is left aside (`cooling`, `exhausted`), else `null`. */
  readonly until: Date | null;
  /** Models this key was refused (`forbidden`): it is skipped for them. */
  readonly forbiddenModels: readonly string[];
  /** Requests sent with this key by this client. */
  readonly requests: number;
}

interface Member {
  readonly holder: KeyHolder;
  readonly source: string;
  readonly weight: number;
  /** The `weighted` strategy's running score (smooth weighted round-robin). */
  score: number;
  state: PoolMemberState;
  until: number;
  readonly forbidden: Set<string>;
  requests: number;
  /** Set while the key is `exhausted` because a budget of scope `key` blocked it. */
  budget: BudgetExceededError | undefined;
  /** `least-used`: the key's use in the window, as the store last said (requests or USD). */
  used: number;
  /** `least-used`: this client's requests with the key since the store was last read. */
  recent: number;
}

/** `forbidden` for a request that names no model is about the key, for every request. */
const ANY_MODEL = '\u0000any';

/** The reasons a key is left aside, as words for the error that lists them. */
function why(member: Member, model: string | null, now: number): string {
  if (member.state === 'revoked') return 'rejected (revoked or wrong)';
  if (member.state === 'exhausted')
    return member.budget === undefined
      ? `out of credit until ${new Date(member.until).toISOString()}`
      : `its budget "${member.budget.budget}" is used up until ${new Date(member.until).toISOString()}`;
  if (member.forbidden.has(ANY_MODEL) || (model !== null && member.forbidden.has(model)))
    return model === null ? 'not allowed this request' : `no access to ${model}`;
  if (member.state === 'cooling' && member.until > now)
    return `rate limited until ${new Date(member.until).toISOString()}`;
  return 'already tried for this request';
}

/** What the request paths know of a request when they pick its key. */
export interface PoolPlan {
  readonly operation: string;
  readonly model: string | null;
}

/** How far back a client looks for shared states when it starts, and the margin for clock skew. */
const SHARED_HISTORY_MS = 24 * 3_600_000;
const CLOCK_SKEW_MS = 60_000;

export class KeyPoolHolder implements ClientKeys {
  readonly #members: Member[];
  #affinityFailed = false;
  /** The ledger whose store shares states with other processes, once sharing started. */
  #shared: BaseLedger | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #since = Date.now() - SHARED_HISTORY_MS;
  #pulling = false;
  #next = 0;
  #last: Member;

  constructor(
    holders: readonly { holder: KeyHolder; source: string }[],
    private readonly pool: KeyPool,
    private readonly provider: ProviderId,
    private readonly logger: KeycardLogger,
  ) {
    this.#members = holders.map(({ holder, source }, index) => ({
      holder,
      source,
      weight: pool.weights[index] ?? 1,
      score: 0,
      state: 'ok',
      until: 0,
      forbidden: new Set(),
      requests: 0,
      budget: undefined,
      used: 0,
      recent: 0,
    }));
    this.#last = this.#members[0] as Member;
  }

  /** The key of the last request (the first member's before any): for errors and `maskedId`. */
  get current(): Secret {
    return this.#last.holder.current;
  }

  #usable(member: Member, request: PoolPlan, now: number): boolean {
    if (member.state === 'revoked' || this.#refused(member, request)) return false;
    if (member.state !== 'ok') {
      if (member.until > now) return false;
      member.state = 'ok';
      member.budget = undefined;
    }
    return true;
  }

  pick(request: PoolPlan, bodyText?: string): Secret {
    const now = Date.now();
    const found = this.#choose(request, bodyText, undefined, now);
    if (found !== undefined) return this.#use(found);
    // Rate limited only: the one free soonest serves when no key is free (the provider answers
    // 429 again, or serves; the SDK's own retries and backoff apply as with one key).
    let coolest: Member | undefined;
    for (const member of this.#members) {
      if (member.state !== 'cooling' || this.#refused(member, request)) continue;
      if (coolest === undefined || member.until < coolest.until) coolest = member;
    }
    if (coolest !== undefined) return this.#use(coolest);
    throw this.allDown(request.model);
  }

  next(request: PoolPlan, tried: ReadonlySet<string>, bodyText?: string): Secret | undefined {
    const found = this.#choose(request, bodyText, tried, Date.now());
    return found === undefined ? undefined : this.#use(found);
  }

  /** The member for a request: its affinity's, when the pool has one and it names a string. */
  #choose(
    request: PoolPlan,
    bodyText: string | undefined,
    tried: ReadonlySet<string> | undefined,
    now: number,
  ): Member | undefined {
    const affinity = this.#affinityOf(request, bodyText);
    return affinity === undefined
      ? this.#find(request, tried, now)
      : this.#affine(affinity, request, tried, now);
  }

  #affinityOf(request: PoolPlan, bodyText: string | undefined): string | undefined {
    const affinity = this.pool.affinity;
    if (affinity === undefined) return undefined;
    let body: unknown;
    let parsed = false;
    const view: PoolRequest = {
      operation: request.operation,
      get model() {
        return request.model;
      },
      get body() {
        if (!parsed) {
          parsed = true;
          try {
            body = bodyText === undefined ? undefined : (JSON.parse(bodyText) as unknown);
          } catch {
            body = undefined;
          }
        }
        return body;
      },
    };
    try {
      const key = affinity(view);
      return typeof key === 'string' && key !== '' ? key : undefined;
    } catch (error) {
      if (!this.#affinityFailed) {
        this.#affinityFailed = true;
        this.logger.warn(
          `keycard: the affinity function of ${this.pool.describe()} threw; requests go by the strategy instead`,
          { provider: this.provider, error: error instanceof Error ? error.message : String(error) },
        );
      }
      return undefined;
    }
  }

  /** The first usable member from the one `key` hashes to, in ring order: stable while healthy. */
  #affine(
    key: string,
    request: PoolPlan,
    tried: ReadonlySet<string> | undefined,
    now: number,
  ): Member | undefined {
    let hash = 2166136261;
    for (let index = 0; index < key.length; index += 1)
      hash = Math.imul(hash ^ key.charCodeAt(index), 16777619);
    const count = this.#members.length;
    const start = (hash >>> 0) % count;
    for (let offset = 0; offset < count; offset += 1) {
      const member = this.#members[(start + offset) % count] as Member;
      if (tried?.has(member.holder.current.fingerprint) === true) continue;
      if (this.#usable(member, request, now)) return member;
    }
    return undefined;
  }

  /** Whether the key was refused this request's model (read only when it was refused one). */
  #refused(member: Member, request: PoolPlan): boolean {
    if (member.forbidden.size === 0) return false;
    const model = request.model;
    return member.forbidden.has(ANY_MODEL) || (model !== null && member.forbidden.has(model));
  }

  /** The member the strategy picks among the usable ones not in `tried`. */
  #find(request: PoolPlan, tried: ReadonlySet<string> | undefined, now: number): Member | undefined {
    if (this.pool.strategy === 'weighted') return this.#weighted(request, tried, now);
    if (this.pool.strategy === 'least-used' || this.pool.strategy === 'budget')
      return this.#leastUsed(request, tried, now);
    const count = this.#members.length;
    const roundRobin = this.pool.strategy === 'round-robin';
    const start = roundRobin ? this.#next : 0;
    for (let offset = 0; offset < count; offset += 1) {
      const member = this.#members[(start + offset) % count] as Member;
      if (tried?.has(member.holder.current.fingerprint) === true) continue;
      if (!this.#usable(member, request, now)) continue;
      if (roundRobin) this.#next = (start + offset + 1) % count;
      return member;
    }
    return undefined;
  }

  /**
   * Smooth weighted round-robin over the usable members: each gains its weight, the highest
   * serves and gives back the sum of the weights, so shares follow the weights, interleaved.
   */
  #weighted(request: PoolPlan, tried: ReadonlySet<string> | undefined, now: number): Member | undefined {
    let best: Member | undefined;
    let total = 0;
    for (const member of this.#members) {
      if (tried?.has(member.holder.current.fingerprint) === true) continue;
      if (!this.#usable(member, request, now)) continue;
      member.score += member.weight;
      total += member.weight;
      if (best === undefined || member.score > best.score) best = member;
    }
    if (best !== undefined) best.score -= total;
    return best;
  }

  /**
   * The usable member with the least use in the window: the store's count (every process, read
   * in the background) plus this client's requests since; in the order given on a tie. By spend,
   * a request since the last read counts as the member's average request in the window.
   */
  #leastUsed(request: PoolPlan, tried: ReadonlySet<string> | undefined, now: number): Member | undefined {
    let best: Member | undefined;
    let bestUse = Number.POSITIVE_INFINITY;
    for (const member of this.#members) {
      if (tried?.has(member.holder.current.fingerprint) === true) continue;
      if (!this.#usable(member, request, now)) continue;
      const use = member.used + member.recent * this.#perRequest;
      if (use < bestUse) {
        best = member;
        bestUse = use;
      }
    }
    return best;
  }

  /**
   * What one request since the last read adds to a member's use: 1 (requests), the average cost
   * of a request (USD), or for `budget` the largest share of a budget an average request takes.
   */
  #perRequest = 1;
  /** The budgets of scope `key` (the `budget` strategy). */
  #budgets: readonly ResolvedBudget[] = [];

  /** The client's budgets of scope `key`, for the `budget` strategy. */
  useBudgets(budgets: readonly ResolvedBudget[]): void {
    this.#budgets = budgets.filter((budget) => budget.scope === 'key');
  }

  /** Reads each member's use from the store (`least-used`, `budget`). */
  async #pullUsage(ledger: BaseLedger): Promise<void> {
    if (this.pool.strategy === 'budget') return this.#pullBudgets(ledger);
    const rows = await ledger
      .totals({
        by: ['fingerprint'],
        since: new Date(Date.now() - this.pool.usageWindowMs),
        where: { provider: this.provider },
      })
      .catch(() => undefined);
    if (rows === undefined) return;
    const byKey = new Map(rows.map((row) => [row.fingerprint, row]));
    let requests = 0;
    let usd = 0;
    for (const row of rows) {
      requests += row.requests;
      usd += row.costUsd ?? 0;
    }
    this.#perRequest = this.pool.leastUsedBy === 'usd' ? (requests === 0 ? 0 : usd / requests) : 1;
    for (const member of this.#members) {
      const row = byKey.get(member.holder.current.fingerprint);
      member.used =
        row === undefined ? 0 : this.pool.leastUsedBy === 'usd' ? (row.costUsd ?? 0) : row.requests;
      member.recent = 0;
    }
  }

  /** `budget`: each member's use is the largest share of one of its budgets used this period. */
  async #pullBudgets(ledger: BaseLedger): Promise<void> {
    const now = new Date();
    const used = new Map<string, number>();
    let perRequest = 0;
    for (const budget of this.#budgets) {
      const rows = await ledger
        .totals({
          by: ['fingerprint'],
          since: periodStart(budget.period, now),
          where: { provider: this.provider },
        })
        .catch(() => undefined);
      if (rows === undefined) return;
      let requests = 0;
      const total = { usd: 0, requests: 0, tokens: 0 };
      for (const row of rows) {
        const spend = {
          usd: row.costUsd ?? 0,
          requests: row.requests,
          tokens: row.inputTokens + row.outputTokens,
        };
        requests += row.requests;
        total.usd += spend.usd;
        total.requests += spend.requests;
        total.tokens += spend.tokens;
        const fingerprint = row.fingerprint ?? '';
        used.set(fingerprint, Math.max(used.get(fingerprint) ?? 0, usedFraction(budget, spend)));
      }
      // What an average request takes of this budget (one request when nothing was used yet).
      const average =
        requests === 0
          ? { usd: 0, requests: 1, tokens: 0 }
          : { usd: total.usd / requests, requests: 1, tokens: total.tokens / requests };
      perRequest = Math.max(perRequest, usedFraction(budget, average));
    }
    this.#perRequest = perRequest;
    for (const member of this.#members) {
      member.used = used.get(member.holder.current.fingerprint) ?? 0;
      member.recent = 0;
    }
  }

  #use(member: Member): Secret {
    member.requests += 1;
    member.recent += 1;
    this.#last = member;
    return member.holder.current;
  }

  #memberOf(fingerprint: string): Member | undefined {
    return this.#members.find((member) => member.holder.current.fingerprint === fingerprint);
  }

  /** Re-reads the member whose key was rejected; when it changed, that member is `current`. */
  async refresh(rejected: string, signal?: AbortSignal): Promise<boolean> {
    const member = this.#memberOf(rejected);
    // Not found: its member has been read again meanwhile (by a concurrent request).
    if (member === undefined) return true;
    const changed = await member.holder.refresh(rejected, signal);
    if (changed) this.#last = member;
    return changed;
  }

  failOver(
    used: Secret,
    verdict: FailureClass,
    model: string | null,
    retryAfterMs: number | undefined,
  ): boolean {
    const member = this.#memberOf(used.fingerprint);
    if (member === undefined) return false;
    const now = Date.now();
    const before = member.state;
    if (verdict.reason === 'unauthorized') member.state = 'revoked';
    else if (verdict.reason === 'quota_exceeded') {
      member.state = 'exhausted';
      member.until = now + this.pool.exhaustedMs;
    } else if (verdict.reason === 'forbidden') member.forbidden.add(model ?? ANY_MODEL);
    else if (verdict.outcome === 'rate_limited') {
      member.state = 'cooling';
      member.until = now + (retryAfterMs ?? this.pool.cooldownMs);
    } else return false;
    if (member.state !== before || verdict.reason === 'forbidden') {
      this.#publish(
        member,
        verdict.reason === 'forbidden' ? 'forbidden' : (member.state as SharedKeyState['state']),
        verdict.reason === 'forbidden' ? model : null,
      );
      this.logger.warn(
        `keycard: ${this.provider} key ${used.maskedId} (${member.source}) is left aside: ${why(member, model, now)}`,
        {
          provider: this.provider,
          source: member.source,
          fingerprint: used.fingerprint,
          state: member.state,
          ...(verdict.reason === 'forbidden' && model !== null ? { model } : {}),
        },
      );
    }
    return this.#members.length > 1;
  }

  budgetBlocked(used: Secret, error: BudgetExceededError): boolean {
    const member = this.#memberOf(used.fingerprint);
    if (member === undefined || error.scope !== `key:${used.fingerprint}`) return false;
    if (member.budget === undefined) {
      member.until = error.resetsAt.getTime();
      this.#publish(member, 'exhausted', null);
      this.logger.warn(
        `keycard: ${this.provider} key ${used.maskedId} (${member.source}) is left aside: its budget "${error.budget}" is used up until ${error.resetsAt.toISOString()}`,
        { provider: this.provider, source: member.source, fingerprint: used.fingerprint, state: 'exhausted' },
      );
    }
    member.state = 'exhausted';
    member.until = error.resetsAt.getTime();
    member.budget = error;
    return this.#members.length > 1;
  }

  /**
   * Shares states through `ledger`'s store: what this client finds is written there, and what
   * others wrote is read every `syncMs` (and once now) in the background.
   */
  share(ledger: BaseLedger): void {
    if (this.pool.syncMs === 0 || this.#shared !== undefined) return;
    this.#shared = ledger;
    void this.#pull();
    this.#syncTimer = setInterval(() => void this.#pull(), this.pool.syncMs);
    this.#syncTimer.unref();
  }

  /** Stops reading shared states (the client is closed). */
  stopSharing(): void {
    if (this.#syncTimer !== undefined) clearInterval(this.#syncTimer);
    this.#syncTimer = undefined;
    this.#shared = undefined;
  }

  #publish(member: Member, state: SharedKeyState['state'], model: string | null): void {
    const ledger = this.#shared;
    if (ledger === undefined) return;
    const row: SharedKeyState = {
      fingerprint: member.holder.current.fingerprint,
      model: model ?? '',
      state,
      untilMs: state === 'cooling' || state === 'exhausted' ? member.until : 0,
      updatedMs: Date.now(),
    };
    // A state the store refused (down for a moment) is written again at the next sync.
    void ledger.shareKeyState(row).then((written) => {
      if (written) return;
      this.#unsent.push(row);
      // A store down for long: the newest hundred are kept.
      if (this.#unsent.length > 100) this.#unsent.shift();
    });
  }

  /** States not written yet: the store refused them. */
  #unsent: SharedKeyState[] = [];

  async #pull(): Promise<void> {
    const ledger = this.#shared;
    if (ledger === undefined || this.#pulling) return;
    this.#pulling = true;
    try {
      // Oldest first, stamped now (readers look back a minute only); a rest that has ended is
      // dropped; the first the store refuses again stops the loop (it is still down).
      while (this.#unsent.length > 0) {
        const row = this.#unsent[0] as SharedKeyState;
        const now = Date.now();
        const ended = (row.state === 'cooling' || row.state === 'exhausted') && row.untilMs <= now;
        if (!ended && !(await ledger.shareKeyState({ ...row, updatedMs: now }))) break;
        this.#unsent.shift();
      }
      const fingerprints = this.#members.map((member) => member.holder.current.fingerprint);
      if (this.pool.strategy === 'least-used' || this.pool.strategy === 'budget')
        await this.#pullUsage(ledger);
      const rows = await ledger.sharedKeyStates(fingerprints, this.#since);
      const now = Date.now();
      let newest = this.#since + CLOCK_SKEW_MS;
      for (const row of rows) {
        newest = Math.max(newest, row.updatedMs);
        this.#apply(row, now);
      }
      // Rows are read again for a minute: a process whose clock is behind is not missed.
      this.#since = Math.max(this.#since, newest - CLOCK_SKEW_MS);
    } finally {
      this.#pulling = false;
    }
  }

  /** Takes a state another process (or client) found: the later end wins; revoked stays. */
  #apply(row: SharedKeyState, now: number): void {
    const member = this.#memberOf(row.fingerprint);
    if (member === undefined) return;
    if (row.state === 'forbidden') {
      member.forbidden.add(row.model === '' ? ANY_MODEL : row.model);
      return;
    }
    if (row.state === 'revoked') {
      member.state = 'revoked';
      return;
    }
    if (member.state === 'revoked' || row.untilMs <= now) return;
    if (member.state === 'ok' || member.until < row.untilMs) {
      member.state = row.state;
      member.until = row.untilMs;
    }
  }

  /** Reads every member again; a member whose key changed is healthy again. */
  async force(): Promise<boolean> {
    let changed = false;
    for (const member of this.#members) {
      if (await member.holder.force()) {
        changed = true;
        member.state = 'ok';
        member.until = 0;
        member.forbidden.clear();
      }
    }
    return changed;
  }

  status(): PoolMemberStatus[] {
    const now = Date.now();
    return this.#members.map((member) => {
      const state = member.state !== 'revoked' && member.until <= now ? 'ok' : member.state;
      return {
        source: member.source,
        maskedId: member.holder.current.maskedId,
        fingerprint: member.holder.current.fingerprint,
        state,
        until: state === 'cooling' || state === 'exhausted' ? new Date(member.until) : null,
        forbiddenModels: [...member.forbidden].map((model) => (model === ANY_MODEL ? '*' : model)),
        requests: member.requests,
      };
    });
  }

  /** The error when no key can serve a request: each key, masked, and why; the reason to act on. */
  allDown(model: string | null): CredentialError | BudgetExceededError {
    const now = Date.now();
    // Budgets block every key: the budget error of the key whose period ends first.
    const budgets = this.#members.map((member) => (member.state === 'exhausted' ? member.budget : undefined));
    if (budgets.every((budget) => budget !== undefined)) {
      return budgets.reduce((soonest, budget) =>
        (budget as BudgetExceededError).resetsAt < (soonest as BudgetExceededError).resetsAt
          ? budget
          : soonest,
      ) as BudgetExceededError;
    }
    const reasons = this.#members.map(
      (member) => `${member.holder.current.maskedId} (${member.source}): ${why(member, model, now)}`,
    );
    const states = new Set(this.#members.map((member) => member.state));
    const forbidden = this.#members.some(
      (member) => member.forbidden.has(ANY_MODEL) || (model !== null && member.forbidden.has(model)),
    );
    // Out of credit is what someone can fix today (add credit); then access; then the keys.
    const reason: CredentialReason = states.has('exhausted')
      ? 'quota_exceeded'
      : forbidden
        ? 'forbidden'
        : 'unauthorized';
    const soonest = this.#members
      .filter((member) => member.state === 'exhausted' || member.state === 'cooling')
      .reduce<number | undefined>(
        (min, member) => (min === undefined || member.until < min ? member.until : min),
        undefined,
      );
    const hint =
      reason === 'quota_exceeded'
        ? 'Add credit (or raise the spend limit) for one of these keys, or add a key with credit to the pool.'
        : reason === 'forbidden'
          ? `Give one of these keys access${model === null ? '' : ` to ${model}`}, or add a key that has it to the pool.`
          : 'Replace the rejected keys in their sources (then client.refresh()), or add a working key to the pool.';
    return new CredentialError({
      reason,
      message: `No key of ${this.pool.describe()} can serve this request: ${reasons.join('; ')}.${soonest === undefined ? '' : ` The first is tried again at ${new Date(soonest).toISOString()}.`}`,
      hint,
      provider: this.provider,
      source: this.pool.describe(),
      maskedId: this.current.maskedId,
      fingerprint: this.current.fingerprint,
      retryable: soonest !== undefined,
    });
  }
}
