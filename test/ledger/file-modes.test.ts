/**
 * The SQLite ledger's files are this user's alone: the database, its -wal and -shm files are
 * created 0600 in a 0700 directory, whatever the umask.
 */
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { usageEvent } from '../helpers/ledgers.js';

describe('SQLite ledger files', () => {
  it('are created 0600 (database, -wal, -shm) in a 0700 directory under a permissive umask', async () => {
    const previous = process.umask(0o022);
    try {
      const dir = join(await mkdtemp(join(tmpdir(), 'keycard-modes-')), 'home');
      const ledger = await openSqliteLedger(join(dir, 'ledger.db'));
      ledger.record(usageEvent());
      await ledger.flush();
      const files = await readdir(dir);
      expect(files).toEqual(expect.arrayContaining(['ledger.db', 'ledger.db-wal', 'ledger.db-shm']));
      for (const file of files) expect(((await stat(join(dir, file))).mode & 0o777).toString(8)).toBe('600');
      expect(((await stat(dir)).mode & 0o777).toString(8)).toBe('700');
      await ledger.close();
    } finally {
      process.umask(previous);
    }
  });
});
