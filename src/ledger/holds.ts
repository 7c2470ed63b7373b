/**
 * Budget holds kept in JavaScript, for the ledgers that are not SQL (memory, JSON lines): the
 * same rules as the SQL of `sql.ts`. A hold counts while it is live, and only when above 0.
 * @module
 */
import { type Amount, type LeaseChange, type LeaseView, type Reservation, usageAmount } from './base.js';
import type { BudgetScope } from './budget.js';
import type { UsageEvent } from './types.js';

function inScope(event: UsageEvent, scope: BudgetScope): boolean {
  if (scope.field === 'key') return event.keyFingerprint === scope.value;
  if (scope.field === 'workflow') return event.workflow === scope.value;
  if (scope.field === 'tag') return event.tags?.[scope.tag as string] === scope.value;
  return event.provider === scope.value;
}

/** What `events` of `scope` used since each of `since`: the SQL ledgers' query, in JavaScript. */
export function recordedSince(
  events: Iterable<UsageEvent>,
  scope: BudgetScope,
  since: readonly Date[],
): Amount[] {
  const recorded = since.map((): Amount => ({ nusd: 0, requests: 0, tokens: 0 }));
  for (const event of events) {
    if (!inScope(event, scope)) continue;
    const used = usageAmount(event);
    since.forEach((start, index) => {
      if (event.time < start) return;
      const sum = recorded[index] as Amount;
      sum.nusd += used.nusd;
      sum.requests += used.requests;
      sum.tokens += used.tokens;
    });
  }
  return recorded;
}

/** One hold: a budget lease, or a reservation of keycard before leases. */
export class Hold implements Amount {
  constructor(
    readonly scope: string,
    public nusd: number,
    public requests: number,
    public tokens: number,
    public expiresAt: number,
  ) {}

  /** A reservation line of the JSON-lines file, as a hold. */
  static from(reservation: Reservation): Hold {
    return new Hold(
      reservation.scope,
      Math.round(reservation.usd * 1e9),
      reservation.requests,
      reservation.tokens,
      reservation.expiresAt,
    );
  }

  /** The hold as a reservation line (USD, as keycard before leases wrote and reads it). */
  toReservation(id: string): Reservation {
    const { scope, requests, tokens, expiresAt } = this;
    return { id, scope, usd: this.nusd / 1e9, requests, tokens, expiresAt };
  }

  /** A recorded call's usage, taken off the hold. */
  charge(used: Amount): void {
    this.nusd -= used.nusd;
    this.requests -= used.requests;
    this.tokens -= used.tokens;
  }
}

/** The held part of a `LeaseView`: every live hold of `scope`, and the lease `id`'s own. */
export function sumHolds(
  holds: ReadonlyMap<string, Hold>,
  scope: string,
  id: string,
  now: number,
): Pick<LeaseView, 'held' | 'own'> {
  const held: Amount = { nusd: 0, requests: 0, tokens: 0 };
  let own: Amount | undefined;
  for (const [key, hold] of holds) {
    if (hold.scope !== scope || hold.expiresAt < now) continue;
    held.nusd += Math.max(hold.nusd, 0);
    held.requests += Math.max(hold.requests, 0);
    held.tokens += Math.max(hold.tokens, 0);
    if (key === id) own = { nusd: hold.nusd, requests: hold.requests, tokens: hold.tokens };
  }
  return { held, own };
}

/**
 * Applies a lease's change: added to its hold while live, else set; or removed. Returns the hold
 * as it is now (`undefined`: removed, or nothing to do).
 */
export function applyLeaseChange(
  holds: Map<string, Hold>,
  scope: string,
  id: string,
  now: number,
  change: LeaseChange | undefined,
): Hold | undefined {
  if (change === undefined) return undefined;
  if ('remove' in change) {
    holds.delete(id);
    return undefined;
  }
  const { add, expiresAt } = change;
  const hold = holds.get(id);
  if (hold === undefined || hold.expiresAt < now) {
    const fresh = new Hold(scope, add.nusd, add.requests, add.tokens, expiresAt);
    holds.set(id, fresh);
    return fresh;
  }
  hold.nusd += add.nusd;
  hold.requests += add.requests;
  hold.tokens += add.tokens;
  hold.expiresAt = expiresAt;
  return hold;
}
