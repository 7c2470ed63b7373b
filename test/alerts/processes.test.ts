/**
 * Four processes (forked workers) share a ledger, a request quota and alert channels, on a real
 * SQLite file and on a real PostgreSQL schema of their own: each threshold alert is claimed by one
 * of them through the store, and delivered exactly once to the webhook, to Slack and to Telegram
 * (through the simulator, over HTTP). Nothing any worker prints holds a token or the webhook's
 * secret path.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import {
  type Receiver,
  type RecordingProxy,
  startReceiver,
  startRecordingProxy,
} from '../helpers/alert-receiver.js';
import type { AlertWorkerConfig, AlertWorkerResult } from '../helpers/alert-worker.js';
import { testKey } from '../helpers/keys.js';
import { testLedger } from '../helpers/ledgers.js';

const WORKER = join(import.meta.dirname, '../helpers/alert-worker.ts');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const openaiKey = testKey('openai', 'alert-processes');
const slackToken = testKey('slack', 'alert-processes');
const telegramToken = testKey('telegram', 'alert-processes');
const hookSecret = `hook-${testKey('openai', 'alert-processes-hook').slice(-24)}`;

/** Runs one worker; resolves with its result and everything it printed. */
function runWorker(config: AlertWorkerConfig): Promise<{ result: AlertWorkerResult; printed: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [JSON.stringify(config)], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        BUDGET_KEY: openaiKey,
        SLACK_ALERT_TOKEN: slackToken,
        TELEGRAM_ALERT_TOKEN: telegramToken,
      },
      silent: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`worker exited ${code}: ${stderr}`));
      resolve({ result: JSON.parse(stdout) as AlertWorkerResult, printed: stdout + stderr });
    });
  });
}

async function channels(): Promise<{ simulator: Simulator; proxy: RecordingProxy; receiver: Receiver }> {
  const simulator = await startSimulator({ keys: [openaiKey, slackToken, telegramToken] });
  cleanups.push(() => simulator.close());
  const proxy = await startRecordingProxy(simulator.url);
  cleanups.push(() => proxy.close());
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  return { simulator, proxy, receiver };
}

describe.each(['sqlite', 'postgres'] as const)('alerts of four processes on %s', (backend) => {
  it('delivers each threshold alert exactly once per channel', async () => {
    const item = await testLedger(backend);
    cleanups.push(() => item.cleanup());
    const { simulator, proxy, receiver } = await channels();
    const quota = 60;
    const config: AlertWorkerConfig = {
      ledger: item.url,
      openaiURL: simulator.baseURL('openai'),
      slackURL: simulator.baseURL('slack').replace(simulator.url, proxy.url),
      telegramURL: simulator.baseURL('telegram').replace(simulator.url, proxy.url),
      webhookURL: `${receiver.url}/services/${hookSecret}`,
      quota,
      concurrency: 3,
    };
    const runs = await Promise.all([1, 2, 3, 4].map(() => runWorker(config)));
    const results = runs.map((run) => run.result);
    expect(results.reduce((total, result) => total + result.ok, 0)).toBe(quota);
    // Each alert was claimed by exactly one process…
    expect(results.flatMap((result) => result.fired).sort()).toEqual([0.25, 0.5, 1]);
    expect(results.flatMap((result) => result.warnings)).toEqual([]);
    // …and reached each channel once.
    const hooks = receiver.received.map((received) => JSON.parse(received.body));
    expect(hooks.map((body) => body.threshold).sort()).toEqual([0.25, 0.5, 1]);
    expect(hooks.every((body) => body.budget === 'shared quota' && body.limit.requests === quota)).toBe(true);
    const slack = proxy
      .bodies('/chat.postMessage')
      .map((body) => new URLSearchParams(body).get('text') ?? '');
    expect(slack.map((text) => /is at (\d+) %/.exec(text)?.[1]).sort()).toEqual(['100', '25', '50']);
    const telegram = proxy.bodies('/sendMessage').map((body) => JSON.parse(body).text as string);
    expect(telegram.map((text) => /is at (\d+) %/.exec(text)?.[1]).sort()).toEqual(['100', '25', '50']);
    const printed = runs.map((run) => run.printed).join('\n');
    for (const secret of [openaiKey, slackToken, telegramToken, hookSecret])
      expect(printed).not.toContain(secret);
  }, 180_000);
});

describe('a program that ends without close()', () => {
  it('still delivers its alerts before it exits', async () => {
    const { simulator, proxy, receiver } = await channels();
    const { result } = await runWorker({
      ledger: 'memory:',
      openaiURL: simulator.baseURL('openai'),
      slackURL: simulator.baseURL('slack').replace(simulator.url, proxy.url),
      telegramURL: simulator.baseURL('telegram').replace(simulator.url, proxy.url),
      webhookURL: `${receiver.url}/services/${hookSecret}`,
      quota: 8,
      concurrency: 1,
      close: false,
    });
    expect(result.fired.sort()).toEqual([0.25, 0.5, 1]);
    expect(receiver.received).toHaveLength(3);
    expect(proxy.bodies('/chat.postMessage')).toHaveLength(3);
    expect(proxy.bodies('/sendMessage')).toHaveLength(3);
  }, 60_000);
});
