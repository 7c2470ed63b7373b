/**
 * A lock file shared by the processes of one machine: created with `O_EXCL` (`wx`), holding the
 * holder's pid and a token. A lock whose holder process is gone (killed in its few milliseconds
 * of holding it) is broken by the next process that wants it.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { KeycardError } from '../errors.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/** One attempt: the token when the lock is ours, `undefined` when another live process holds it. */
function tryLock(path: string): string | undefined {
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, token);
    } finally {
      closeSync(fd);
    }
    return token;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
  let held: string;
  try {
    held = readFileSync(path, 'utf8');
  } catch (error) {
    // Released between our open and our read: try again at once.
    if ((error as { code?: unknown }).code === 'ENOENT') return tryLock(path);
    throw error;
  }
  const pid = Number.parseInt(held.split(' ')[0] ?? '', 10);
  // An empty file: its holder is between open and write. Wait.
  if (held === '' || !Number.isInteger(pid) || alive(pid)) return undefined;
  breakStale(path, held);
  return undefined;
}

/**
 * Removes a lock whose holder died. Renamed away first and read again, so that a lock another
 * process took in the meantime is put back rather than removed.
 */
function breakStale(path: string, held: string): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // Someone else broke it.
  }
  try {
    if (readFileSync(aside, 'utf8') !== held) linkSync(aside, path);
  } catch {
    // EEXIST: a newer lock is in place; ours was the stale one after all.
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // Gone already.
    }
  }
}

/**
 * Runs `body` (synchronous) while holding the lock at `path`, waiting up to `timeoutMs` for it.
 */
export async function withFileLock<T>(path: string, timeoutMs: number, body: () => T): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  for (;;) {
    const token = tryLock(path);
    if (token !== undefined) {
      try {
        return body();
      } finally {
        try {
          if (readFileSync(path, 'utf8') === token) unlinkSync(path);
        } catch {
          // Broken by another process: nothing to release.
        }
      }
    }
    if (Date.now() >= deadline) {
      throw new KeycardError(
        `keycard: the ledger lock ${path} was held by another process for more than ${timeoutMs} ms.`,
      );
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 25);
  }
}
