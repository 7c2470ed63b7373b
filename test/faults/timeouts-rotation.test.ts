/**
 * A call whose key was rejected waits for the key source to be read again (shared by every call
 * that failed at the same moment). Its timeout and its caller's AbortSignal still apply to that
 * wait: a slow source does not hold the call past them, and the read goes on for the others.
 * The real `openai` SDK (fetch layer) and telegraf (method layer) against the simulators.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, type KeycardClient } from '../../src/client.js';
import type { KeySource, ResolveOptions } from '../../src/keys/types.js';
import { Secret } from '../../src/secret.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';
import { reportError } from '../helpers/stall-server-calls.js';

const oldKey = testKey('openai', 'slow-source-old');
const newKey = testKey('openai', 'slow-source-new');

/** A source that answers at once the first time and after `delayMs` on a fresh read. */
function slowSource(delayMs: number, keys = { oldKey, newKey }): KeySource & { reads: number } {
  const { oldKey, newKey } = keys;
  const source = {
    reads: 0,
    describe: () => 'custom:slow',
    async resolve(options: ResolveOptions = {}) {
      source.reads += 1;
      const value = options.fresh === true ? newKey : oldKey;
      if (options.fresh === true) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return new Secret(value, { provider: options.provider, source: 'custom:slow' });
    },
  };
  return source;
}

let simulator: Simulator | undefined;
let client: KeycardClient<object> | undefined;

afterEach(async () => {
  await client?.close();
  await simulator?.close();
  client = undefined;
  simulator = undefined;
});

async function setUp(source: KeySource, options: ClientOptions<'openai'>) {
  simulator = await startSimulator({ keys: [newKey] });
  const created = await createClient('openai', source, {
    baseURL: simulator.baseURL('openai'),
    maxRetries: 0,
    ledger: false,
    ...options,
  });
  client = created as KeycardClient<object>;
  return created;
}

describe('waiting for a rejected key to be read again', () => {
  it('ends at the timeout, while the read goes on and serves the next call', async () => {
    const source = slowSource(1_500);
    const openai = await setUp(source, { timeout: 300 });
    const before = openai.fingerprint;
    const started = Date.now();
    const error = await rejection(openai.sdk.models.list());
    expect(Date.now() - started).toBeLessThan(1_200);
    const report = reportError(error);
    expect(report.threw).toBeUndefined();
    expect(report.className).toBe('APIConnectionTimeoutError');
    expect(report.printed).not.toContain(oldKey);
    // The shared read was not abandoned: once it ends, the new key is in use.
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(openai.fingerprint).not.toBe(before);
    expect((await openai.sdk.models.list()).data.length).toBeGreaterThan(0);
    expect(source.reads).toBe(2);
  });

  it("ends at the caller's abort; another call waiting on the same read still gets the new key", async () => {
    const source = slowSource(600);
    const openai = await setUp(source, {});
    const controller = new AbortController();
    const leaving = openai.sdk.models.list({ signal: controller.signal });
    const staying = openai.sdk.models.list();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const error = await rejection(leaving);
    expect(Date.now() - started).toBeLessThan(500);
    expect(reportError(error).className).toBe('APIUserAbortError');
    expect((await staying).data.length).toBeGreaterThan(0);
    expect(source.reads).toBe(2);
  });
});

describe('waiting for a rejected key at the method level (telegraf)', () => {
  it("ends at the caller's abort; another call waiting on the same read still gets the new key", async () => {
    const telegramKeys = { oldKey: testKey('telegram', 'slow-old'), newKey: testKey('telegram', 'slow-new') };
    const source = slowSource(600, telegramKeys);
    simulator = await startSimulator({ keys: [telegramKeys.newKey] });
    const telegram = await createClient('telegram', source, {
      baseURL: simulator.baseURL('telegram'),
      ledger: false,
    });
    client = telegram as KeycardClient<object>;
    const controller = new AbortController();
    // telegraf types the signal as the `abort-controller` polyfill's; Node's own works at run time.
    type TelegrafSignal = Exclude<
      NonNullable<Parameters<typeof telegram.sdk.callApi>[2]>['signal'],
      undefined
    >;
    const signal = controller.signal as unknown as TelegrafSignal;
    const leaving = telegram.sdk.callApi('getMe', {}, { signal });
    const staying = telegram.sdk.getMe();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const error = await rejection(leaving);
    expect(Date.now() - started).toBeLessThan(500);
    const report = reportError(error);
    expect(report.name).toBe('AbortError');
    expect(report.threw).toBeUndefined();
    expect(report.printed).not.toContain(telegramKeys.oldKey);
    expect((await staying).is_bot).toBe(true);
    expect(source.reads).toBe(2);
  });
});
