/**
 * keycard's home directory: where the default ledger and keystore live.
 * @module
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `$KEYCARD_HOME` when set (relative paths from the working directory), else `~/.keycard`. Read on
 * every call, so a test or the demo can point it elsewhere.
 */
export function keycardHome(): string {
  const home = keycardHomePath();
  warnIfShared(home);
  return home;
}

/**
 * {@link keycardHome}'s path, without its check of who may read it: for what only looks there
 * for an optional file (`prices.json`), and keeps nothing there.
 */
export function keycardHomePath(): string {
  const configured = process.env['KEYCARD_HOME']?.trim();
  return configured !== undefined && configured !== ''
    ? resolve(expandHome(configured))
    : join(homedir(), '.keycard');
}

const checked = new Set<string>();

/**
 * One warning per process and directory when keycard's home may be read or entered by group or
 * others: the ledger and the keystore live there.
 */
function warnIfShared(home: string): void {
  if (checked.has(home) || process.platform === 'win32') return;
  checked.add(home);
  let mode: number | undefined;
  try {
    mode = statSync(home, { throwIfNoEntry: false })?.mode;
  } catch {
    // A home this process may not look at (a parent it cannot search, Node's permission model):
    // nothing to warn about here; whatever uses it says what failed.
    return;
  }
  if (mode === undefined || (mode & 0o077) === 0) return;
  process.emitWarning(
    `keycard: ${home} (KEYCARD_HOME) can be read by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); the ledger and keystore live there. Run: chmod 700 ${home}`,
    { code: 'KEYCARD_HOME_SHARED' },
  );
}

/** `~` and `~/…` → the home directory. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}
