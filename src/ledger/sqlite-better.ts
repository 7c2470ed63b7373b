/**
 * The better-sqlite3 driver: a native module, the fastest, and the only one on Node 20. It can
 * fail to load: a binding never built (`npm install --ignore-scripts`, no prebuilt binary for
 * the platform), or built for another Node.js (an upgrade since the install).
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { importOptional } from '../import-optional.js';
import { type DriverFailure, firstLine, type SqliteDatabase, type SqliteDriver } from './sqlite-driver.js';

const REBUILD = 'run `npm rebuild better-sqlite3` (with install scripts allowed)';

/** Loads better-sqlite3 and its native binding (by opening an in-memory database). */
export async function loadBetterSqlite3(): Promise<SqliteDriver | DriverFailure> {
  let Database: typeof BetterSqlite3;
  try {
    Database = (await importOptional<{ default: typeof BetterSqlite3 }>('better-sqlite3')).default;
    // The binding loads at the first open, not at import.
    new Database(':memory:').close();
  } catch (error) {
    return explain(error);
  }
  return {
    name: 'better-sqlite3',
    open(path, { busyTimeoutMs }) {
      return wrap(new Database(path, { timeout: busyTimeoutMs }));
    },
  };
}

function wrap(db: BetterSqlite3.Database): SqliteDatabase {
  return {
    driver: 'better-sqlite3',
    exec: (sql) => {
      db.exec(sql);
    },
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        run: (...params) => ({ changes: statement.run(...params).changes }),
        get: (...params) => statement.get(...params) as Record<string, unknown> | undefined,
        all: (...params) => statement.all(...params) as Record<string, unknown>[],
      };
    },
    immediate: (body) => db.transaction(body).immediate(),
    close: () => {
      db.close();
    },
  };
}

/** Why better-sqlite3 did not load, from the error it threw. */
function explain(error: unknown): DriverFailure {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const failure = (cause: string, fix: string): DriverFailure => ({
    name: 'better-sqlite3',
    cause,
    fix,
    error,
  });
  if (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    message.includes('better-sqlite3')
  ) {
    return failure('better-sqlite3 is not installed', 'run `npm install better-sqlite3`');
  }
  if (message.includes('Could not locate the bindings file')) {
    return failure(
      "better-sqlite3's native binding was not built (installed with --ignore-scripts, or no prebuilt binary for this platform?)",
      REBUILD,
    );
  }
  const versions = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(message);
  if (versions !== null) {
    return failure(
      `better-sqlite3's native binding was built for another Node.js (NODE_MODULE_VERSION ${versions[1]}; Node ${process.version} needs ${versions[2]})`,
      REBUILD,
    );
  }
  if (code === 'ERR_DLOPEN_FAILED') {
    return failure(`better-sqlite3's native binding does not load (${firstLine(error)})`, REBUILD);
  }
  return failure(`better-sqlite3 does not load (${firstLine(error)})`, REBUILD);
}
