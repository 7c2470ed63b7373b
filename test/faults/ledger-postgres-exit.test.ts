/**
 * A program whose PostgreSQL ledger stays down: it still ends by itself (one last try, then the
 * loss is reported), and `process.exit()` with events still buffered reports them lost. Without a
 * `warning` listener, the warnings are Node process warnings on stderr, one of each.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { dropSchema } from '../helpers/postgres-outage.js';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, '../helpers/ledger-exit-child.ts');
const schemas: string[] = [];
afterEach(async () => {
  for (const schema of schemas.splice(0)) await dropSchema(schema);
});

async function program(mode: 'end' | 'exit', count: number) {
  const schema = `keycard_fault_${process.pid}_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  const started = performance.now();
  const { stderr } = await run(process.execPath, ['--import', 'tsx', CHILD, mode, String(count)], {
    env: { ...process.env, KEYCARD_TEST_SCHEMA: schema },
    timeout: 30_000,
  });
  return { stderr, ms: performance.now() - started };
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('a program whose PostgreSQL ledger stays down', () => {
  it('ends by itself, and reports once that the store is down and once how many events were lost', async () => {
    const { stderr } = await program('end', 3);
    expect(occurrences(stderr, '[KEYCARD_LEDGER_UNAVAILABLE]')).toBe(1);
    expect(occurrences(stderr, '[KEYCARD_LEDGER_EVENTS_LOST]')).toBe(1);
    expect(stderr).toContain(
      'the program ended while the ledger PostgresLedger(postgres://postgres@127.0.0.1:',
    );
    expect(stderr).toMatch(/: 3 events lost\./);
  }, 40_000);

  it('reports the events still buffered at process.exit() as lost', async () => {
    const { stderr } = await program('exit', 2);
    expect(occurrences(stderr, '[KEYCARD_LEDGER_EVENTS_LOST]')).toBe(1);
    expect(stderr).toContain('2 events lost: the process exited before they were written to the ledger');
    expect(stderr).toContain('Call ledger.close()');
  }, 40_000);
});
