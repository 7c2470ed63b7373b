/**
 * Tags: set on a client and per call (`withTags`), recorded through the real OpenAI SDK and
 * through `createFetch` against the simulator; totals by tag and by tag and model, filters, and
 * tag names on every backend (memory, JSON lines, a real SQLite file, real PostgreSQL); ledgers
 * written by keycard before tags open and keep their data; budgets scoped by tag across two
 * clients sharing a ledger; a key-shaped tag value is stored redacted; bad tags are clear errors.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { isKeycardError } from '../../src/errors.js';
import { createFetch } from '../../src/fetch.js';
import { keys } from '../../src/keys/index.js';
import type { BaseLedger } from '../../src/ledger/base.js';
import { BudgetExceededError } from '../../src/ledger/budget.js';
import { openJsonlLedger } from '../../src/ledger/jsonl.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { migrations } from '../../src/ledger/sql.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { loadSqliteDriver } from '../../src/ledger/sqlite-load.js';
import { withTags } from '../../src/ledger/tags.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { startSimulator } from '../../src/testing/index.js';
import { clientFixture, openAIFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { type Backend, POSTGRES_URL, type TestLedger, testLedger, usageEvent } from '../helpers/ledgers.js';
import { rejection } from '../helpers/rejections.js';

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello tags' }] };
const open: TestLedger[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.cleanup();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function all(ledger: BaseLedger): Promise<UsageEvent[]> {
  const events: UsageEvent[] = [];
  for await (const event of ledger.events()) events.push(event);
  return events;
}

describe('tags on calls', () => {
  it("records the client's tags, with withTags' on top, through the OpenAI SDK (streams too)", async () => {
    const fixture = await openAIFixture({ client: { tags: { team: 'search', env: 'prod' } } });
    try {
      const openai = fixture.client.sdk;
      await openai.chat.completions.create(chat);
      const answer = await withTags({ user: 'u1', team: 'billing' }, () =>
        openai.chat.completions.create(chat),
      );
      expect(answer.choices.length).toBeGreaterThan(0);
      // Nested: the inner tags add to the outer ones.
      await withTags({ user: 'u2' }, () => withTags({ customer: 'acme' }, () => openai.models.list()));
      // A stream read after withTags returned: the tags are the call's, read when it started.
      const stream = await withTags({ user: 'u3' }, () =>
        openai.chat.completions.create({ ...chat, stream: true }),
      );
      for await (const _chunk of stream) {
        // read to the end
      }
      await openai.chat.completions.create(chat);
      const events = await fixture.events();
      // The order of recording may differ from the order of the calls (the first call of the
      // process waits for the price data): compare as a set.
      const canonical = (tags: object) => JSON.stringify(Object.entries(tags).sort());
      const tagsOf = (event: UsageEvent) => canonical(event.tags);
      expect(events.map(tagsOf).sort()).toEqual(
        [
          { team: 'search', env: 'prod' },
          { team: 'billing', env: 'prod', user: 'u1' },
          { team: 'search', env: 'prod', user: 'u2', customer: 'acme' },
          { team: 'search', env: 'prod', user: 'u3' },
          { team: 'search', env: 'prod' },
        ]
          .map(canonical)
          .sort(),
      );
      expect(events.find((event) => event.tags['user'] === 'u3')?.stream).toBe(true);
      const byUser = await fixture.ledger.totals({ by: ['tag:user'] });
      expect(byUser.map((row) => [row.tags?.['user'], row.requests])).toEqual([
        [null, 2],
        ['u1', 1],
        ['u2', 1],
        ['u3', 1],
      ]);
    } finally {
      await fixture.close();
    }
  });

  it.each(['anthropic', 'gemini', 'google-genai', 'slack', 'telegram'] as const)(
    'records them for a %s call too (fetch hooks or meter())',
    async (provider) => {
      const fixture = await clientFixture(provider, { client: { tags: { team: 'x' } } });
      try {
        // biome-ignore lint/suspicious/noExplicitAny: one call per SDK, each typed differently.
        const sdk = fixture.client.sdk as unknown as Record<string, any>;
        const calls: Record<typeof provider, () => Promise<unknown>> = {
          anthropic: () =>
            sdk['messages'].create({
              model: 'claude-haiku-4-5',
              max_tokens: 10,
              messages: [{ role: 'user', content: 'hi' }],
            }),
          gemini: () => sdk['getGenerativeModel']({ model: 'gemini-2.0-flash' }).generateContent('hi'),
          'google-genai': () => sdk['models'].generateContent({ model: 'gemini-2.0-flash', contents: 'hi' }),
          slack: () => sdk['auth'].test(),
          telegram: () => sdk['getMe'](),
        };
        await withTags({ user: 'u9' }, calls[provider]);
        const events = await fixture.events();
        expect(events.map((event) => event.tags)).toEqual([{ team: 'x', user: 'u9' }]);
      } finally {
        await fixture.close();
      }
    },
  );

  it('records an empty object for a client and call without tags', async () => {
    const fixture = await openAIFixture();
    try {
      await fixture.client.sdk.chat.completions.create(chat);
      const [event] = await fixture.events();
      expect(event?.tags).toEqual({});
    } finally {
      await fixture.close();
    }
  });

  it("reaches createFetch's fetch, as a framework calls it", async () => {
    const key = testKey('openai', 'tags-fetch');
    const simulator = await startSimulator({ keys: [key] });
    const ledger = new MemoryLedger();
    const fetch = await createFetch('openai', keys.literal(key), {
      ledger,
      tags: { app: 'bot' },
      telemetry: false,
    });
    try {
      const call = () =>
        fetch(`${simulator.baseURL('openai')}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(chat),
        }).then((response) => response.json());
      await withTags({ customer: 'acme' }, call);
      await call();
      expect((await all(ledger)).map((event) => event.tags)).toEqual([
        { app: 'bot', customer: 'acme' },
        { app: 'bot' },
      ]);
    } finally {
      await fetch.close();
      await simulator.close();
    }
  });

  it('reaches the calls of the Vercel AI SDK made inside withTags (generateText, streamText)', async () => {
    const key = testKey('openai', 'tags-vercel');
    const simulator = await startSimulator({ keys: [key] });
    const ledger = new MemoryLedger();
    const fetch = await createFetch('openai', keys.literal(key), {
      ledger,
      tags: { app: 'ai' },
      telemetry: false,
    });
    try {
      const openai = createOpenAI({ apiKey: 'keycard', baseURL: simulator.baseURL('openai'), fetch });
      await withTags({ user: 'u1' }, () =>
        generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Hi', maxRetries: 0 }),
      );
      // streamText returns at once; its request starts inside withTags and is read outside it.
      const streamed = withTags({ user: 'u2' }, () =>
        streamText({ model: openai('gpt-4o-mini'), prompt: 'Hi', maxRetries: 0 }),
      );
      for await (const _part of streamed.textStream);
      await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Hi', maxRetries: 0 });
      expect((await all(ledger)).map((event) => [event.stream, event.tags])).toEqual([
        [false, { app: 'ai', user: 'u1' }],
        [true, { app: 'ai', user: 'u2' }],
        [false, { app: 'ai' }],
      ]);
    } finally {
      await fetch.close();
      await simulator.close();
    }
  });

  it('stores a key-shaped tag value redacted, never in clear (a SQLite file)', async () => {
    const leak = testKey('openai', 'tag-leak');
    const item = await testLedger('sqlite');
    open.push(item);
    const simulator = await startSimulator({ keys: [testKey('openai', 'tags-redact')] });
    cleanups.push(() => simulator.close());
    const client = await createClient('openai', keys.literal(testKey('openai', 'tags-redact')), {
      baseURL: simulator.baseURL('openai'),
      ledger: item.ledger,
      tags: { pasted: leak },
      telemetry: false,
    });
    try {
      await withTags({ user: `id ${testKey('anthropic', 'tag-leak')}` }, () =>
        client.sdk.chat.completions.create(chat),
      );
    } finally {
      await client.close();
    }
    await item.ledger.flush();
    const [event] = await all(item.ledger);
    expect(event?.tags['pasted']).toBeDefined();
    expect(event?.tags['pasted']).not.toContain(leak.slice(8));
    expect(event?.tags['user']?.startsWith('id ')).toBe(true);
    expect(event?.tags['user']).not.toContain(testKey('anthropic', 'tag-leak').slice(14));
    const path = item.url.slice('sqlite:'.length);
    for (const file of [path, `${path}-wal`]) {
      let bytes = '';
      try {
        bytes = readFileSync(file).toString('latin1');
      } catch {
        continue;
      }
      expect(bytes).not.toContain(leak);
      expect(bytes).not.toContain(leak.slice(-20));
    }
  });
});

describe('bad tags', () => {
  const source = () => keys.literal(testKey('openai', 'bad-tags'));
  const message = async (promise: Promise<unknown>) => {
    const error = await rejection(promise);
    expect(isKeycardError(error)).toBe(true);
    return (error as Error).message;
  };

  it('are clear errors on the client, naming the tag', async () => {
    expect(
      await message(createClient('openai', source(), { ledger: false, tags: { '1team': 'a' } })),
    ).toContain(`options.tags has a tag named "1team"; a tag name starts with a letter`);
    expect(
      await message(
        createClient('openai', source(), { ledger: false, tags: { team: 5 as unknown as string } }),
      ),
    ).toBe("createClient('openai'): options.tags.team must be a string, not number.");
    expect(
      await message(createClient('openai', source(), { ledger: false, tags: { team: 'x'.repeat(201) } })),
    ).toContain('options.tags.team is 201 characters long; a tag value has 200 at most');
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`t${index}`, 'v']));
    expect(await message(createClient('openai', source(), { ledger: false, tags: many }))).toContain(
      'options.tags has 17 tags; at most 16 are allowed',
    );
    expect(
      await message(
        createClient('openai', source(), {
          ledger: false,
          tags: 'team=a' as unknown as Record<string, string>,
        }),
      ),
    ).toContain('options.tags must be an object of tag names and string values');
  });

  it('are clear errors in withTags, budgets and totals', async () => {
    expect(() => withTags({ 'a b': 'x' }, () => 1)).toThrow(/withTags\(tags\) has a tag named "a b"/);
    expect(() => withTags({ user: null as unknown as string }, () => 1)).toThrow(
      'withTags(tags).user must be a string, not null',
    );
    expect(withTags({ user: 'u' }, () => 42)).toBe(42);
    expect(
      await message(
        createClient('openai', source(), {
          ledger: new MemoryLedger(),
          budget: { usd: 1, scope: 'tag:' as 'tag:x' },
        }),
      ),
    ).toContain("options.budget.scope must be 'key', 'workflow', 'provider' or 'tag:NAME'");
    expect(
      await message(
        createClient('openai', source(), {
          ledger: new MemoryLedger(),
          budget: { usd: 1, scope: 'workflw' as 'key' },
        }),
      ),
    ).toContain("Did you mean 'workflow'?");
    const ledger = new MemoryLedger();
    expect(() => ledger.addBudget({ usd: 1, scope: 'tag:no way' as 'tag:x' })).toThrow(
      /scope is 'key', 'workflow', 'provider' or 'tag:NAME'/,
    );
    expect(await message(ledger.totals({ by: ['tag:two words'] }))).toContain(
      'cannot group by "tag:two words"',
    );
    expect(await message(ledger.totals({ where: { tags: { "x'y": 'a' } } }))).toContain('where.tags');
  });
});

const BACKENDS: Backend[] = ['memory', 'jsonl', 'sqlite', 'postgres'];

describe.each(BACKENDS)('totals by tag on %s', (backend) => {
  it('groups by a tag, by a tag and the model, filters by tags, and lists tag names', async () => {
    const item = await testLedger(backend);
    open.push(item);
    const { ledger } = item;
    ledger.record(usageEvent({ tags: { team: 'a', user: 'u1' }, costUsd: 0.5 }));
    ledger.record(usageEvent({ tags: { team: 'a', user: 'u2' }, model: 'gpt-4o', costUsd: 1 }));
    ledger.record(usageEvent({ tags: { team: 'b', 'k8s.ns': 'prod-1' }, costUsd: 0.25 }));
    ledger.record(usageEvent({ costUsd: 0.125 }));
    const byTeam = await ledger.totals({ by: ['tag:team'] });
    expect(byTeam.map((row) => [row.tags, row.requests, row.costUsd])).toEqual([
      [{ team: 'a' }, 2, 1.5],
      [{ team: 'b' }, 1, 0.25],
      [{ team: null }, 1, 0.125],
    ]);
    const byTeamModel = await ledger.totals({ by: ['tag:team', 'model'] });
    expect(byTeamModel.map((row) => `${row.tags?.['team']}/${row.model}=${row.requests}`)).toEqual([
      'a/gpt-4o-mini=1',
      'a/gpt-4o=1',
      'b/gpt-4o-mini=1',
      'null/gpt-4o-mini=1',
    ]);
    const twoTags = await ledger.totals({ by: ['model', 'tag:team', 'tag:k8s.ns'] });
    expect(twoTags.find((row) => row.tags?.['team'] === 'b')?.tags).toEqual({
      team: 'b',
      'k8s.ns': 'prod-1',
    });
    const teamA = await ledger.totals({ by: ['model'], where: { tags: { team: 'a' } } });
    expect(teamA.map((row) => [row.model, row.costUsd])).toEqual([
      ['gpt-4o-mini', 0.5],
      ['gpt-4o', 1],
    ]);
    const [u2] = await ledger.totals({ where: { tags: { team: 'a', user: 'u2' }, model: 'gpt-4o' } });
    expect(u2?.requests).toBe(1);
    const [untagged] = await ledger.totals({ where: { tags: { team: null } } });
    expect(untagged?.costUsd).toBe(0.125);
    expect(await ledger.totals({ where: { tags: { team: 'nobody' } } })).toEqual([]);
    expect(await ledger.tagNames()).toEqual(['k8s.ns', 'team', 'user']);
    expect(await ledger.tagNames({ where: { model: 'gpt-4o' } })).toEqual(['team', 'user']);
    const events = await all(ledger);
    expect(events.map((event) => event.tags)).toEqual([
      { team: 'a', user: 'u1' },
      { team: 'a', user: 'u2' },
      { team: 'b', 'k8s.ns': 'prod-1' },
      {},
    ]);
    const tagged: UsageEvent[] = [];
    for await (const event of ledger.events({ where: { tags: { user: 'u1' } } })) tagged.push(event);
    expect(tagged).toHaveLength(1);
  });
});

describe('ledgers written before tags', () => {
  const oldRow = {
    time_ms: Date.parse('2026-11-01T10:00:00Z'),
    provider: 'openai',
    operation: 'chat.completions',
    model: 'gpt-4o-mini',
    key_fingerprint: 'aaaaaaaaaaaa',
    masked_id: 'sk-proj-****aaaa',
    workflow: 'old',
    input_tokens: 10,
    cached_input_tokens: 0,
    cache_write_tokens: null,
    output_tokens: 5,
    reasoning_tokens: 0,
    requests: 1,
    cost_nusd: 250_000_000,
    pricing: 'test',
    latency_ms: 12,
    outcome: 'ok',
    status: 200,
    stream: 0,
  };
  const columns = Object.keys(oldRow);

  async function checkUpgraded(ledger: BaseLedger): Promise<void> {
    const [before] = await all(ledger);
    expect(before).toMatchObject({ workflow: 'old', costUsd: 0.25, tags: {} });
    ledger.record(usageEvent({ tags: { team: 'a' }, costUsd: 0.5 }));
    const rows = await ledger.totals({ by: ['workflow', 'tag:team'] });
    expect(rows.map((row) => [row.workflow, row.tags?.['team'], row.costUsd])).toEqual([
      ['old', null, 0.25],
      [null, 'a', 0.5],
    ]);
  }

  it('a SQLite file at schema version 1 opens, keeps its events and takes tags', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-tags-old-')), 'ledger.db');
    const driver = await loadSqliteDriver();
    const db = driver.open(path, { busyTimeoutMs: 1000 });
    // The schema keycard wrote before tags: its first migration, unchanged since.
    db.exec(migrations('sqlite')[0] as string);
    db.exec('PRAGMA user_version = 1');
    db.prepare(
      `INSERT INTO keycard_events (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    ).run(...(Object.values(oldRow) as Array<string | number | null>));
    expect(
      db
        .prepare('PRAGMA table_info(keycard_events)')
        .all()
        .some((column) => column['name'] === 'tags'),
    ).toBe(false);
    db.close();
    const ledger = await openSqliteLedger(path);
    try {
      await checkUpgraded(ledger);
    } finally {
      await ledger.close();
    }
    const again = driver.open(path, { busyTimeoutMs: 1000 });
    expect(again.prepare('PRAGMA user_version').get()?.['user_version']).toBe(migrations('sqlite').length);
    again.close();
  });

  it('a PostgreSQL schema at version 1 opens, keeps its events and takes tags', async () => {
    const schema = `keycard_tags_old_${process.pid}_${randomBytes(4).toString('hex')}`;
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    cleanups.push(async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });
    await client.query(`CREATE SCHEMA "${schema}"; SET search_path = "${schema}"`);
    await client.query(migrations('postgres')[0] as string);
    await client.query(
      'CREATE TABLE keycard_schema (version INTEGER NOT NULL); INSERT INTO keycard_schema VALUES (1)',
    );
    await client.query(
      `INSERT INTO keycard_events (${columns.join(', ')}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`,
      Object.values(oldRow),
    );
    const ledger = await openPostgresLedger(`${POSTGRES_URL}?schema=${schema}`);
    try {
      await checkUpgraded(ledger);
    } finally {
      await ledger.close();
    }
    const { rows } = await client.query('SELECT version FROM keycard_schema');
    expect(rows[0]?.version).toBe(migrations('postgres').length);
  });

  it('a JSON-lines file of events without tags reads them with none', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-tags-old-')), 'ledger.jsonl');
    const { tags: _, ...old } = usageEvent({ workflow: 'old', costUsd: 0.25 });
    appendFileSync(
      path,
      `${JSON.stringify({ v: 1, id: 'old.1', e: { ...old, time: old.time.toISOString() } })}\n`,
    );
    const ledger = await openJsonlLedger(path);
    try {
      await checkUpgraded(ledger);
    } finally {
      await ledger.close();
    }
    // A line without tags is written as before tags.
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines[0]).not.toContain('"tags"');
    expect(lines[1]).toContain('"tags":{"team":"a"}');
  });
});

describe.each(['sqlite', 'postgres'] as const)('a budget scoped by tag on %s', (backend) => {
  it("blocks each tag value's calls past its limit, across two clients sharing the ledger", async () => {
    const item = await testLedger(backend);
    open.push(item);
    const key = testKey('openai', `tags-budget-${backend}`);
    const simulator = await startSimulator({ keys: [key] });
    cleanups.push(() => simulator.close());
    const budget = { requests: 3, period: 'day', scope: 'tag:team' } as const;
    const make = async (tags: Record<string, string>) => {
      // Each client on its own handle of the store, as two processes would be.
      const ledger = await item.reopen();
      const client = await createClient('openai', keys.literal(key), {
        baseURL: simulator.baseURL('openai'),
        maxRetries: 0,
        ledger,
        tags,
        budget,
        telemetry: false,
      });
      cleanups.push(() => client.close());
      return client;
    };
    const first = await make({ team: 'a' });
    const second = await make({ team: 'a', user: 'x' });
    await first.sdk.chat.completions.create(chat);
    await second.sdk.chat.completions.create(chat);
    await first.sdk.chat.completions.create(chat);
    const error = await rejection(second.sdk.chat.completions.create(chat));
    expect(BudgetExceededError.is(error)).toBe(true);
    expect(error).toMatchObject({ scope: 'tag:team=a', limit: 'requests', spend: { requests: 3 } });
    expect((error as Error).message).toContain('use another team tag');
    // Another team has its own limit; a call without the tag is outside the budget.
    await withTags({ team: 'b' }, () => second.sdk.chat.completions.create(chat));
    const untagged = await createClient('openai', keys.literal(key), {
      baseURL: simulator.baseURL('openai'),
      ledger: await item.reopen(),
      budget,
      telemetry: false,
    });
    cleanups.push(() => untagged.close());
    for (let index = 0; index < 4; index += 1) await untagged.sdk.models.list();
    expect(await rejection(withTags({ team: 'a' }, () => untagged.sdk.models.list()))).toBeInstanceOf(
      BudgetExceededError,
    );
    expect(simulator.tally().total.requests).toBe(3 + 1 + 4);
  });
});
