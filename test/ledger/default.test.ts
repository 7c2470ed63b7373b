/**
 * The default ledger when it cannot open: no SQLite driver (better-sqlite3 installed without its
 * native binding, on a Node without node:sqlite), a read-only KEYCARD_HOME, a full disk, a file
 * that is not a database. Each time, in a process of its own: real OpenAI SDK calls against the
 * simulator succeed, one warning names the cause and the fix, and a client with a budget fails
 * at createClient saying why.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { runChild } from '../helpers/child.js';
import { testKey } from '../helpers/keys.js';
import { runOnTmpfs, type Unshare, unshare } from '../helpers/tmpfs.js';

const CLIENT = join(import.meta.dirname, '../helpers/default-ledger-client.mjs');
const UNBUILT = join(import.meta.dirname, '../helpers/unbuilt-sqlite.mjs');
const WARNING = '[KEYCARD_LEDGER_UNAVAILABLE]';

interface ClientOutput {
  replies: string[];
  ledger: { driver?: string; path?: string; requests: number } | { error: string };
  warnings: string[];
}

const homes: string[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

async function home(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'keycard-outage-'));
  homes.push(folder);
  return folder;
}

/** The runs of `[KEYCARD_LEDGER_UNAVAILABLE]` in stderr. */
function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes(WARNING));
}

function expectCallsWorked(stdout: string): ClientOutput {
  const output = JSON.parse(stdout) as ClientOutput;
  expect(output.replies).toEqual(['Simulated reply: hello 0', 'Simulated reply: hello 1']);
  return output;
}

const env = (keycardHome: string) => ({
  KEYCARD_HOME: keycardHome,
  KEYCARD_TEST_KEY: testKey('openai', 'ledger-outage'),
  KEYCARD_SQLITE_DRIVER: undefined,
  NODE_OPTIONS: undefined,
});

// The simulation needs a Node without node:sqlite: on a later one, node:sqlite serves (see
// sqlite-drivers.test.ts).
const hasNodeSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;

describe.skipIf(hasNodeSqlite)(
  'no SQLite driver: better-sqlite3 without its native binding, no node:sqlite',
  () => {
    it('calls succeed and are recorded to ledger.jsonl; one warning names the cause and the fix', async () => {
      const folder = await home();
      const { code, stdout, stderr } = await runChild(process.execPath, ['--import', UNBUILT, CLIENT], {
        env: env(folder),
      });
      expect(stderr, stdout).not.toContain('Error:');
      expect(code).toBe(0);
      const output = expectCallsWorked(stdout);
      expect(output.ledger).toEqual({ path: join(folder, 'ledger.jsonl'), requests: 2 });
      const lines = warnings(stderr);
      expect(lines).toHaveLength(1);
      const [warning] = lines;
      expect(warning).toContain("better-sqlite3's native binding was not built");
      expect(warning).toContain('--ignore-scripts');
      expect(warning).toContain('node:sqlite is not in Node');
      expect(warning).toContain(`Usage is recorded to ${join(folder, 'ledger.jsonl')} instead`);
      expect(warning).toContain('npm rebuild better-sqlite3');
      expect(warning).toContain('Node 22.13');
      expect(warning).not.toContain('ledger: false');
      expect((await stat(join(folder, 'ledger.jsonl'))).mode & 0o777).toBe(0o600);
    });

    it("warns through the client's logger when there is one, and not on stderr", async () => {
      const { code, stdout, stderr } = await runChild(
        process.execPath,
        ['--import', UNBUILT, CLIENT, 'logger'],
        { env: env(await home()) },
      );
      expect(code).toBe(0);
      const output = expectCallsWorked(stdout);
      expect(output.warnings).toHaveLength(1);
      expect(output.warnings[0]).toContain("better-sqlite3's native binding was not built");
      expect(output.warnings[0]).toContain('ledger.jsonl');
      expect(warnings(stderr)).toEqual([]);
    });

    it('a client with a budget works: the budget is kept in ledger.jsonl', async () => {
      const { code, stdout } = await runChild(process.execPath, ['--import', UNBUILT, CLIENT, 'budget'], {
        env: env(await home()),
      });
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({});
    });

    it('KEYCARD_SQLITE_DRIVER names a driver that does not load: recorded to ledger.jsonl, the warning says so', async () => {
      const folder = await home();
      const { code, stdout, stderr } = await runChild(process.execPath, [CLIENT], {
        env: { ...env(folder), KEYCARD_SQLITE_DRIVER: 'node:sqlite' },
      });
      expect(code).toBe(0);
      expect(expectCallsWorked(stdout).ledger).toEqual({ path: join(folder, 'ledger.jsonl'), requests: 2 });
      const lines = warnings(stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        'the SQLite driver node:sqlite (chosen by the driver option or KEYCARD_SQLITE_DRIVER) does not work',
      );
      expect(lines[0]).toContain(
        'For the SQLite ledger: use Node 22.13 or later, or unset KEYCARD_SQLITE_DRIVER',
      );
      expect(lines[0]).not.toContain('keycard: keycard:');
    });

    it('KEYCARD_SQLITE_DRIVER is not a driver: recorded to ledger.jsonl, one clean warning', async () => {
      const folder = await home();
      const { code, stdout, stderr } = await runChild(process.execPath, [CLIENT], {
        env: { ...env(folder), KEYCARD_SQLITE_DRIVER: 'foo' },
      });
      expect(code).toBe(0);
      expect(expectCallsWorked(stdout).ledger).toEqual({ path: join(folder, 'ledger.jsonl'), requests: 2 });
      const lines = warnings(stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('Warning: keycard: KEYCARD_SQLITE_DRIVER="foo" is not a SQLite driver');
      expect(lines[0]).not.toContain('For the SQLite ledger: .');
      expect(lines[0]?.endsWith('(append-only; `keycard usage` reads it).')).toBe(true);
    });

    it('neither SQLite nor the file: calls succeed, one warning gives both reasons', async () => {
      const folder = await home();
      await mkdir(join(folder, 'ledger.jsonl'));
      const { code, stdout, stderr } = await runChild(process.execPath, ['--import', UNBUILT, CLIENT], {
        env: env(folder),
      });
      expect(code).toBe(0);
      const output = expectCallsWorked(stdout);
      expect('error' in output.ledger).toBe(true);
      const lines = warnings(stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('usage is not recorded in this process');
      expect(lines[0]).toContain('npm rebuild better-sqlite3');
      expect(lines[0]).toContain(
        `the usage file ${join(folder, 'ledger.jsonl')} cannot be opened: it is a folder`,
      );
    });
  },
);

describe('a KEYCARD_HOME the ledger cannot be written in', () => {
  let mount: Unshare;
  beforeAll(async () => {
    mount = await unshare();
  });

  it.for([
    ['read-only, empty', 'read-only', false],
    ['read-only, with a ledger in it', 'read-only', true],
    ['on a full disk', 'full', false],
  ] as const)('%s: calls succeed, one warning says why', async ([, state, seeded], context) => {
    if ('skip' in mount) return context.skip(mount.skip);
    const folder = await home();
    let seed: string | undefined;
    if (seeded) {
      const elsewhere = await home();
      seed = join(elsewhere, 'ledger.db');
      const ledger = await openSqliteLedger(seed);
      await ledger.close();
    }
    const { code, stdout, stderr } = await runOnTmpfs(
      mount.prefix,
      { folder, size: '256k', state, ...(seed === undefined ? {} : { seed }) },
      process.execPath,
      [CLIENT],
      { env: env(folder) },
    );
    expect(stderr, stdout).not.toContain('Error:');
    expect(code).toBe(0);
    expectCallsWorked(stdout);
    const lines = warnings(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the SQLite ledger at ${join(folder, 'ledger.db')} cannot be opened`);
    expect(lines[0]).toContain(state === 'full' ? 'the disk is full' : 'read-only');
  });
});

it('a ledger.db that is not a database: calls succeed, one warning says so', async () => {
  const folder = await home();
  await writeFile(join(folder, 'ledger.db'), 'not a database, whatever the name says\n'.repeat(200));
  const { code, stdout, stderr } = await runChild(process.execPath, [CLIENT], { env: env(folder) });
  expect(code).toBe(0);
  expectCallsWorked(stdout);
  const lines = warnings(stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('not a SQLite database or is damaged');
});
