/**
 * A program whose PostgreSQL ledger goes away and stays away (run with `node --import tsx`):
 * it opens the ledger through a proxy of its own, kills the proxy, records `count` events, and
 * then ends by itself (`end`) or calls `process.exit(0)` (`exit`). argv: mode, count. It
 * attaches no `warning` listener: the ledger's warnings go to stderr.
 */
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { POSTGRES_URL, usageEvent } from './ledgers.js';
import { POSTGRES_PORT } from './postgres-outage.js';
import { startTcpProxy, throughProxy } from './tcp-proxy.js';

const [mode, count] = process.argv.slice(2);
const schema = process.env['KEYCARD_TEST_SCHEMA'] ?? 'keycard_exit';
const proxy = await startTcpProxy({ host: '127.0.0.1', port: POSTGRES_PORT });
const ledger = await openPostgresLedger(throughProxy(`${POSTGRES_URL}?schema=${schema}`, proxy), {
  flushIntervalMs: 5,
});
await proxy.kill();
for (let index = 0; index < Number(count); index += 1) ledger.record(usageEvent());
if (mode === 'exit') process.exit(0);
