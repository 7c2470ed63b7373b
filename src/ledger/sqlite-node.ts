/**
 * The `node:sqlite` driver: Node's built-in SQLite (`DatabaseSync`), in Node 22.13 and later
 * (22.5 with `--experimental-sqlite`). Nothing to install or build. Some versions print an
 * ExperimentalWarning when it loads: that one warning is not shown; every other warning is.
 * @module
 */
import { type DriverFailure, firstLine, type SqliteDatabase, type SqliteDriver } from './sqlite-driver.js';

/** The part of `node:sqlite` keycard uses (@types/node 20 does not describe it). */
interface NodeSqlite {
  DatabaseSync: new (
    path: string,
  ) => {
    exec(sql: string): void;
    prepare(sql: string): {
      run(...params: unknown[]): { changes: number | bigint };
      get(...params: unknown[]): unknown;
      all(...params: unknown[]): unknown[];
    };
    close(): void;
  };
}

/** Loads `node:sqlite`, when this Node has it. */
export function loadNodeSqlite(): SqliteDriver | DriverFailure {
  let sqlite: NodeSqlite | undefined;
  try {
    sqlite = withoutSqliteWarning(() => process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined);
  } catch (error) {
    return failure(`node:sqlite does not load in Node ${process.version} (${firstLine(error)})`, error);
  }
  if (sqlite?.DatabaseSync === undefined) {
    return failure(
      `node:sqlite is not in Node ${process.version} (it is in Node 22.13 and later)`,
      new Error('node:sqlite is not a built-in module of this Node.js'),
    );
  }
  const { DatabaseSync } = sqlite;
  return {
    name: 'node:sqlite',
    open(path, { busyTimeoutMs }) {
      const db = new DatabaseSync(path);
      try {
        db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
      } catch (error) {
        db.close();
        throw error;
      }
      return wrap(db);
    },
  };
}

function wrap(db: InstanceType<NodeSqlite['DatabaseSync']>): SqliteDatabase {
  return {
    driver: 'node:sqlite',
    exec: (sql) => db.exec(sql),
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        run: (...params) => ({ changes: Number(statement.run(...params).changes) }),
        get: (...params) => statement.get(...params) as Record<string, unknown> | undefined,
        all: (...params) => statement.all(...params) as Record<string, unknown>[],
      };
    },
    immediate(body) {
      db.exec('BEGIN IMMEDIATE');
      let result: ReturnType<typeof body>;
      try {
        result = body();
        db.exec('COMMIT');
      } catch (error) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // SQLite already rolled back (a failed COMMIT can do so): nothing left to undo.
        }
        throw error;
      }
      return result;
    },
    close: () => db.close(),
  };
}

function failure(cause: string, error: unknown): DriverFailure {
  return { name: 'node:sqlite', cause, fix: 'use Node 22.13 or later', error };
}

/**
 * @internal Runs `load` with the "SQLite is an experimental feature" warning left out; any other
 * warning emitted meanwhile goes through.
 */
export function withoutSqliteWarning<T>(load: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const first = rest[0];
    const type =
      typeof first === 'string'
        ? first
        : typeof first === 'object' && first !== null
          ? (first as { type?: unknown }).type
          : warning instanceof Error
            ? warning.name
            : undefined;
    const text = warning instanceof Error ? warning.message : String(warning);
    if (type === 'ExperimentalWarning' && text.startsWith('SQLite is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}
