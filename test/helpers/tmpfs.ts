/**
 * A file system that is read-only or full, for real: a command runs in a mount namespace of its
 * own (`unshare --mount`; with `--user --map-root-user` where only user namespaces are allowed)
 * where a folder is a small tmpfs, mounted read-only or filled to the last block. Root cannot
 * write to either (chmod would not stop root). The mount ends with the command. Where mounting is
 * not permitted, the tests are skipped with the reason.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ChildResult, runChild } from './child.js';

const run = promisify(execFile);

const SCRIPT = `set -e
dir="$1"; size="$2"; state="$3"; seed="$4"; shift 4
mount -t tmpfs -o "size=$size" keycard-test "$dir"
if [ -n "$seed" ]; then cp "$seed" "$dir/ledger.db"; fi
case "$state" in
  read-only) mount -o remount,ro "$dir" ;;
  full) dd if=/dev/zero of="$dir/filler" bs=4096 2>/dev/null || true ;;
esac
exec "$@"`;

export type Unshare = { prefix: string[] } | { skip: string };

let found: Promise<Unshare> | undefined;

/** How to run a command in a mount namespace of its own here, or why it cannot be done. */
export function unshare(): Promise<Unshare> {
  found ??= (async () => {
    const folder = await mkdtemp(join(tmpdir(), 'keycard-tmpfs-probe-'));
    const reasons: string[] = [];
    try {
      for (const prefix of [
        ['unshare', '--mount'],
        ['unshare', '--user', '--map-root-user', '--mount'],
      ]) {
        try {
          await run(prefix[0] as string, [
            ...prefix.slice(1),
            'sh',
            '-c',
            SCRIPT,
            'sh',
            folder,
            '64k',
            'full',
            '',
            'true',
          ]);
          return { prefix };
        } catch (error) {
          reasons.push(`${prefix.join(' ')}: ${String((error as Error).message).split('\n')[0]}`);
        }
      }
      return { skip: `cannot mount a tmpfs here (${reasons.join('; ')})` };
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  })();
  return found;
}

/**
 * Runs `command args` with `folder` a tmpfs of `size` (`'256k'`) that is `read-only` or `full`;
 * `seed`, a file copied in as `ledger.db` first.
 */
export function runOnTmpfs(
  prefix: readonly string[],
  tmpfs: { folder: string; size: string; state: 'read-only' | 'full'; seed?: string },
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return runChild(
    prefix[0] as string,
    [
      ...prefix.slice(1),
      'sh',
      '-c',
      SCRIPT,
      'sh',
      tmpfs.folder,
      tmpfs.size,
      tmpfs.state,
      tmpfs.seed ?? '',
      command,
      ...args,
    ],
    options,
  );
}
