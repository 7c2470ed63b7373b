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

/**
 * Resolves when everything tracked so far has settled, and what that work tracked in turn (a
 * priced event, then its budget alerts). A few rounds at most: under a steady stream of calls,
 * new work keeps coming, and a flush must not wait for it forever.
 */
export async function pendingSettled(): Promise<void> {
  for (let round = 0; round < 4 && pending.size > 0; round += 1) await Promise.allSettled([...pending]);
}
