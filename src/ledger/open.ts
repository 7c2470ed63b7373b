/**
 * `openLedger(url)`: a ledger from a URL: `memory:`, `sqlite:PATH`, `jsonl:PATH`, `postgres://…`.
 * @module
 */
import { resolve } from 'node:path';
import { KeycardError } from '../errors.js';
import { expandHome } from '../home.js';
import type { BaseLedger, LedgerOptions } from './base.js';
import type { JsonlLedgerOptions } from './jsonl.js';
import { MemoryLedger } from './memory.js';
import type { PostgresLedgerOptions } from './postgres.js';
import type { SqliteLedgerOptions } from './sqlite.js';

/** Options of `openLedger()`: those of the backend the URL names. */
export type OpenLedgerOptions = LedgerOptions &
  SqliteLedgerOptions &
  JsonlLedgerOptions &
  PostgresLedgerOptions;

/**
 * Opens a ledger:
 * - `memory:` keeps events in this process;
 * - `sqlite:PATH` (`sqlite:./usage.db`, `sqlite:~/.keycard/ledger.db`, `sqlite::memory:`) is one
 *   file that several processes can share;
 * - `jsonl:PATH` (`jsonl:~/.keycard/ledger.jsonl`) is an append-only file of JSON lines that
 *   several processes can share, with no native module (the default ledger's fallback when no
 *   SQLite driver loads);
 * - `postgres://user@host:5432/db?schema=keycard` is shared by workers on many machines (needs
 *   the `pg` package).
 *
 * @example
 * const ledger = await openLedger('postgres://keycard@db.internal/usage?schema=keycard');
 * const openai = await createClient('openai', 'env:OPENAI_API_KEY', { ledger });
 */
export async function openLedger(url: string, options: OpenLedgerOptions = {}): Promise<BaseLedger> {
  if (typeof url !== 'string')
    throw new KeycardError('openLedger: give a URL: memory:, sqlite:PATH, jsonl:PATH or postgres://…');
  // zod loads here, not with `import 'keycard'`.
  const { checkLedgerOptions } = await import('../options.js');
  checkLedgerOptions(options);
  const text = url.trim();
  if (text === 'memory:' || text === 'memory') return new MemoryLedger(options);
  if (/^sqlite:/i.test(text)) {
    const path = text.replace(/^sqlite:(?:\/\/)?/i, '');
    if (path === '') throw new KeycardError('openLedger: a sqlite: URL needs a path, e.g. sqlite:./usage.db');
    const { openSqliteLedger } = await import('./sqlite.js');
    return openSqliteLedger(path === ':memory:' ? path : resolve(expandHome(path)), options);
  }
  if (/^jsonl:/i.test(text)) {
    const path = text.replace(/^jsonl:(?:\/\/)?/i, '');
    if (path === '')
      throw new KeycardError('openLedger: a jsonl: URL needs a path, e.g. jsonl:./usage.jsonl');
    const { openJsonlLedger } = await import('./jsonl.js');
    return openJsonlLedger(resolve(expandHome(path)), options);
  }
  if (/^postgres(?:ql)?:\/\//i.test(text)) {
    const { openPostgresLedger } = await import('./postgres.js');
    return openPostgresLedger(text, options);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1];
  throw new KeycardError(
    `openLedger: ${scheme === undefined ? 'this is not a ledger URL' : `"${scheme.slice(0, 16)}:" is not a ledger URL`}. Use memory:, sqlite:PATH, jsonl:PATH or postgres://…`,
  );
}
