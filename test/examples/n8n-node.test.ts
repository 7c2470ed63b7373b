/**
 * examples/n8n-node, the n8n community node template, built as its author would build it: copied
 * out with its package.json and tsconfig, compiled by tsc to CommonJS against this repository's
 * built keycard and the real n8n-workflow, loaded with require(), and run through `execute()` with
 * a minimal `IExecuteFunctions` against the simulator. No key appears in any item, error or log
 * line. Needs `dist/` (npm run build).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLedger } from '../../src/ledger/open.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { fakeKey, type Simulator, startSimulator } from '../../src/testing/index.js';
import { CLEAR_KEY } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

type Item = { json: Record<string, unknown>; pairedItem?: unknown };
type NodeType = {
  description: { credentials: Array<{ name: string }> };
  execute(this: unknown): Promise<Item[][]>;
};
type NodeError = Error & {
  description?: string;
  httpCode?: string | null;
  context?: Record<string, unknown>;
};

let work: string;
let simulator: Simulator;
let KeycardOpenAi: new () => NodeType;
let OpenAiKeycardApi: new () => { name: string; properties: Array<{ name: string }> };
let n8n: {
  NodeApiError: new (...args: never[]) => Error;
  NodeOperationError: new (...args: never[]) => Error;
};
const key = fakeKey('openai');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'keycard-n8n-node-'));
  const project = join(work, 'n8n-nodes-keycard-openai');
  cpSync(join(root, 'examples/n8n-node'), project, { recursive: true });
  // What `npm i keycard openai` and the devDependencies give the author: keycard is this repository.
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules/keycard'), 'dir');
  for (const name of ['openai', 'n8n-workflow', '@types'])
    symlinkSync(join(root, 'node_modules', name), join(project, 'node_modules', name), 'dir');
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], {
    cwd: project,
  });
  const require = createRequire(join(project, 'package.json'));
  const manifest = require('./package.json') as { n8n: { nodes: string[]; credentials: string[] } };
  ({ KeycardOpenAi } = require(`./${manifest.n8n.nodes[0]}`));
  ({ OpenAiKeycardApi } = require(`./${manifest.n8n.credentials[0]}`));
  n8n = require('n8n-workflow');
  simulator = await startSimulator({ keys: [key], providers: ['openai'] });
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await simulator?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Context {
  items?: Item[];
  apiKey?: string;
  ledger?: string;
  options?: Record<string, unknown>;
  continueOnFail?: boolean;
}

/** What n8n passes as `this` to `execute()`, reduced to what the node uses; logs are kept. */
function context(given: Context) {
  const lines: string[] = [];
  const items = given.items ?? [{ json: { text: 'The launch moves to Monday.' } }];
  const log = (level: string) => (message: string, metadata?: object) =>
    lines.push(`${level} ${message} ${JSON.stringify(metadata ?? {})}`);
  const self = {
    getInputData: () => items,
    getNodeParameter(name: string, itemIndex: number, fallback?: unknown) {
      if (name === 'model') return 'gpt-4o-mini';
      if (name === 'prompt') return String(items[itemIndex]?.json['text']);
      if (name === 'options') return given.options ?? fallback;
      throw new Error(`no parameter ${name}`);
    },
    async getCredentials(type: string) {
      expect(type).toBe('openAiKeycardApi');
      return {
        apiKey: given.apiKey ?? key,
        baseUrl: simulator.baseURL('openai'),
        ledger: given.ledger ?? '',
      };
    },
    getNode: () => ({
      id: 'node-1',
      name: 'Summarise',
      type: 'n8n-nodes-keycard-openai.keycardOpenAi',
      typeVersion: 1,
      position: [0, 0],
      parameters: {},
      credentials: { openAiKeycardApi: { id: '7', name: 'OpenAI account' } },
    }),
    getWorkflow: () => ({ id: 'wf-1', name: 'Summarise inbox', active: true }),
    continueOnFail: () => given.continueOnFail ?? false,
    logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') },
  };
  return { self, lines };
}

const execute = (self: unknown) => new KeycardOpenAi().execute.call(self);

async function events(url: string): Promise<UsageEvent[]> {
  const ledger = await openLedger(url);
  const found: UsageEvent[] = [];
  for await (const event of ledger.events()) found.push(event);
  await ledger.close();
  return found;
}

function expectNoKey(...values: unknown[]): void {
  for (const value of values) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    expect(text).not.toContain(key);
    expect(text).not.toMatch(CLEAR_KEY);
  }
}

describe('examples/n8n-node', () => {
  it('is a community node package: the credential and the node n8n will load', () => {
    const node = new KeycardOpenAi();
    const credential = new OpenAiKeycardApi();
    expect(node.description.credentials[0]?.name).toBe(credential.name);
    expect(credential.properties.map((property) => property.name)).toEqual(['apiKey', 'baseUrl', 'ledger']);
  });

  it('answers each item and records each call with the workflow name in the ledger', async () => {
    const url = `sqlite:${join(work, 'ledger.db')}`;
    const { self, lines } = context({
      ledger: url,
      items: [{ json: { text: 'The launch moves to Monday.' } }, { json: { text: 'Lunch is at noon.' } }],
    });
    const [output] = await execute(self);
    expect(output).toHaveLength(2);
    expect(output?.[0]?.json['text']).toMatch(/^Simulated reply/);
    expect(output?.[1]?.pairedItem).toEqual({ item: 1 });
    expect(output?.[0]?.json['maskedId']).toMatch(/^sk-proj-\*\*\*\*/);
    const recorded = await events(url);
    expect(recorded).toHaveLength(2);
    expect(recorded.map((event) => [event.workflow, event.provider, event.outcome])).toEqual([
      ['Summarise inbox', 'openai', 'ok'],
      ['Summarise inbox', 'openai', 'ok'],
    ]);
    expect(lines.some((line) => line.startsWith('debug keycard openai'))).toBe(true);
    expectNoKey(output, lines.join('\n'), recorded);
  });

  it('puts the default ledger in KEYCARD_HOME, else in the n8n folder, never ~/.keycard', async () => {
    vi.stubEnv('KEYCARD_HOME', '');
    vi.stubEnv('N8N_USER_FOLDER', join(work, 'n8n-user'));
    await execute(context({}).self);
    expect(await events(`sqlite:${join(work, 'n8n-user/.n8n/keycard/ledger.db')}`)).toHaveLength(1);
    vi.stubEnv('KEYCARD_HOME', join(work, 'keycard-home'));
    await execute(context({}).self);
    expect(await events(`sqlite:${join(work, 'keycard-home/ledger.db')}`)).toHaveLength(1);
    vi.unstubAllEnvs();
  });

  it('warns in queue mode when the ledger is a SQLite file of the worker', async () => {
    vi.stubEnv('EXECUTIONS_MODE', 'queue');
    const { self, lines } = context({ ledger: `sqlite:${join(work, 'worker.db')}` });
    await execute(self);
    vi.unstubAllEnvs();
    expect(lines.filter((line) => line.startsWith('warn'))).toEqual([
      expect.stringContaining(
        'each worker records usage to its own SQLite file' as string,
      ) as unknown as string,
    ]);
    expect(lines.join('\n')).toContain('postgres:// Usage Ledger in the credential "OpenAI account"');
  });

  it('goes on without a ledger that cannot open, and says so once', async () => {
    writeFileSync(join(work, 'not-a-folder'), '');
    const { self, lines } = context({ ledger: `sqlite:${join(work, 'not-a-folder/ledger.db')}` });
    const [output] = await execute(self);
    expect(output?.[0]?.json['text']).toMatch(/^Simulated reply/);
    expect(lines.filter((line) => line.startsWith('warn'))).toEqual([
      expect.stringMatching(/^warn keycard: usage is not recorded \(the calls still work\): .*not-a-folder/),
    ]);
  });

  it("turns a rejected key into a NodeApiError with keycard's end-user text naming the credential", async () => {
    const rejected = fakeKey('openai');
    const { self, lines } = context({ apiKey: rejected, ledger: `sqlite:${join(work, 'ledger.db')}` });
    const error = (await execute(self).catch((caught: unknown) => caught)) as NodeError;
    expect(error).toBeInstanceOf(n8n.NodeApiError);
    expect(error.httpCode).toBe('401');
    expect(error.message).toBe(
      'OpenAI did not accept the API key in credential "OpenAI account": it is wrong, was revoked or has expired.',
    );
    expect(error.description).toMatch(
      /^Get a new API key from https:\/\/platform\.openai\.com\/api-keys, save it in credential "OpenAI account"/,
    );
    expect(error.context?.['itemIndex']).toBe(0);
    expectNoKey(error.message, error.description, error.stack, error, lines.join('\n'));
    expect(JSON.stringify(error)).not.toContain(rejected);
    const recorded = await events(`sqlite:${join(work, 'ledger.db')}`);
    expect(recorded.at(-1)?.outcome).toBe('unauthorized');
  });

  it('turns a malformed key into a NodeOperationError before any call, in Korean when asked', async () => {
    const before = simulator.requests.length;
    const { self } = context({ apiKey: `${key.slice(0, 12)} ${key.slice(12)}`, options: { language: 'ko' } });
    const error = (await execute(self).catch((caught: unknown) => caught)) as NodeError;
    expect(error).toBeInstanceOf(n8n.NodeOperationError);
    expect(error.message).toContain('credential "OpenAI account"');
    expect(error.message).toMatch(/[가-힣]/);
    expect(error.description).toMatch(/[가-힣]/); // the hint, shown once: under the title
    expect(error.message).not.toContain(error.description);
    expect(simulator.requests.length).toBe(before);
    expectNoKey(error.message, error.description, error.stack);
  });

  it('stops at the monthly budget with a NodeOperationError for the person running the workflow', async () => {
    const { self } = context({
      ledger: `sqlite:${join(work, 'budget.db')}`,
      options: { budgetUsd: 0.000001 },
      items: [{ json: { text: 'a' } }, { json: { text: 'b' } }, { json: { text: 'c' } }],
    });
    const error = (await execute(self).catch((caught: unknown) => caught)) as NodeError;
    expect(error).toBeInstanceOf(n8n.NodeOperationError);
    expect(error.message).toMatch(
      /^The budget ".*" has reached its spending limit of \$0\.000001, so this call was not made\.$/,
    );
    expect(error.description).toMatch(/^It is available again from \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });

  it('with continueOnFail, gives each item the error instead of stopping the workflow', async () => {
    const { self } = context({
      apiKey: 'sk-your-api-key-here',
      continueOnFail: true,
      items: [{ json: { text: 'a' } }, { json: { text: 'b' } }],
    });
    const [output] = await execute(self);
    expect(output).toEqual([
      { json: { error: expect.stringContaining('credential "OpenAI account"') }, pairedItem: { item: 0 } },
      { json: { error: expect.stringContaining('credential "OpenAI account"') }, pairedItem: { item: 1 } },
    ]);
  });
});
