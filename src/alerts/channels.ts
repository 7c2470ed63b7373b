/**
 * Where a budget or anomaly alert goes, for a person to read: a webhook, a Slack channel, a
 * Telegram chat. A channel is a plain object (`{ slack: { channel, key } }`); the helpers
 * `alertToWebhook`, `alertToSlack` and `alertToTelegram` build the same objects with types.
 * Nothing here loads an SDK: delivery (`delivery.ts`) is loaded when the first alert fires.
 * @module
 */
import type { KeySource } from '../keys/types.js';

/** A webhook that receives each alert as an HTTP POST. */
export interface WebhookAlertChannel {
  webhook: {
    /**
     * The `https://` (or, on loopback, `http://`) URL to POST to. Treated as a secret (a Slack
     * or Discord webhook URL is one): it is never printed in clear, warnings show its host only.
     */
    url: string;
    /**
     * The body: `json`, keycard's alert as JSON (`kind`, `budget`, `scope`, `key`, `threshold`,
     * `spend`, `limit`, `periodStart`, `message`, `text`); `slack`, Slack's incoming-webhook
     * `{ text }`; `discord`, Discord's `{ content }`.
     * @default 'slack' for `https://hooks.slack.com/…`, 'discord' for Discord webhook URLs, else 'json'
     */
    format?: 'json' | 'slack' | 'discord' | undefined;
  };
}

/** A Slack channel, posted to with `chat.postMessage` through keycard's Slack client. */
export interface SlackAlertChannel {
  slack: {
    /** The channel's id or name (`C0123456789`, `#ops`); the bot must be a member. */
    channel: string;
    /**
     * The bot token's key source (`'env:SLACK_ALERT_TOKEN'`, `keys.vault(…)`): the same
     * sources, redaction and `CredentialError` as `createClient('slack', key)`.
     */
    key: KeySource | string;
    /** Slack's API root, for a proxy or a simulator. @default 'https://slack.com/api/' */
    baseURL?: string | undefined;
  };
}

/** A Telegram chat, sent to with `sendMessage` through keycard's Telegram client. */
export interface TelegramAlertChannel {
  telegram: {
    /** The chat's id (a number, as a string or a number) or `@channelusername`. */
    chatId: string | number;
    /** The bot token's key source, as for `createClient('telegram', key)`. */
    key: KeySource | string;
    /** The Bot API root, for a proxy or a simulator. @default 'https://api.telegram.org/' */
    baseURL?: string | undefined;
  };
}

/** One place an alert is delivered to. */
export type AlertChannel = WebhookAlertChannel | SlackAlertChannel | TelegramAlertChannel;

/**
 * The `alerts` option of `openLedger()`: the channels, or the channels with delivery settings.
 */
export type AlertsOption =
  | readonly AlertChannel[]
  | {
      /** Where each alert goes. */
      to: readonly AlertChannel[];
      /**
       * Tries after the first, for a channel that is down (network error, timeout, HTTP 5xx or
       * 429), 0.5 s apart, doubling. A refused request (4xx, a rejected token) is not retried.
       * @default 3
       */
      maxRetries?: number | undefined;
      /** How long one try may take, in milliseconds. @default 10000 */
      timeoutMs?: number | undefined;
      /**
       * How long `ledger.close()` waits for deliveries still pending; what is left then is given
       * up, with a warning.
       * @default 5000
       */
      closeTimeoutMs?: number | undefined;
    };

/**
 * An alert channel that POSTs each alert to `url` (see `WebhookAlertChannel`).
 *
 * @example
 * import { alertToWebhook, openLedger } from 'keycard';
 *
 * const ledger = await openLedger('sqlite:./usage.db', {
 *   alerts: [alertToWebhook('https://alerts.example.com/keycard')],
 * });
 */
export function alertToWebhook(
  url: string,
  options: { format?: WebhookAlertChannel['webhook']['format'] } = {},
): WebhookAlertChannel {
  return { webhook: { url, ...options } };
}

/**
 * An alert channel that posts each alert to a Slack channel (see `SlackAlertChannel`).
 *
 * @example
 * import { alertToSlack, openLedger } from 'keycard';
 *
 * const ledger = await openLedger('sqlite:./usage.db', {
 *   alerts: [alertToSlack({ channel: '#ops', key: 'env:SLACK_ALERT_TOKEN' })],
 * });
 */
export function alertToSlack(options: SlackAlertChannel['slack']): SlackAlertChannel {
  return { slack: options };
}

/**
 * An alert channel that sends each alert to a Telegram chat (see `TelegramAlertChannel`).
 *
 * @example
 * import { alertToTelegram, openLedger } from 'keycard';
 *
 * const ledger = await openLedger('sqlite:./usage.db', {
 *   alerts: [alertToTelegram({ chatId: '123456789', key: 'env:TELEGRAM_ALERT_TOKEN' })],
 * });
 */
export function alertToTelegram(options: TelegramAlertChannel['telegram']): TelegramAlertChannel {
  return { telegram: options };
}
