/**
 * Why a SQLite ledger file does not open, in words a user can act on: a read-only file or
 * directory, a full disk, a file that is not a SQLite database. SQLite's own message is often
 * only "unable to open database file", so the file system is asked too.
 * @module
 */
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { firstLine } from './sqlite-driver.js';

const ELSEWHERE = 'or use another path (KEYCARD_HOME for the default ledger)';

/** "the disk is full (…). Free some space, or …" */
export function describeOpenError(path: string, error: unknown): string {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const detail = firstLine(error);
  if (/SQLITE_NOTADB|not a database|malformed|SQLITE_CORRUPT/i.test(`${code} ${message}`)) {
    return `the file is not a SQLite database or is damaged (${detail}). Move it away: keycard creates a new one`;
  }
  const folder = path === ':memory:' ? undefined : existingFolder(path);
  if (
    ['EACCES', 'EPERM', 'EROFS', 'SQLITE_READONLY'].includes(code) ||
    /readonly|read-only/i.test(message) ||
    (folder !== undefined && (!writable(folder) || (existsSync(path) && !writable(path))))
  ) {
    return `the file or its folder is read-only (${detail}). Make it writable, ${ELSEWHERE}`;
  }
  if (
    code === 'ENOSPC' ||
    code === 'SQLITE_FULL' ||
    /disk is full/i.test(message) ||
    (folder !== undefined && full(folder))
  ) {
    return `the disk is full (${detail}). Free some space, ${ELSEWHERE}`;
  }
  return detail;
}

/** The nearest folder of `path` that exists. */
function existingFolder(path: string): string | undefined {
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    if (existsSync(folder)) return folder;
    if (dirname(folder) === folder) return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function full(folder: string): boolean {
  try {
    return statfsSync(folder).bavail === 0;
  } catch {
    return false;
  }
}
