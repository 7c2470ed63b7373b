/**
 * Opening and reading a PostgreSQL ledger when things are not as they should be, against the real
 * server: a read-only reporting role opens a current ledger and reads it, `keycard usage` included
 * (and gets the server's
 * own reason when the schema is not current); a server that is gone or does not answer is a
 * clear, prompt error with its cause, never a hang; a password in the URL never shows.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { KeycardError } from '../../src/errors.js';
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { LedgerUnavailableError } from '../../src/ledger/unavailable.js';
import { keycard } from '../helpers/cli.js';
import { POSTGRES_URL, usageEvent } from '../helpers/ledgers.js';
import { dropSchema, POSTGRES_PORT, proxiedLedger } from '../helpers/postgres-outage.js';
import { rejection } from '../helpers/rejections.js';
import { startTcpProxy, throughProxy } from '../helpers/tcp-proxy.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A login role that may only read `schema`'s tables; dropped afterwards. */
async function readOnlyRole(schema: string): Promise<string> {
  const role = `keycard_reader_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin(async (client) => {
    await client.query(`CREATE ROLE "${role}" LOGIN`);
    await client.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
  });
  cleanups.push(() =>
    admin(async (client) => {
      await client.query(`DROP OWNED BY "${role}"`);
      await client.query(`DROP ROLE "${role}"`);
    }),
  );
  return role;
}

function asRole(role: string, schema: string): string {
  const url = new URL(POSTGRES_URL);
  url.username = role;
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** A password-looking string, built at run time. */
const password = () => `pw-${randomBytes(6).toString('hex')}`;

describe('a read-only role', () => {
  it('opens a current ledger and reads it: no migration is attempted', async () => {
    const schema = `keycard_ro_${process.pid}_${randomBytes(4).toString('hex')}`;
    cleanups.push(() => dropSchema(schema));
    const owner = await openPostgresLedger(`${POSTGRES_URL}?schema=${schema}`);
    owner.record(usageEvent({ costUsd: 0.25 }));
    owner.record(usageEvent({ costUsd: 0.5, workflow: 'report' }));
    await owner.close();
    const role = await readOnlyRole(schema);

    const reader = await openPostgresLedger(asRole(role, schema));
    try {
      const [row] = await reader.totals();
      expect(row).toMatchObject({ requests: 2, costUsd: 0.75 });
      expect((await reader.totals({ by: ['workflow'] })).map((entry) => entry.workflow)).toEqual([
        null,
        'report',
      ]);
      expect(await reader.keys()).toHaveLength(1);
    } finally {
      await reader.close();
    }
    // The reporting command, as such a role runs it (the built CLI).
    const report = await keycard(['usage', '--ledger', asRole(role, schema), '--json']);
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('"requests": 2');
  });

  it("cannot create a ledger, and the error says why, in the server's words", async () => {
    const schema = `keycard_ro_${process.pid}_${randomBytes(4).toString('hex')}`;
    cleanups.push(() => dropSchema(schema));
    await admin((client) => client.query(`CREATE SCHEMA "${schema}"`));
    const role = await readOnlyRole(schema);
    const error = await rejection(openPostgresLedger(asRole(role, schema)));
    expect(KeycardError.is(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`postgres://${role}@`);
    expect(message).toContain(`schema ${schema}`);
    expect(message).toMatch(/permission denied for (database|schema)/);
    expect(message).toContain('do not exist yet');
    expect(message).toContain('open it once with a role that may');
    const report = await keycard(['usage', '--ledger', asRole(role, schema)]);
    expect(report.code).not.toBe(0);
    expect(report.stderr).toMatch(/permission denied for (database|schema)/);
  });
});

describe('a PostgreSQL server that is gone or does not answer', () => {
  it('fails to open at once with the cause in the message, and no password', async () => {
    const secret = password();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: POSTGRES_PORT });
    await proxy.kill();
    const url = throughProxy(`postgres://postgres:${secret}@127.0.0.1:5432/test?schema=keycard_gone`, proxy);
    const started = performance.now();
    const error = await rejection(openPostgresLedger(url));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(KeycardError.is(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`the PostgreSQL ledger at postgres://postgres@127.0.0.1:${proxy.port}/test`);
    expect(message).toContain('cannot be opened');
    expect(message).toContain('ECONNREFUSED');
    expect(inspect(error, { depth: 10 })).not.toContain(secret);
  });

  it('fails to open after connectTimeoutMs when the server accepts and never answers', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: POSTGRES_PORT });
    cleanups.push(() => proxy.close());
    proxy.setMode('blackhole');
    const started = performance.now();
    const error = await rejection(
      openPostgresLedger(throughProxy(`${POSTGRES_URL}?schema=keycard_silent`, proxy), {
        connectTimeoutMs: 300,
      }),
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    expect((error as Error).message).toMatch(/cannot be opened: .*timeout/i);
  });

  it('fails a query after queryTimeoutMs when an open connection stops answering', async () => {
    const store = await proxiedLedger({ queryTimeoutMs: 300, connectTimeoutMs: 300 });
    cleanups.push(() => store.cleanup());
    await store.ledger.totals();
    store.proxy.setMode('blackhole');
    const started = performance.now();
    const error = await rejection(store.ledger.totals());
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(LedgerUnavailableError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/cannot be read: .*timeout/i);
    store.proxy.setMode('forward');
  });

  it('fails reads and flushes of a ledger whose server went away with the cause, and no password', async () => {
    const secret = password();
    const store = await proxiedLedger({}, POSTGRES_URL.replace('postgres@', `postgres:${secret}@`));
    cleanups.push(() => store.cleanup());
    await store.proxy.kill();
    const read = await rejection(store.ledger.totals());
    store.ledger.record(usageEvent());
    const flushed = await rejection(store.ledger.flush());
    for (const error of [read, flushed]) {
      expect(LedgerUnavailableError.is(error)).toBe(true);
      expect((error as Error).message).toContain(`postgres://postgres@127.0.0.1:${store.proxy.port}/test`);
      expect((error as Error).message).toMatch(/ECONNREFUSED|ECONNRESET|terminated/);
      expect(inspect(error, { depth: 10 })).not.toContain(secret);
    }
    expect((flushed as LedgerUnavailableError).buffered).toBe(1);
    for (const warning of store.warnings) expect(warning.message).not.toContain(secret);
    expect(store.warnings.map((warning) => warning.kind)).toEqual(['unavailable']);
  });
});
