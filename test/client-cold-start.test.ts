/**
 * Cold start (issue 14): `createClient` with the default ledger returns before the ledger opens,
 * and the events of calls that end before it is open are all stored, in order; neither
 * `import('keycard')` nor `createClient` loads zod's full build (keycard's `zod/mini` is bundled
 * into its own chunks). On the built package, in fresh processes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runChild } from './helpers/child.js';
import { testKey } from './helpers/keys.js';

const CLIENT = join(import.meta.dirname, 'helpers/cold-start-client.mjs');

interface Output {
  ledgerFileAtReturn: boolean;
  loadedAtReturn: string[];
  ledgerFileAfterCalls?: boolean;
  models?: string[];
  driver?: string;
  events?: Array<{ model: string | null; outcome: string }>;
  loadedByShapes: string[];
}

const homes: string[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

async function run(mode: 'esm' | 'cjs', delayMs = 0): Promise<Output> {
  const home = await mkdtemp(join(tmpdir(), 'keycard-cold-'));
  homes.push(home);
  const { code, stdout, stderr } = await runChild(process.execPath, [CLIENT, mode, String(delayMs)], {
    env: {
      KEYCARD_HOME: home,
      KEYCARD_TEST_KEY: testKey('openai', 'cold-start'),
      KEYCARD_SQLITE_DRIVER: undefined,
      NODE_OPTIONS: undefined,
    },
  });
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as Output;
}

const fromPackage = (urls: readonly string[], name: string) =>
  urls.filter((url) => url.replaceAll('\\', '/').includes(`/node_modules/${name}/`));

describe('createClient with the default ledger', () => {
  it('returns before the ledger opens; the calls that end before it opens are all recorded, in order', async () => {
    const output = await run('esm', 1500);
    expect(output.ledgerFileAtReturn).toBe(false);
    expect(fromPackage(output.loadedAtReturn, 'better-sqlite3')).toEqual([]);
    // Loading better-sqlite3 was slowed: every call ended before the ledger was open.
    expect(output.ledgerFileAfterCalls).toBe(false);
    expect(output.driver).toBe('better-sqlite3');
    expect(output.events).toEqual(output.models?.map((model) => ({ model, outcome: 'ok' })));
  });
});

describe.each(['esm', 'cjs'] as const)('zod (%s build)', (mode) => {
  it("import('keycard') and createClient load none of zod's files; keycard/shapes loads zod's full build", async () => {
    const output = await run(mode);
    expect(output.loadedAtReturn.some((url) => /\/dist\/index\.c?js$/.test(url))).toBe(true);
    expect(fromPackage(output.loadedAtReturn, 'zod')).toEqual([]);
    // The same list sees zod when it is loaded: keycard/shapes publishes zod's full schemas.
    expect(fromPackage(output.loadedByShapes, 'zod').some((url) => url.includes('/v4/classic/'))).toBe(true);
  });
});
