/**
 * Alerts delivered to a person: budget threshold and anomaly alerts go to a webhook (a local
 * receiver over HTTP), to Slack (`chat.postMessage` through keycard's Slack client, the real
 * @slack/web-api, to the simulator) and to Telegram (`sendMessage` through keycard's Telegram
 * client, telegraf, to the simulator). A recording proxy in front of the simulator keeps the
 * bodies, so that the tests read the messages as sent. Faults: a channel down, a 500 then an
 * answer, a 400, a revoked token, a channel slower than close()'s deadline; none fails a call, and
 * no token or secret webhook path is in any warning.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AlertChannel,
  type AlertsOption,
  alertToSlack,
  alertToTelegram,
  alertToWebhook,
} from '../../src/alerts/channels.js';
import { createClient } from '../../src/client.js';
import { isCredentialError, KeycardError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import type { BaseLedger } from '../../src/ledger/base.js';
import type { Budget, BudgetAlert } from '../../src/ledger/budget.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { openLedger } from '../../src/ledger/open.js';
import type { LedgerWarning } from '../../src/ledger/unavailable.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import {
  type Receiver,
  type RecordingProxy,
  startReceiver,
  startRecordingProxy,
} from '../helpers/alert-receiver.js';
import { testKey } from '../helpers/keys.js';
import { usageEvent } from '../helpers/ledgers.js';

const openaiKey = testKey('openai', 'alerts');
const slackToken = testKey('slack', 'alerts');
const telegramToken = testKey('telegram', 'alerts');
/** The secret part of a webhook URL, as Slack's and Discord's carry one. */
const hookSecret = `hook-${testKey('openai', 'hook').slice(-24)}`;

let simulator: Simulator;
let proxy: RecordingProxy;
let receiver: Receiver;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  simulator = await startSimulator({ keys: [openaiKey, slackToken, telegramToken] });
  proxy = await startRecordingProxy(simulator.url);
  receiver = await startReceiver();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await receiver.close();
  await proxy.close();
  await simulator.close();
});

const viaProxy = (provider: 'slack' | 'telegram') =>
  simulator.baseURL(provider).replace(simulator.url, proxy.url);
const hookUrl = () => `${receiver.url}/services/${hookSecret}`;
const slackChannel = (key: string = slackToken): AlertChannel =>
  alertToSlack({ channel: '#ops', key: keys.literal(key), baseURL: viaProxy('slack') });
const telegramChannel = (): AlertChannel =>
  alertToTelegram({ chatId: '4242', key: keys.literal(telegramToken), baseURL: viaProxy('telegram') });

interface Run {
  ledger: BaseLedger;
  alerts: BudgetAlert[];
  warnings: LedgerWarning[];
  /** Makes `calls` calls under a budget of 4 requests a month (alerts at 50 % and 100 %). */
  spend(calls: number): Promise<{ ok: number; refused: number }>;
}

/** A memory ledger with `alerts`, and an OpenAI client on the simulator with a request quota. */
async function setup(
  alerts: AlertsOption,
  budget: Budget = { name: 'team quota', requests: 4, alertAt: [0.5, 1] },
  workflow?: string,
): Promise<Run> {
  const ledger = await openLedger('memory:', { alerts, flushIntervalMs: 5 });
  const alertsSeen: BudgetAlert[] = [];
  const warnings: LedgerWarning[] = [];
  ledger.on('alert', (alert) => alertsSeen.push(alert));
  ledger.on('warning', (warning) => warnings.push(warning));
  const client = await createClient('openai', keys.literal(openaiKey), {
    baseURL: simulator.baseURL('openai'),
    ledger,
    maxRetries: 0,
    budget,
    ...(workflow === undefined ? {} : { workflow }),
  });
  cleanups.push(() => ledger.close());
  cleanups.push(() => client.close());
  return {
    ledger,
    alerts: alertsSeen,
    warnings,
    async spend(calls) {
      let ok = 0;
      let refused = 0;
      for (let index = 0; index < calls; index += 1) {
        try {
          await client.sdk.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'hi' }],
          });
          ok += 1;
        } catch (error) {
          if (!KeycardError.is(error)) throw error;
          refused += 1;
        }
      }
      return { ok, refused };
    },
  };
}

/** Everything a warning holds, as a logger would print it. */
const printed = (warnings: readonly LedgerWarning[]) =>
  warnings.map((warning) => inspect(warning, { depth: 8 })).join('\n');

function expectNoSecret(text: string) {
  expect(text).not.toContain(slackToken);
  expect(text).not.toContain(telegramToken);
  expect(text).not.toContain(openaiKey);
  expect(text).not.toContain(hookSecret);
}

describe('alert channels', () => {
  it('POSTs each threshold alert once to a webhook, as documented JSON', async () => {
    const run = await setup([alertToWebhook(hookUrl())]);
    expect(await run.spend(5)).toEqual({ ok: 4, refused: 1 });
    await run.ledger.close();
    expect(receiver.received).toHaveLength(2);
    const bodies = receiver.received.map((item) => JSON.parse(item.body));
    expect(bodies.map((body) => body.threshold).sort()).toEqual([0.5, 1]);
    const full = bodies.find((body) => body.threshold === 1);
    const maskedId = run.alerts[0]?.key;
    expect(maskedId).toMatch(/\*{4}/);
    expect(full).toMatchObject({
      kind: 'threshold',
      budget: 'team quota',
      key: maskedId,
      spend: { requests: 4 },
      limit: { requests: 4, usd: null, tokens: null },
      period: 'month',
    });
    expect(full.scope).toMatch(/^key:/);
    expect(new Date(full.periodStart).getUTCDate()).toBe(1);
    expect(full.text).toContain('"team quota" is at 100 %');
    expect(full.text).toContain(`key ${maskedId}`);
    expect(full.text).toContain('4 of 4 requests this month');
    expect(full.text).toContain('What to do');
    expect(receiver.received[0]?.headers['content-type']).toBe('application/json');
    expect(receiver.received[0]?.path).toBe(`/services/${hookSecret}`);
    expect(run.warnings).toEqual([]);
    expectNoSecret(JSON.stringify(bodies));
  });

  it("sends Slack's { text } to a Slack incoming-webhook format", async () => {
    const run = await setup([alertToWebhook(hookUrl(), { format: 'slack' })]);
    await run.spend(2);
    await run.ledger.close();
    expect(receiver.received.map((item) => Object.keys(JSON.parse(item.body)))).toEqual([['text']]);
    expect(JSON.parse(receiver.received[0]?.body ?? '{}').text).toContain('is at 50 %');
  });

  it('names a workflow scope by its workflow, and a USD limit in dollars', async () => {
    const run = await setup(
      [alertToWebhook(hookUrl())],
      { scope: 'workflow', usd: 0.000001, period: 'day', alertAt: [1], onExceed: 'warn' },
      'nightly-summary',
    );
    await run.spend(1);
    await run.ledger.close();
    const [body] = receiver.received.map((item) => JSON.parse(item.body));
    expect(body).toMatchObject({ scope: 'workflow:nightly-summary', key: null, period: 'day', threshold: 1 });
    expect(body.limit).toEqual({ usd: 0.000001, requests: null, tokens: null });
    expect(body.text).toContain('for workflow "nightly-summary"');
    expect(body.text).toMatch(/Spent \$[\d.]+ of \$0\.000001 today/);
  });

  it("sends Discord's { content } to a Discord webhook format", async () => {
    const run = await setup([{ webhook: { url: hookUrl(), format: 'discord' } }]);
    await run.spend(2);
    await run.ledger.close();
    const [body] = receiver.received.map((item) => JSON.parse(item.body));
    expect(Object.keys(body)).toEqual(['content']);
    expect(body.content).toContain('is at 50 %');
  });

  it('posts each alert once to a Slack channel through keycard’s Slack client', async () => {
    const run = await setup([slackChannel()]);
    await run.spend(4);
    await run.ledger.close();
    const posts = proxy.bodies('/chat.postMessage').map((body) => new URLSearchParams(body));
    expect(posts).toHaveLength(2);
    expect(posts.map((post) => post.get('channel'))).toEqual(['#ops', '#ops']);
    const texts = posts.map((post) => post.get('text') ?? '');
    expect(texts.filter((text) => text.includes('is at 50 %'))).toHaveLength(1);
    expect(texts.filter((text) => text.includes('is at 100 %'))).toHaveLength(1);
    expect(texts[0]).toContain(`key ${run.alerts[0]?.key}`);
    const slack = simulator.requests.filter((request) => request.provider === 'slack');
    expect(slack.map((request) => request.status)).toEqual([200, 200]);
    expect(slack.every((request) => request.keyAccepted)).toBe(true);
    expect(run.warnings).toEqual([]);
    expectNoSecret(texts.join('\n'));
  });

  it('sends each alert once to a Telegram chat through keycard’s Telegram client', async () => {
    const run = await setup([telegramChannel()]);
    await run.spend(4);
    await run.ledger.close();
    const sent = proxy.bodies('/sendMessage').map((body) => JSON.parse(body));
    expect(sent).toHaveLength(2);
    expect(sent.map((body) => String(body.chat_id))).toEqual(['4242', '4242']);
    expect(sent.map((body) => body.text).join('\n')).toContain('"team quota" is at 100 %');
    const telegram = simulator.requests.filter((request) => request.provider === 'telegram');
    expect(telegram.map((request) => request.status)).toEqual([200, 200]);
    expect(run.warnings).toEqual([]);
  });

  it('delivers to every channel at once: one message per alert per channel', async () => {
    const run = await setup([alertToWebhook(hookUrl()), slackChannel(), telegramChannel()]);
    await run.spend(4);
    await run.ledger.close();
    expect(receiver.received).toHaveLength(2);
    expect(proxy.bodies('/chat.postMessage')).toHaveLength(2);
    expect(proxy.bodies('/sendMessage')).toHaveLength(2);
  });

  it('delivers the anomaly alert, naming the key by its masked id', async () => {
    const ledger = new MemoryLedger({
      alerts: [alertToWebhook(hookUrl())],
      anomaly: { multiple: 2, windowHours: 24, minUsd: 1 },
    });
    cleanups.push(() => ledger.close());
    ledger.record(
      usageEvent({ time: new Date(), costUsd: 3, keyFingerprint: 'f00d', maskedId: 'sk-proj-****f00d' }),
    );
    await ledger.flush();
    await ledger.close();
    expect(receiver.received).toHaveLength(1);
    const body = JSON.parse(receiver.received[0]?.body ?? '{}');
    expect(body).toMatchObject({
      kind: 'anomaly',
      scope: 'key:f00d',
      key: 'sk-proj-****f00d',
      period: 'hour',
    });
    expect(body.text).toContain('unusual spend on key sk-proj-****f00d');
    expect(body.text).toContain('rotate the key');
  });
});

describe('alert delivery faults never fail a call', () => {
  it('reports a channel that is down after its retries, without its secret path', async () => {
    const down = await startReceiver();
    const url = `${down.url}/services/${hookSecret}`;
    await down.close();
    const run = await setup({ to: [alertToWebhook(url)], maxRetries: 1 });
    expect(await run.spend(4)).toEqual({ ok: 4, refused: 0 });
    await run.ledger.close();
    expect(run.warnings.map((warning) => warning.code)).toEqual([
      'KEYCARD_ALERT_UNDELIVERED',
      'KEYCARD_ALERT_UNDELIVERED',
    ]);
    expect(run.warnings[0]?.message).toMatch(
      /could not be delivered to webhook http:\/\/127\.0\.0\.1:\d+\/…: no answer/,
    );
    expect(run.warnings[0]?.message).toContain('2 tries');
    expect(run.warnings[0]?.channel).toMatch(/^webhook /);
    expectNoSecret(printed(run.warnings));
  });

  it('tries again after a 500, and delivers once', async () => {
    receiver.answers.push({ status: 500 }, { status: 503 });
    const run = await setup([alertToWebhook(hookUrl())]);
    await run.spend(2);
    await run.ledger.close();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((item) => item.body)).size).toBe(1);
    expect(run.warnings).toEqual([]);
  });

  it('does not try again after a 400', async () => {
    receiver.answers.push({ status: 400 });
    const run = await setup([alertToWebhook(hookUrl())]);
    await run.spend(2);
    await run.ledger.close();
    expect(receiver.received).toHaveLength(1);
    expect(run.warnings.map((warning) => warning.message)).toEqual([
      expect.stringMatching(/answered HTTP 400; 1 try\. Check the alert channel/),
    ]);
  });

  it('tries Slack again after a server error', async () => {
    simulator.failNext('server_error', { provider: 'slack' });
    const run = await setup([slackChannel()]);
    await run.spend(2);
    await run.ledger.close();
    const slack = simulator.requests.filter((request) => request.provider === 'slack');
    expect(slack.map((request) => request.status)).toEqual([500, 200]);
    expect(run.warnings).toEqual([]);
  });

  it('reports a revoked Slack token as a CredentialError, once, with no token in it', async () => {
    simulator.revokeKey(slackToken);
    const run = await setup([slackChannel()]);
    expect(await run.spend(2)).toEqual({ ok: 2, refused: 0 });
    await run.ledger.close();
    expect(run.warnings).toHaveLength(1);
    const [warning] = run.warnings;
    expect(isCredentialError(warning?.cause)).toBe(true);
    expect((warning?.cause as { reason?: string } | undefined)?.reason).toBe('unauthorized');
    expect(warning?.message).toContain('slack #ops');
    expect(warning?.message).toContain('Check the alert channel’s token');
    // No retry of a rejected token.
    expect(simulator.requests.filter((request) => request.provider === 'slack')).toHaveLength(1);
    expectNoSecret(printed(run.warnings));
  });

  it('tries Telegram again after a server error', async () => {
    simulator.failNext('server_error', { provider: 'telegram' });
    const run = await setup([telegramChannel()]);
    await run.spend(2);
    await run.ledger.close();
    const telegram = simulator.requests.filter((request) => request.provider === 'telegram');
    expect(telegram.map((request) => request.status)).toEqual([502, 200]);
    expect(run.warnings).toEqual([]);
  });

  it('reports a revoked Telegram bot token as a CredentialError, without retrying', async () => {
    simulator.revokeKey(telegramToken);
    const run = await setup([telegramChannel()]);
    expect(await run.spend(2)).toEqual({ ok: 2, refused: 0 });
    await run.ledger.close();
    const telegram = simulator.requests.filter((request) => request.provider === 'telegram');
    expect(telegram.map((request) => request.status)).toEqual([401]);
    expect(run.warnings).toHaveLength(1);
    expect((run.warnings[0]?.cause as { reason?: string } | undefined)?.reason).toBe('unauthorized');
    expect(run.warnings[0]?.message).toContain('telegram chat 4242');
    expectNoSecret(printed(run.warnings));
  });

  it('reports a Telegram token source that holds no token as a CredentialError', async () => {
    const run = await setup([
      alertToTelegram({
        chatId: '4242',
        key: 'env:KEYCARD_TEST_NO_SUCH_TELEGRAM_TOKEN',
        baseURL: viaProxy('telegram'),
      }),
    ]);
    await run.spend(2);
    await run.ledger.close();
    expect(run.warnings).toHaveLength(1);
    expect(isCredentialError(run.warnings[0]?.cause)).toBe(true);
    expect(run.warnings[0]?.message).toContain('telegram chat 4242');
    expect(run.warnings[0]?.message).toContain('KEYCARD_TEST_NO_SUCH_TELEGRAM_TOKEN');
  });

  it('gives up a delivery slower than the close deadline, and says so', async () => {
    receiver.answers.push({ status: 204, delayMs: 10_000 });
    const run = await setup({ to: [alertToWebhook(hookUrl())], closeTimeoutMs: 100 });
    expect(await run.spend(2)).toEqual({ ok: 2, refused: 0 });
    await run.ledger.close();
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]?.message).toContain('the ledger closed before it went through');
    expectNoSecret(printed(run.warnings));
  });

  it('a Slack channel that hangs is given up at close too', async () => {
    simulator.failNext('hang', { provider: 'slack', times: Infinity });
    const run = await setup({ to: [slackChannel()], closeTimeoutMs: 100 });
    expect(await run.spend(2)).toEqual({ ok: 2, refused: 0 });
    await run.ledger.close();
    expect(run.warnings.map((warning) => warning.message)).toEqual([
      expect.stringContaining('could not be delivered to slack #ops'),
    ]);
  });
});

describe('the alerts option', () => {
  it('is checked: a mistyped channel names the option', async () => {
    await expect(
      openLedger('memory:', { alerts: [{ slack: { channel: '#ops' } }] as never }),
    ).rejects.toThrow(/openLedger: options\.alerts.* must be an array of alert channels/);
    await expect(
      openLedger('memory:', { alerts: [alertToWebhook('http://alerts.example.com/x')] }),
    ).rejects.toThrow(/options\.alerts.*https:\/\//);
    await expect(openLedger('memory:', { alert: [] } as never)).rejects.toThrow(
      /Did you mean options\.alerts\?/,
    );
  });

  it('does not print a webhook URL given in a message, once registered', async () => {
    const run = await setup([alertToWebhook(hookUrl())]);
    const { redactText } = await import('../../src/redact/redactor.js');
    await run.ledger.alertDelivery;
    expect(redactText(`posting to ${hookUrl()}`)).not.toContain(hookSecret);
  });
});
