/**
 * Chooses the SQLite driver: the `driver` option, else `KEYCARD_SQLITE_DRIVER`, else the first
 * that loads of better-sqlite3 and `node:sqlite`. When none can serve, one error says why each
 * failed and what fixes it.
 * @module
 */
import { KeycardError } from '../errors.js';
import { loadBetterSqlite3 } from './sqlite-better.js';
import {
  DRIVER_ENV,
  type DriverFailure,
  type SqliteDriver,
  type SqliteDriverChoice,
  type SqliteDriverName,
} from './sqlite-driver.js';
import { loadNodeSqlite } from './sqlite-node.js';

const CHOICES: readonly SqliteDriverChoice[] = ['auto', 'better-sqlite3', 'node:sqlite'];

const loaders: Record<SqliteDriverName, () => Promise<SqliteDriver | DriverFailure>> = {
  'better-sqlite3': loadBetterSqlite3,
  'node:sqlite': async () => loadNodeSqlite(),
};

/** Each driver is loaded once per process: whether it loads does not change. */
const loaded = new Map<SqliteDriverName, Promise<SqliteDriver | DriverFailure>>();

function load(name: SqliteDriverName): Promise<SqliteDriver | DriverFailure> {
  let result = loaded.get(name);
  if (result === undefined) {
    result = loaders[name]();
    loaded.set(name, result);
  }
  return result;
}

/** The driver `choice` (else `KEYCARD_SQLITE_DRIVER`, else `'auto'`) names, loaded. */
export async function loadSqliteDriver(choice?: SqliteDriverChoice): Promise<SqliteDriver> {
  const wanted = choice ?? readEnv();
  if (!CHOICES.includes(wanted)) {
    throw new KeycardError(
      `keycard: the SQLite driver ${JSON.stringify(String(wanted).slice(0, 40))} is not one of ${CHOICES.join(', ')}.`,
    );
  }
  const names: SqliteDriverName[] = wanted === 'auto' ? ['better-sqlite3', 'node:sqlite'] : [wanted];
  const failures: DriverFailure[] = [];
  for (const name of names) {
    const result = await load(name);
    if ('open' in result) return result;
    failures.push(result);
  }
  throw noDriverError(failures, wanted);
}

function readEnv(): SqliteDriverChoice {
  const value = process.env[DRIVER_ENV]?.trim();
  if (value === undefined || value === '') return 'auto';
  if (!CHOICES.includes(value as SqliteDriverChoice)) {
    throw new KeycardError(
      `keycard: ${DRIVER_ENV}=${JSON.stringify(value.slice(0, 40))} is not a SQLite driver. Use one of ${CHOICES.join(', ')}, or unset it.`,
    );
  }
  return value as SqliteDriverChoice;
}

/**
 * "no SQLite driver works on Node v20…: <cause>; <cause>. Fix: <fixes>, or …". The first
 * failure's error is the cause.
 */
function noDriverError(failures: readonly DriverFailure[], wanted: SqliteDriverChoice): KeycardError {
  const subject =
    wanted === 'auto'
      ? `no SQLite driver works in Node ${process.version}`
      : `the SQLite driver ${wanted} (chosen by the driver option or ${DRIVER_ENV}) does not work`;
  const fixes = failures.map((failure) => failure.fix);
  if (wanted !== 'auto') fixes.push(`unset ${DRIVER_ENV} to let keycard choose`);
  fixes.push(
    "use a PostgreSQL ledger (openLedger('postgres://…'))",
    'pass `ledger: false` to record nothing',
  );
  return new KeycardError(
    `keycard: the SQLite ledger cannot open: ${subject}: ${failures.map((failure) => failure.cause).join('; ')}. Fix: ${fixes.join(', or ')}.`,
    { cause: failures[0]?.error },
  );
}
