/**
 * The ledger clients record to when no `ledger` option is given: the SQLite file
 * `$KEYCARD_HOME/ledger.db` (`~/.keycard/ledger.db`), opened once per process. When it cannot
 * open (no SQLite driver, a read-only or full disk, a damaged file), clients warn once and
 * record nothing: a ledger outage never fails an API call.
 * @module
 */
import { join } from 'node:path';
import { KeycardError } from '../errors.js';
import { keycardHome } from '../home.js';
import type { Ledger } from './types.js';

const opened = new Map<string, Promise<Ledger>>();

/** The code of the warning a client gives when the default ledger cannot open. */
export const LEDGER_UNAVAILABLE = 'KEYCARD_LEDGER_UNAVAILABLE';

let warned = false;

/**
 * The process-wide default ledger: SQLite at `$KEYCARD_HOME/ledger.db` (`~/.keycard/ledger.db`
 * when `KEYCARD_HOME` is unset), shared by every process of this user. Opened on first use;
 * rejects with a `KeycardError` that says why it cannot open, and what fixes it.
 */
export function defaultLedger(): Promise<Ledger> {
  const path = join(keycardHome(), 'ledger.db');
  let ledger = opened.get(path);
  if (ledger === undefined) {
    ledger = import('./sqlite.js').then(({ openSqliteLedger }) => openSqliteLedger(path));
    ledger.catch(() => opened.delete(path));
    opened.set(path, ledger);
  }
  return ledger;
}

/**
 * @internal The default ledger for a client. When it cannot open: with budgets, a `KeycardError`
 * (a budget needs a ledger); without, `undefined` and a warning, once per process, through
 * `warn` (the client's logger) or else `process.emitWarning` (code `KEYCARD_LEDGER_UNAVAILABLE`).
 * Each new client tries again: the disk may have been freed.
 */
export async function defaultLedgerOrWarn(
  warn: ((message: string) => void) | undefined,
  budgets: boolean,
): Promise<Ledger | undefined> {
  try {
    return await defaultLedger();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^keycard: /, '');
    if (budgets) {
      // `ledger: false` is no fix for a client with a budget.
      const fixes = reason.replace(', or pass `ledger: false` to record nothing', '');
      throw new KeycardError(
        `createClient: budgets need a ledger, and the default one is unavailable: ${fixes} Or give the client a ledger of its own (ledger: await openLedger('postgres://…')).`,
        { cause: error },
      );
    }
    if (!warned) {
      warned = true;
      const message = `keycard: usage is not recorded in this process (API calls still work): ${reason}`;
      if (warn !== undefined) warn(message);
      else process.emitWarning(message, { code: LEDGER_UNAVAILABLE });
    }
    return undefined;
  }
}
