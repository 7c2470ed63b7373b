/**
 * A Node 22 binary for tests that need `node:sqlite` (the tests themselves run on the project's
 * Node, 20 or later). Where the running Node is 22.13 or later it is used; else the `node@22`
 * package from the npm registry is installed once into a cache folder under the system's
 * temporary folder, shared by every test file and run. Offline, the tests that need it are
 * skipped with the reason.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const CACHE = join(tmpdir(), 'keycard-test-node22');
const BINARY = join(CACHE, 'node_modules', 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node');

/** The path of a Node ≥22.13 binary, or why there is none. */
export type Node22 = { path: string; version: string } | { skip: string };

let found: Promise<Node22> | undefined;

export function node22(): Promise<Node22> {
  found ??= locate();
  return found;
}

async function locate(): Promise<Node22> {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 13))
    return { path: process.execPath, version: process.version };
  if (!existsSync(BINARY)) {
    try {
      await install();
    } catch (error) {
      return {
        skip: `no Node 22 binary: \`npm install node@22\` failed (offline?): ${String((error as Error).message).split('\n')[0]}`,
      };
    }
  }
  try {
    const { stdout } = await run(BINARY, ['--version']);
    return { path: BINARY, version: stdout.trim() };
  } catch (error) {
    return {
      skip: `the Node 22 binary at ${BINARY} does not run: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}

/** Installs into a fresh folder, then renames it into place: concurrent test files do not collide. */
async function install(): Promise<void> {
  mkdirSync(tmpdir(), { recursive: true });
  const folder = await mkdtemp(join(tmpdir(), 'keycard-test-node22-'));
  try {
    await run(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', folder, 'node@22'],
      { timeout: 180_000, cwd: folder },
    );
    if (!existsSync(join(folder, 'node_modules', 'node', 'bin'))) {
      throw new Error('npm installed node@22 without its binary (install scripts disabled?)');
    }
    try {
      renameSync(folder, CACHE);
    } catch (error) {
      // Another test file got there first.
      if (!existsSync(BINARY)) throw error;
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
