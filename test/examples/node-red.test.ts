/**
 * examples/node-red, the Node-RED node template, loaded with require() as Node-RED loads it (its
 * `require('keycard')` resolves to this repository's built CommonJS), registered with a minimal
 * fake `RED`, and sent messages against the simulator. No key appears in any message, error,
 * status or log line. Needs `dist/` (npm run build).
 */
import { EventEmitter } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLedger } from '../../src/ledger/open.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { fakeKey, type Simulator, startSimulator } from '../../src/testing/index.js';
import { CLEAR_KEY } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

type Message = Record<string, unknown>;
type Input = (msg: Message, send: (msg: Message) => void, done: (error?: Error) => void) => Promise<void>;
type Close = (removed: boolean, done: () => void) => void;

let work: string;
let userDir: string;
let simulator: Simulator;
let register: (RED: unknown) => void;
const key = fakeKey('openai');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'keycard-node-red-'));
  userDir = join(work, 'node-red-user');
  // Installed into Node-RED's userDir as `npm i node-red-contrib-keycard-openai` would.
  const installed = join(userDir, 'node_modules/node-red-contrib-keycard-openai');
  cpSync(join(root, 'examples/node-red'), installed, { recursive: true });
  mkdirSync(join(installed, 'node_modules'));
  symlinkSync(root, join(installed, 'node_modules/keycard'), 'dir');
  symlinkSync(join(root, 'node_modules/openai'), join(installed, 'node_modules/openai'), 'dir');
  const require = createRequire(join(installed, 'package.json'));
  const manifest = require('./package.json') as { 'node-red': { nodes: Record<string, string> } };
  register = require(`./${manifest['node-red'].nodes['keycard-openai']}`);
  simulator = await startSimulator({ keys: [key], providers: ['openai'] });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await simulator?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The part of Node-RED's runtime a node uses: registerType, createNode, events, status, logs. */
function fakeRed() {
  const types = new Map<string, { constructor: new (config: object) => object; options: unknown }>();
  const RED = {
    settings: { userDir },
    nodes: {
      registerType(type: string, node: new (config: object) => object, options: unknown) {
        types.set(type, { constructor: node, options });
      },
      createNode(node: EventEmitter & Record<string, unknown>, config: Record<string, unknown>) {
        EventEmitter.call(node);
        Object.setPrototypeOf(
          node,
          Object.assign(Object.create(EventEmitter.prototype), Object.getPrototypeOf(node)),
        );
        node['id'] = config['id'];
        node['z'] = config['z'];
        node['name'] = config['name'];
      },
    },
  };
  register(RED);
  return { RED, types };
}

function deploy(config: Record<string, unknown>, apiKey: string) {
  const { types } = fakeRed();
  const registered = types.get('keycard-openai');
  expect(registered?.options).toEqual({ credentials: { apiKey: { type: 'password' } } });
  const seen = { statuses: [] as unknown[], logs: [] as string[] };
  const Node = registered!.constructor;
  // Node-RED sets credentials, status and the log methods on the node object before the constructor runs.
  const node = Object.create(Node.prototype) as EventEmitter & Record<string, unknown>;
  Object.assign(node, {
    credentials: { apiKey },
    status: (status: unknown) => seen.statuses.push(status),
    debug: (line: unknown) => seen.logs.push(`debug ${String(line)}`),
    warn: (line: unknown) => seen.logs.push(`warn ${String(line)}`),
    error: (line: unknown) => seen.logs.push(`error ${String(line)}`),
  });
  Node.call(node, {
    id: 'n1',
    z: 'flow1',
    type: 'keycard-openai',
    baseUrl: simulator.baseURL('openai'),
    ...config,
  });
  const input = node.listeners('input')[0] as Input;
  const send = (payload: unknown) =>
    new Promise<{ sent: Message[]; error: Error | undefined }>((resolve) => {
      const sent: Message[] = [];
      void input(
        { _msgid: 'm1', payload },
        (msg) => sent.push(msg),
        (error) => resolve({ sent, error }),
      );
    });
  const close = () => new Promise<void>((resolve) => (node.listeners('close')[0] as Close)(false, resolve));
  return { send, close, seen };
}

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

describe('examples/node-red', () => {
  it('answers msg.payload and records each call in a ledger inside the userDir', async () => {
    vi.stubEnv('KEYCARD_HOME', ''); // unset: else the ledger is $KEYCARD_HOME/ledger.db
    const { send, close, seen } = deploy({ name: 'Summarise', workflow: 'inbox flow' }, key);
    const first = await send('The launch moves to Monday.');
    const second = await send('Lunch is at noon.');
    await close();
    vi.unstubAllEnvs();
    expect(first.error).toBeUndefined();
    expect(first.sent[0]?.['payload']).toMatch(/^Simulated reply/);
    expect(second.sent[0]?.['keycard']).toMatchObject({
      maskedId: expect.stringMatching(/^sk-proj-\*\*\*\*/),
    });
    const recorded = await events(`sqlite:${join(userDir, 'keycard/ledger.db')}`);
    expect(recorded.map((event) => [event.workflow, event.outcome])).toEqual([
      ['inbox flow', 'ok'],
      ['inbox flow', 'ok'],
    ]);
    expectNoKey(first.sent, second.sent, seen.statuses, seen.logs.join('\n'));
  });

  it("stops a message with keycard's end-user text naming the node when the key is rejected", async () => {
    const rejected = fakeKey('openai');
    const { send, close, seen } = deploy({ name: 'Summarise' }, rejected);
    const { sent, error } = await send('x');
    await close();
    expect(sent).toEqual([]);
    expect(error?.message).toBe(
      'OpenAI did not accept the API key in node "Summarise": it is wrong, was revoked or has expired. Get a new API key from https://platform.openai.com/api-keys, save it in node "Summarise", and run the workflow again.',
    );
    expect(error).toMatchObject({ reason: 'unauthorized' });
    expect(seen.statuses.at(-1)).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('did not accept'),
    });
    for (const text of [error?.message, error?.stack, JSON.stringify(seen), JSON.stringify(error)])
      expect(text).not.toContain(rejected);
    expectNoKey(error?.message, error?.stack, seen.statuses, seen.logs.join('\n'));
  });

  it('goes on without a ledger that cannot open, with a warning', async () => {
    writeFileSync(join(work, 'not-a-folder'), '');
    const { send, close, seen } = deploy({ ledger: `sqlite:${join(work, 'not-a-folder/ledger.db')}` }, key);
    const { sent, error } = await send('x');
    await close();
    expect(error).toBeUndefined();
    expect(sent[0]?.['payload']).toMatch(/^Simulated reply/);
    expect(seen.logs.filter((line) => line.startsWith('warn'))).toEqual([
      expect.stringMatching(/^warn keycard: usage is not recorded \(the calls still work\): .*not-a-folder/),
    ]);
  });

  it('says in Korean, when asked, that no key is set', async () => {
    const empty = deploy({ name: 'Summarise', language: 'ko' }, '');
    const { error } = await empty.send('x');
    expect(error?.message).toContain('node "Summarise"');
    expect(error?.message).toMatch(/[가-힣]/);
    expect(error).toMatchObject({ reason: 'missing' });
    await empty.close();
  });
});
