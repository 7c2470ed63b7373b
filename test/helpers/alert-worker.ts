/**
 * A worker for the alert tests (forked with `--import tsx`): one of several processes sharing a
 * ledger (argv[2]: a JSON `AlertWorkerConfig`) and a request quota, with the ledger's alerts
 * going to a webhook, Slack and Telegram. Keys come in the environment: BUDGET_KEY for OpenAI,
 * SLACK_ALERT_TOKEN and TELEGRAM_ALERT_TOKEN for the channels (read through 'env:' sources).
 * `concurrency` loops call until each is refused once; then it closes (which flushes the
 * deliveries) and prints an `AlertWorkerResult`; or, with `close: false`, just ends.
 */
import { alertToSlack, alertToTelegram, alertToWebhook } from '../../src/alerts/channels.js';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { BudgetExceededError } from '../../src/ledger/budget.js';
import { openLedger } from '../../src/ledger/open.js';

export interface AlertWorkerConfig {
  ledger: string;
  openaiURL: string;
  slackURL: string;
  telegramURL: string;
  webhookURL: string;
  quota: number;
  concurrency: number;
  /** `false`: end without closing the client or the ledger (the program's natural end). */
  close?: boolean;
}

export interface AlertWorkerResult {
  ok: number;
  blocked: number;
  /** Thresholds of the alerts this process fired (and so delivered). */
  fired: number[];
  warnings: string[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as AlertWorkerConfig;
const ledger = await openLedger(config.ledger, {
  flushIntervalMs: 5,
  alerts: [
    alertToWebhook(config.webhookURL),
    alertToSlack({ channel: '#ops', key: 'env:SLACK_ALERT_TOKEN', baseURL: config.slackURL }),
    alertToTelegram({ chatId: 4242, key: 'env:TELEGRAM_ALERT_TOKEN', baseURL: config.telegramURL }),
  ],
});
const result: AlertWorkerResult = { ok: 0, blocked: 0, fired: [], warnings: [] };
ledger.on('alert', (alert) => result.fired.push(alert.threshold ?? 0));
ledger.on('warning', (warning) => result.warnings.push(warning.message));
const client = await createClient('openai', keys.env('BUDGET_KEY'), {
  baseURL: config.openaiURL,
  ledger,
  maxRetries: 0,
  budget: { name: 'shared quota', requests: config.quota, period: 'day', alertAt: [0.25, 0.5, 1] },
});
await Promise.all(
  Array.from({ length: config.concurrency }, async () => {
    for (;;) {
      try {
        await client.sdk.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        });
        result.ok += 1;
      } catch (error) {
        if (!BudgetExceededError.is(error)) throw error;
        result.blocked += 1;
        return;
      }
    }
  }),
);
if (config.close !== false) {
  await client.close();
  await ledger.close();
  process.stdout.write(JSON.stringify(result));
} else {
  process.on('exit', () => process.stdout.write(JSON.stringify(result)));
}
