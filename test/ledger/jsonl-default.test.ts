/**
 * The default ledger where no SQLite driver loads (`npm install --ignore-scripts` left
 * better-sqlite3 without its native binding, and Node 20 has no node:sqlite): real OpenAI SDK
 * calls against the simulator are recorded to `$KEYCARD_HOME/ledger.jsonl`, by several processes
 * at once, and `keycard usage`, in a process of its own under the same conditions, shows them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openJsonlLedger } from '../../src/ledger/jsonl.js';
import { runChild } from '../helpers/child.js';
import { keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';
import { usageEvent } from '../helpers/ledgers.js';

const CLIENT = join(import.meta.dirname, '../helpers/default-ledger-client.mjs');
const UNBUILT = join(import.meta.dirname, '../helpers/unbuilt-sqlite.mjs');
const hasNodeSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;

const homes: string[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

describe.skipIf(hasNodeSqlite)('no SQLite driver: the default ledger is ledger.jsonl', () => {
  it('records real SDK calls of three processes at once, and `keycard usage --json` shows them', async () => {
    const home = await mkdtemp(join(tmpdir(), 'keycard-jsonl-default-'));
    homes.push(home);
    const env = {
      KEYCARD_HOME: home,
      KEYCARD_TEST_KEY: testKey('openai', 'jsonl-default'),
      KEYCARD_SQLITE_DRIVER: undefined,
      NODE_OPTIONS: undefined,
    };
    const runs = await Promise.all(
      [1, 2, 3].map(() => runChild(process.execPath, ['--import', UNBUILT, CLIENT], { env })),
    );
    for (const { code, stdout, stderr } of runs) {
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout).replies).toHaveLength(2);
    }
    const usage = await keycard(['usage', '--by', 'provider', '--json'], {
      env: { ...env, NODE_OPTIONS: `--import ${UNBUILT}` },
    });
    expect(usage.stderr).toBe('');
    expect(usage.code).toBe(0);
    const rows = JSON.parse(usage.stdout) as Array<{ provider: string; requests: number; errors: number }>;
    expect(rows).toEqual([expect.objectContaining({ provider: 'openai', requests: 6, errors: 0 })]);
  }, 60_000);
});

describe('SQLite serves, and a ledger.jsonl is beside ledger.db', () => {
  it('keycard usage reads ledger.db, says once where ledger.jsonl is and how to read it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'keycard-jsonl-split-'));
    homes.push(home);
    const file = join(home, 'ledger.jsonl');
    const seeded = await openJsonlLedger(file);
    seeded.record(usageEvent({ provider: 'anthropic' }));
    await seeded.close();
    const env = { KEYCARD_HOME: home, KEYCARD_SQLITE_DRIVER: undefined, NODE_OPTIONS: undefined };
    const usage = await keycard(['usage', '--by', 'provider', '--json'], { env });
    expect(usage.code).toBe(0);
    expect(JSON.parse(usage.stdout)).toEqual([]);
    const lines = usage.stderr.split('\n').filter((line) => line.includes('[KEYCARD_LEDGER_SPLIT]'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`keycard usage --ledger jsonl:${file}`);
    const direct = await keycard(['usage', '--by', 'provider', '--json', '--ledger', `jsonl:${file}`], {
      env,
    });
    expect(direct.stderr).toBe('');
    expect(JSON.parse(direct.stdout)).toEqual([
      expect.objectContaining({ provider: 'anthropic', requests: 1 }),
    ]);
  });
});
