/**
 * The ledger clients record to when no `ledger` option is given: the SQLite file
 * `$KEYCARD_HOME/ledger.db` (`~/.keycard/ledger.db`), opened once per process. When no SQLite
 * driver loads (better-sqlite3 installed with `--ignore-scripts`, on a Node without
 * `node:sqlite`), the append-only file `$KEYCARD_HOME/ledger.jsonl` instead, with one warning
 * naming the fix. When neither opens (a read-only or full disk, a damaged file), clients warn
 * once and record nothing: a ledger outage never fails an API call.
 * @module
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { KeycardError } from '../errors.js';
import { keycardHome } from '../home.js';
import { DeferredLedger } from './deferred.js';
import type { Ledger } from './types.js';

const opened = new Map<string, Promise<Ledger>>();
/** The default ledgers that are open, by path: a client created after the open need not wait. */
const ready = new Map<string, Ledger>();

/** Default ledgers that are the JSON-lines fallback, with why SQLite could not serve. */
const fallbacks = new WeakMap<Ledger, KeycardError>();

/** The code of the warning a client gives when the default ledger cannot open. */
export const LEDGER_UNAVAILABLE = 'KEYCARD_LEDGER_UNAVAILABLE';

let warned = false;

/**
 * The process-wide default ledger: SQLite at `$KEYCARD_HOME/ledger.db` (`~/.keycard/ledger.db`
 * when `KEYCARD_HOME` is unset), shared by every process of this user. When no SQLite driver
 * loads, the JSON-lines file `$KEYCARD_HOME/ledger.jsonl` (see `openLedger('jsonl:PATH')`).
 * Opened on first use; rejects with a `KeycardError` that says why it cannot open, and what
 * fixes it.
 */
export function defaultLedger(): Promise<Ledger> {
  const home = keycardHome();
  const path = join(home, 'ledger.db');
  let ledger = opened.get(path);
  if (ledger === undefined) {
    ledger = openDefault(home);
    ledger.then(
      (open) => ready.set(path, open),
      () => opened.delete(path),
    );
    opened.set(path, ledger);
  }
  return ledger;
}

async function openDefault(home: string): Promise<Ledger> {
  const { loadSqliteDriver } = await import('./sqlite-load.js');
  const driver = await loadSqliteDriver().catch((error: unknown) => {
    if (KeycardError.is(error)) return error;
    throw error;
  });
  const file = join(home, 'ledger.jsonl');
  if (!KeycardError.is(driver)) {
    const { SqliteLedger } = await import('./sqlite.js');
    const ledger = new SqliteLedger(driver, join(home, 'ledger.db'));
    warnSplit(file);
    return ledger;
  }
  const { openJsonlLedger } = await import('./jsonl.js');
  const ledger = await openJsonlLedger(file).catch((error: unknown) => {
    const why = (error instanceof Error ? error.message : String(error)).replace(/^keycard: /, '');
    throw new KeycardError(`${driver.message} And the fallback failed: ${why}`, { cause: driver });
  });
  fallbacks.set(ledger, driver);
  return ledger;
}

/** The code of the warning that usage is split between ledger.db and ledger.jsonl. */
export const LEDGER_SPLIT = 'KEYCARD_LEDGER_SPLIT';
let warnedSplit = false;

/**
 * SQLite serves this process, and a `ledger.jsonl` beside it holds the usage of processes where
 * no SQLite driver loaded (say, a workflow platform that installs without scripts): once per
 * process, say where it is and how to read it. Nothing is moved: those processes may still be
 * writing to it.
 */
function warnSplit(file: string): void {
  if (warnedSplit) return;
  try {
    if (statSync(file).size === 0) return;
  } catch {
    return;
  }
  warnedSplit = true;
  process.emitWarning(
    `keycard: ${file} holds usage recorded where no SQLite driver loaded; this process records to ledger.db beside it. Read that file with \`keycard usage --ledger jsonl:${file}\`.`,
    { code: LEDGER_SPLIT },
  );
}

/**
 * "keycard: no SQLite driver works in Node v20…: <causes>. Usage is recorded to <file> instead
 * (…). For the SQLite ledger: <fixes>."
 */
function fallbackWarning(ledger: Ledger, error: KeycardError): string {
  const text = error.message.replace(/^keycard: (?:the SQLite ledger cannot open: )?/, '');
  const [why = text, fixes = ''] = text.split('. Fix: ');
  const sqliteFixes = fixes
    .replace(/\.$/, '')
    .split(', or ')
    .filter((fix) => fix !== '' && !fix.includes('PostgreSQL') && !fix.includes('ledger: false'))
    .join(', or ');
  const file = (ledger as { path?: string }).path;
  return `keycard: ${why.replace(/\.$/, '')}. Usage is recorded to ${file} instead (append-only; \`keycard usage\` reads it).${sqliteFixes === '' ? '' : ` For the SQLite ledger: ${sqliteFixes}.`}`;
}

/**
 * @internal The default ledger for a client. When it is the JSON-lines fallback: a warning, once
 * per process, naming why SQLite cannot serve and the fix. When it cannot open: with budgets, a
 * `KeycardError` (a budget needs a ledger); without, `undefined` and a warning, once per process, through
 * `warn` (the client's logger) or else `process.emitWarning` (code `KEYCARD_LEDGER_UNAVAILABLE`).
 * Each new client tries again: the disk may have been freed.
 */
export async function defaultLedgerOrWarn(
  warn: ((message: string) => void) | undefined,
  budgets: boolean,
): Promise<Ledger | undefined> {
  try {
    const ledger = await defaultLedger();
    warnIfFallback(ledger, warn);
    return ledger;
  } catch (error) {
    if (budgets) {
      const reason = (error instanceof Error ? error.message : String(error)).replace(/^keycard: /, '');
      // `ledger: false` is no fix for a client with a budget.
      const fixes = reason.replace(', or pass `ledger: false` to record nothing', '');
      throw new KeycardError(
        `createClient: budgets need a ledger, and the default one is unavailable: ${fixes} Or give the client a ledger of its own (ledger: await openLedger('postgres://…')).`,
        { cause: error },
      );
    }
    warnUnavailable(error, warn);
    return undefined;
  }
}

/**
 * @internal The default ledger for a client without budgets, without waiting for it: the ledger
 * itself when it is open already, else a `DeferredLedger` that keeps the client's events until it
 * is. It warns as `defaultLedgerOrWarn` does, once the open has settled.
 */
export function defaultLedgerInBackground(warn: ((message: string) => void) | undefined): Ledger {
  const open = ready.get(join(keycardHome(), 'ledger.db'));
  if (open !== undefined) {
    warnIfFallback(open, warn);
    return open;
  }
  // The deferred ledger settles in the first reaction to the open, before anyone who awaits
  // `defaultLedger()` later: they find the events handed over (and its budget gate, see client.ts).
  return new DeferredLedger(defaultLedger(), {
    opened: (ledger) => warnIfFallback(ledger, warn),
    failed: (error) => warnUnavailable(error, warn),
  });
}

/** The default ledger is the JSON-lines fallback: a warning, once per process. */
function warnIfFallback(ledger: Ledger, warn: ((message: string) => void) | undefined): void {
  const fallback = fallbacks.get(ledger);
  if (fallback === undefined || warned) return;
  warned = true;
  const message = fallbackWarning(ledger, fallback);
  if (warn !== undefined) warn(message);
  else process.emitWarning(message, { code: LEDGER_UNAVAILABLE });
}

/** The default ledger cannot open: a warning, once per process. */
function warnUnavailable(error: unknown, warn: ((message: string) => void) | undefined): void {
  if (warned) return;
  warned = true;
  const reason = (error instanceof Error ? error.message : String(error)).replace(/^keycard: /, '');
  const message = `keycard: usage is not recorded in this process (API calls still work): ${reason}`;
  if (warn !== undefined) warn(message);
  else process.emitWarning(message, { code: LEDGER_UNAVAILABLE });
}
