/**
 * The ledger clients record to when no `ledger` option is given: one per process.
 * @module
 */
import { MemoryLedger } from './memory.js';
import type { Ledger } from './types.js';

let shared: Ledger | undefined;

/**
 * The process-wide default ledger, created on first use. For now an in-memory ledger; read its
 * `totals()` to see what every client without a `ledger` option has used.
 */
export function defaultLedger(): Ledger {
  shared ??= new MemoryLedger();
  return shared;
}
