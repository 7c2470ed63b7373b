/**
 * A PostgreSQL ledger behind a TCP proxy of its own, in a schema of its own, for outage tests in
 * the test process: kill the proxy to take the store away, restart it to bring it back.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  openPostgresLedger,
  type PostgresLedger,
  type PostgresLedgerOptions,
} from '../../src/ledger/postgres.js';
import type { LedgerWarning } from '../../src/ledger/unavailable.js';
import { POSTGRES_URL } from './ledgers.js';
import { startTcpProxy, type TcpProxy, throughProxy } from './tcp-proxy.js';

export interface ProxiedLedger {
  ledger: PostgresLedger;
  proxy: TcpProxy;
  schema: string;
  /** The ledger's URL through the proxy. */
  url: string;
  /** Every warning the ledger reported. */
  warnings: LedgerWarning[];
  /** Resolves at the next `recovered` warning (or at once if one came since the last call). */
  recovery(): Promise<LedgerWarning>;
  cleanup(): Promise<void>;
}

/** The port of the real server. */
export const POSTGRES_PORT = Number(new URL(POSTGRES_URL).port || 5432);

/** Drops a schema this test created, through a direct connection. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A fresh ledger through a fresh proxy; `url` may carry user and password (the proxy's host is put in). */
export async function proxiedLedger(
  options: PostgresLedgerOptions = {},
  url: string = POSTGRES_URL,
): Promise<ProxiedLedger> {
  const schema = `keycard_fault_${process.pid}_${randomBytes(4).toString('hex')}`;
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: POSTGRES_PORT });
  const through = throughProxy(`${url}?schema=${schema}`, proxy);
  const ledger = await openPostgresLedger(through, { flushIntervalMs: 5, ...options });
  const warnings: LedgerWarning[] = [];
  let seen = 0;
  const waiting: Array<(warning: LedgerWarning) => void> = [];
  ledger.on('warning', (warning) => {
    warnings.push(warning);
    if (warning.kind === 'recovered') for (const resolve of waiting.splice(0)) resolve(warning);
  });
  return {
    ledger,
    proxy,
    schema,
    url: through,
    warnings,
    recovery() {
      const recovered = warnings.filter((warning) => warning.kind === 'recovered');
      const next = recovered[seen];
      if (next !== undefined) {
        seen += 1;
        return Promise.resolve(next);
      }
      return new Promise((resolve) => {
        waiting.push((warning) => {
          seen += 1;
          resolve(warning);
        });
      });
    },
    async cleanup() {
      await proxy.restart();
      await ledger.close();
      await proxy.close();
      await dropSchema(schema);
    },
  };
}
