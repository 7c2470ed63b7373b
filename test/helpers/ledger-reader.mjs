// Usage: node ledger-reader.mjs URL
// Opens a ledger (the SQLite driver as KEYCARD_SQLITE_DRIVER says) and prints, as JSON, the
// driver and the requests per workflow.
import { openLedger } from '../../dist/index.js';

const ledger = await openLedger(process.argv[2]);
const rows = await ledger.totals({ by: ['workflow'] });
process.stdout.write(
  JSON.stringify({
    driver: ledger.driver,
    workflows: rows.map((row) => [row.workflow, row.requests]).sort(),
  }),
);
await ledger.close();
