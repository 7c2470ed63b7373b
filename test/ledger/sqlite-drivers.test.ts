/**
 * The SQLite ledger's two drivers: better-sqlite3 (this process, Node 20) and node:sqlite (a
 * Node 22 child). One file format: the same schema and user_version whichever creates the file;
 * processes on both drivers writing one file at once lose nothing and read each other's events.
 * On a Node whose ABI the installed better-sqlite3 was not built for, `auto` takes node:sqlite
 * without a word, and a forced better-sqlite3 says why it cannot load.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteLedger, type SqliteLedger } from '../../src/ledger/sqlite.js';
import { withoutSqliteWarning } from '../../src/ledger/sqlite-node.js';
import { runChild } from '../helpers/child.js';
import { testKey } from '../helpers/keys.js';
import { type Node22, node22 } from '../helpers/node22.js';

const run = promisify(execFile);
const helpers = join(import.meta.dirname, '../helpers');
const WRITER = join(helpers, 'ledger-writer.mjs');
const READER = join(helpers, 'ledger-reader.mjs');
const CLIENT = join(helpers, 'default-ledger-client.mjs');

const folders: string[] = [];
const ledgers: SqliteLedger[] = [];
afterEach(async () => {
  for (const ledger of ledgers.splice(0)) await ledger.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function folder(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'keycard-drivers-'));
  folders.push(path);
  return path;
}

const driverEnv = (driver: string | undefined) => ({
  ...process.env,
  KEYCARD_SQLITE_DRIVER: driver,
  NODE_OPTIONS: undefined,
});

/** What a file's schema is: its tables, indexes and their SQL, its version and journal mode. */
function schemaOf(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      objects: db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all(),
      userVersion: db.pragma('user_version', { simple: true }),
      journalMode: db.pragma('journal_mode', { simple: true }),
      integrity: db.pragma('integrity_check', { simple: true }),
    };
  } finally {
    db.close();
  }
}

describe('the node:sqlite ExperimentalWarning', () => {
  it('is the only warning left out while node:sqlite loads; the others go through', async () => {
    const seen: string[] = [];
    const listener = (warning: Error) => seen.push(`${warning.name}: ${warning.message}`);
    const emitWarning = process.emitWarning;
    const experimental = 'SQLite is an experimental feature and might change at any time';
    process.on('warning', listener);
    try {
      withoutSqliteWarning(() => {
        process.emitWarning(experimental, 'ExperimentalWarning');
        process.emitWarning('Something else is an experimental feature', 'ExperimentalWarning');
        process.emitWarning('SQLite is an experimental feature, says a deprecation', {
          type: 'DeprecationWarning',
        });
      });
      expect(process.emitWarning).toBe(emitWarning);
      // Once loaded, the filter is gone.
      process.emitWarning(experimental, 'ExperimentalWarning');
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(seen).toEqual([
      'ExperimentalWarning: Something else is an experimental feature',
      'DeprecationWarning: SQLite is an experimental feature, says a deprecation',
      `ExperimentalWarning: ${experimental}`,
    ]);
  });
});

describe('better-sqlite3 and node:sqlite on one file', () => {
  let node: Node22;
  beforeAll(async () => {
    node = await node22();
  }, 240_000);

  it('have the same schema and user_version whichever driver creates the file', async (context) => {
    if ('skip' in node) return context.skip(node.skip);
    const byNode = join(await folder(), 'ledger.db');
    const { stdout } = await run(node.path, [READER, `sqlite:${byNode}`], { env: driverEnv('node:sqlite') });
    expect(JSON.parse(stdout)).toEqual({ driver: 'node:sqlite', workflows: [] });
    const byBetter = join(await folder(), 'ledger.db');
    const ledger = await openSqliteLedger(byBetter, { driver: 'better-sqlite3' });
    expect(ledger.driver).toBe('better-sqlite3');
    await ledger.close();
    const schema = schemaOf(byBetter);
    expect(schema.userVersion).toBeGreaterThan(0);
    expect(schema.journalMode).toBe('wal');
    expect(schema.objects.length).toBeGreaterThan(5);
    expect(schemaOf(byNode)).toEqual(schema);
  });

  it('lose nothing when both write one file at once, and read each other’s events', async (context) => {
    if ('skip' in node) return context.skip(node.skip);
    const path = join(await folder(), 'ledger.db');
    const url = `sqlite:${path}`;
    const writers = [
      [process.execPath, 'better-sqlite3', '1'],
      [node.path, 'node:sqlite', '2'],
      [process.execPath, 'better-sqlite3', '3'],
      [node.path, 'node:sqlite', '4'],
    ] as const;
    await Promise.all(
      writers.map(([binary, driver, id]) =>
        run(binary, [WRITER, url, 'close', '1500', id], { env: driverEnv(driver), timeout: 60_000 }),
      ),
    );
    const expected = [
      ['w1', 1500],
      ['w2', 1500],
      ['w3', 1500],
      ['w4', 1500],
    ];
    // node:sqlite reads what better-sqlite3 wrote, and the other way round.
    const read = await run(node.path, [READER, url], { env: driverEnv('node:sqlite') });
    expect(JSON.parse(read.stdout)).toEqual({ driver: 'node:sqlite', workflows: expected });
    const ledger = await openSqliteLedger(path, { driver: 'better-sqlite3' });
    ledgers.push(ledger);
    const rows = await ledger.totals({ by: ['workflow'] });
    expect(rows.map((row) => [row.workflow, row.requests]).sort()).toEqual(expected);
    const [all] = await ledger.totals();
    expect(all?.costUsd).toBe(0.006);
    for await (const event of ledger.events({ where: { workflow: 'w2' } })) {
      expect(event).toMatchObject({
        provider: 'openai',
        model: 'gpt-4o-mini',
        keyFingerprint: 'writer200000',
        inputTokens: 10,
        outputTokens: 5,
        costUsd: 0.000001,
        stream: false,
        status: 200,
      });
      break;
    }
    expect(schemaOf(path).integrity).toBe('ok');
  }, 90_000);

  it('on a Node the installed better-sqlite3 was not built for: auto takes node:sqlite, with no warning', async (context) => {
    if ('skip' in node) return context.skip(node.skip);
    if (node.path === process.execPath) return context.skip('the tests run on Node 22: better-sqlite3 loads');
    const home = await folder();
    const { code, stdout, stderr } = await runChild(node.path, [CLIENT], {
      env: { ...driverEnv(undefined), KEYCARD_HOME: home, KEYCARD_TEST_KEY: testKey('openai', 'drivers') },
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      replies: ['Simulated reply: hello 0', 'Simulated reply: hello 1'],
      ledger: { driver: 'node:sqlite', requests: 2 },
    });
    // And this process reads the calls the Node 22 one recorded.
    const ledger = await openSqliteLedger(join(home, 'ledger.db'));
    ledgers.push(ledger);
    expect((await ledger.totals())[0]?.requests).toBe(2);
  });

  it('a forced better-sqlite3 that was built for another Node says so, and how to fix it', async (context) => {
    if ('skip' in node) return context.skip(node.skip);
    if (node.path === process.execPath) return context.skip('the tests run on Node 22: better-sqlite3 loads');
    const path = join(await folder(), 'ledger.db');
    const { code, stderr } = await runChild(node.path, [READER, `sqlite:${path}`], {
      env: driverEnv('better-sqlite3'),
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(
      'the SQLite driver better-sqlite3 (chosen by the driver option or KEYCARD_SQLITE_DRIVER)',
    );
    expect(stderr).toMatch(
      /native binding was built for another Node\.js \(NODE_MODULE_VERSION \d+; Node v22\.\d+\.\d+ needs \d+\)/,
    );
    expect(stderr).toContain('npm rebuild better-sqlite3');
    expect(stderr).toContain('unset KEYCARD_SQLITE_DRIVER');
  });
});

describe('choosing the driver', () => {
  it.skipIf(process.getBuiltinModule?.('node:sqlite') !== undefined)(
    'a forced node:sqlite on a Node without it says which Node has it',
    async () => {
      const path = join(await folder(), 'ledger.db');
      await expect(openSqliteLedger(path, { driver: 'node:sqlite' })).rejects.toThrow(
        /the SQLite driver node:sqlite .* does not work: node:sqlite is not in Node v\d+.* \(it is in Node 22\.13 and later\)\. Fix: use Node 22\.13 or later/,
      );
    },
  );

  it('an unknown KEYCARD_SQLITE_DRIVER is an error that lists the choices', async () => {
    const path = join(await folder(), 'ledger.db');
    const { code, stderr } = await runChild(process.execPath, [READER, `sqlite:${path}`], {
      env: driverEnv('sqlite3'),
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(
      'KEYCARD_SQLITE_DRIVER="sqlite3" is not a SQLite driver. Use one of auto, better-sqlite3, node:sqlite',
    );
  });
});
