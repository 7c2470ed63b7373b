/**
 * Events on their way to a ledger: recorded after something asynchronous (the price data
 * loading). Ledger queries wait for them, so that a query made after a call returned sees it.
 * @module
 */
const pending = new Set<Promise<unknown>>();

/** Tracks `work` until it settles. */
export function trackPending(work: Promise<unknown>): void {
  pending.add(work);
  void work.finally(() => pending.delete(work)).catch(() => undefined);
}

/** Resolves when everything tracked so far has settled. */
export async function pendingSettled(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}
