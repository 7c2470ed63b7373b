/**
 * The command where no SQLite driver works (better-sqlite3 installed without its native binding,
 * on a Node without node:sqlite). `keycard demo` says SQLite is unavailable and why, records to
 * the append-only ledger.jsonl as the default ledger does, shows its usage table, and ends (it
 * used to hang, its simulators still listening). `keycard usage` reads the default ledger's fallback, ledger.jsonl
 * (test/ledger/jsonl-default.test.ts records calls there and reads them back).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';

const UNBUILT = pathToFileURL(join(import.meta.dirname, '../helpers/unbuilt-sqlite.mjs')).href;
// On a Node with node:sqlite the ledger opens all the same: nothing to test here.
const hasNodeSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;
const NO_DRIVER = { NODE_OPTIONS: `--import=${UNBUILT}`, KEYCARD_SQLITE_DRIVER: undefined };

it.skipIf(hasNodeSqlite)(
  'keycard demo finishes, exit 0, saying why there is no ledger',
  async () => {
    const { code, stdout, stderr } = await keycard(['demo'], {
      env: NO_DRIVER,
      timeoutMs: 25_000,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('SQLite is unavailable here.');
    expect(stdout).toContain('ledger.jsonl');
    expect(stdout).toContain("better-sqlite3's native binding was not built");
    expect(stdout).toContain('npm rebuild better-sqlite3');
    expect(stdout).toContain('OpenAI summarised:');
    expect(stdout).toContain('BudgetExceededError');
    expect(stdout).toContain('6. The ledger: what each key used and cost (ledger.jsonl');
    expect(stdout).toContain('│ openai');
    expect(stdout).toContain('Done in');
    expect(stdout).not.toMatch(CLEAR_KEY);
  },
  30_000,
);

it.skipIf(hasNodeSqlite)('keycard usage reads the fallback ledger.jsonl', async () => {
  const home = await mkdtemp(join(tmpdir(), 'keycard-no-sqlite-'));
  try {
    const { code, stdout, stderr } = await keycard(['usage'], { env: { ...NO_DRIVER, KEYCARD_HOME: home } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('No usage recorded in this range.');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
