/**
 * keycard's home directory: where the default ledger and keystore live.
 * @module
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `$KEYCARD_HOME` when set (relative paths from the working directory), else `~/.keycard`. Read on
 * every call, so a test or the demo can point it elsewhere.
 */
export function keycardHome(): string {
  const configured = process.env['KEYCARD_HOME']?.trim();
  if (configured !== undefined && configured !== '') return resolve(expandHome(configured));
  return join(homedir(), '.keycard');
}

/** `~` and `~/…` → the home directory. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}
