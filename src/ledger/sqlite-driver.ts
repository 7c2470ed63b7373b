/**
 * The few calls the SQLite ledger makes of a SQLite library, so that any of them can serve it:
 * better-sqlite3 (`sqlite-better.ts`) or Node's built-in `node:sqlite` (`sqlite-node.ts`). Every
 * driver writes the same file format: a ledger file may be shared by processes on different
 * drivers.
 * @module
 */

/** The SQLite libraries the ledger can use. */
export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

/**
 * Which SQLite library the ledger uses: `'auto'` takes better-sqlite3 when its native binding
 * loads (it is faster, and the only one on Node 20), else `node:sqlite` (Node 22.13 and later).
 */
export type SqliteDriverChoice = SqliteDriverName | 'auto';

/** The environment variable that chooses the driver when no `driver` option is given. */
export const DRIVER_ENV = 'KEYCARD_SQLITE_DRIVER';

/** A prepared statement; parameters are positional (`?`). */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}

/** An open database file. */
export interface SqliteDatabase {
  readonly driver: SqliteDriverName;
  /** Runs one or more statements that return nothing. */
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /**
   * Runs `body` in `BEGIN IMMEDIATE … COMMIT` (the write lock taken at once, waiting up to the
   * busy timeout for other processes), rolled back if it throws. Not nestable.
   */
  immediate<T>(body: () => T): T;
  close(): void;
}

/** A SQLite library that loaded in this process. */
export interface SqliteDriver {
  readonly name: SqliteDriverName;
  /** Opens (creating if needed) the file at `path`, or `:memory:`. */
  open(path: string, options: { busyTimeoutMs: number }): SqliteDatabase;
}

/** Why a driver could not load, in words, and what fixes it. */
export interface DriverFailure {
  name: SqliteDriverName;
  /** One short sentence: "better-sqlite3's native binding was not built (…)". */
  cause: string;
  /** What fixes it, e.g. "run `npm rebuild better-sqlite3`". */
  fix: string;
  /** The error the library threw. */
  error: unknown;
}

/** The first line of an error's message, at most 200 characters. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
