/**
 * The ledger clients record to when no `ledger` option is given: the SQLite file
 * `$KEYCARD_HOME/ledger.db` (`~/.keycard/ledger.db`), opened once per process.
 * @module
 */
import { join } from 'node:path';
import { keycardHome } from '../home.js';
import type { Ledger } from './types.js';

const opened = new Map<string, Promise<Ledger>>();

/**
 * The process-wide default ledger: SQLite at `$KEYCARD_HOME/ledger.db` (`~/.keycard/ledger.db`
 * when `KEYCARD_HOME` is unset), shared by every process of this user. Opened on first use.
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
