/**
 * Ledgers of every backend for tests: memory, a real SQLite file in a temporary directory, a
 * real JSON-lines file in one, and real PostgreSQL at 127.0.0.1:5432 (database `test`) in a schema of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { BaseLedger } from '../../src/ledger/base.js';
import { openJsonlLedger } from '../../src/ledger/jsonl.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import type { UsageEvent } from '../../src/ledger/types.js';

export const POSTGRES_URL = process.env['KEYCARD_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Backend = 'memory' | 'sqlite' | 'jsonl' | 'postgres';

export interface TestLedger {
  ledger: BaseLedger;
  /** A second handle on the same store, as another process would have. */
  reopen(): Promise<BaseLedger>;
  /** `sqlite:PATH`, `jsonl:PATH` or `postgres://…?schema=…`, for child processes. */
  url: string;
  cleanup(): Promise<void>;
}

/** A fresh, empty ledger of `backend`. */
export async function testLedger(
  backend: Backend,
  options: { flushIntervalMs?: number } = {},
): Promise<TestLedger> {
  if (backend === 'memory') {
    const ledger = new MemoryLedger(options);
    return { ledger, reopen: async () => ledger, url: 'memory:', cleanup: () => ledger.close() };
  }
  if (backend === 'sqlite' || backend === 'jsonl') {
    const folder = await mkdtemp(join(tmpdir(), 'keycard-ledger-'));
    const path = join(folder, backend === 'sqlite' ? 'ledger.db' : 'ledger.jsonl');
    const open = backend === 'sqlite' ? openSqliteLedger : openJsonlLedger;
    const opened: BaseLedger[] = [await open(path, options)];
    return {
      ledger: opened[0] as BaseLedger,
      reopen: async () => {
        const again = await open(path, options);
        opened.push(again);
        return again;
      },
      url: `${backend}:${path}`,
      cleanup: async () => {
        for (const ledger of opened) await ledger.close();
      },
    };
  }
  const schema = `keycard_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = `${POSTGRES_URL}?schema=${schema}`;
  const opened: BaseLedger[] = [await openPostgresLedger(url, options)];
  return {
    ledger: opened[0] as BaseLedger,
    reopen: async () => {
      const again = await openPostgresLedger(url, options);
      opened.push(again);
      return again;
    },
    url,
    cleanup: async () => {
      for (const ledger of opened) await ledger.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

/** A usage event with test defaults. */
export function usageEvent(overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    time: new Date('2026-11-01T10:00:00Z'),
    provider: 'openai',
    operation: 'chat.completions',
    model: 'gpt-4o-mini',
    keyFingerprint: 'aaaaaaaaaaaa',
    maskedId: 'sk-proj-****aaaa',
    workflow: null,
    tags: {},
    inputTokens: 10,
    cachedInputTokens: 2,
    cacheWriteTokens: null,
    outputTokens: 5,
    reasoningTokens: 1,
    requests: 1,
    costUsd: null,
    pricing: null,
    latencyMs: 12,
    outcome: 'ok',
    status: 200,
    stream: false,
    ...overrides,
  };
}
