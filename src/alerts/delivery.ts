/**
 * Alert delivery: each alert the ledger fires (in the one process that won it, see
 * `BaseLedger.alertOnce`) goes to every channel of the ledger's `alerts` option, off the call's
 * path. A channel that is down (network error, timeout, HTTP 5xx or 429) is tried again with
 * backoff (0.5 s, doubling), a bounded number of times; a refused request (4xx, a rejected token:
 * `CredentialError`) is not. What cannot be delivered is reported as a ledger warning (code
 * `KEYCARD_ALERT_UNDELIVERED`), redacted. `close()` waits for pending deliveries up to a
 * deadline. Loaded when a ledger with `alerts` opens, never by `import 'keycard'`.
 * @module
 */
import { createClient, type KeycardClient } from '../client.js';
import { isCredentialError, KeycardError } from '../errors.js';
import { isLoopback } from '../keys/vault/http.js';
import type { BudgetAlert } from '../ledger/budget.js';
import { describeCause } from '../ledger/unavailable.js';
import { redactText } from '../redact/redactor.js';
import { registerSecret } from '../redact/registry.js';
import type { AlertChannel, AlertsOption } from './channels.js';
import { alertPayload, alertText, describeScope } from './text.js';

/** What cannot be delivered, for the ledger to report as a warning. */
export interface UndeliveredAlert {
  message: string;
  channel: string;
  alert: BudgetAlert;
  cause: unknown;
}

interface Sender {
  /** The channel, for messages: no secret (`slack #ops`, `webhook https://hooks.slack.com/…`). */
  readonly name: string;
  send(alert: BudgetAlert, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A failed try, and whether another one may succeed. */
class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
    this.name = 'DeliveryFailure';
  }
}

const BACKOFF_MS = 500;

/** Whether a failed try may succeed later: the channel was down, not refusing. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DeliveryFailure) return error.retry;
  if (isCredentialError(error)) return false;
  if (typeof error !== 'object' || error === null) return true;
  const fields = error as Record<string, unknown>;
  // @slack/web-api: an answer with `ok: false` (channel_not_found, not_in_channel…) is final.
  if (fields['code'] === 'slack_webapi_platform_error') return false;
  const status = [fields['statusCode'], fields['status'], fields['code']].find(
    (value): value is number => typeof value === 'number',
  );
  if (status !== undefined) return status >= 500 || status === 429;
  // A KeycardError that is no transport failure (a closed client, a per-call token) is final.
  if (KeycardError.is(error) && (error as Error).name === 'KeycardError') return false;
  return true;
}

function webhookSender(
  url: string,
  format: 'json' | 'slack' | 'discord' | undefined,
  timeoutMs: number,
): Sender {
  const parsed = new URL(url);
  const shown = `${parsed.protocol}//${parsed.host}/…`;
  // The URL may be the secret (Slack and Discord webhooks): whatever prints it prints `shown`.
  registerSecret(url, shown);
  if (parsed.pathname.length + parsed.search.length > 8)
    registerSecret(`${parsed.pathname}${parsed.search}`, '/…');
  const host = parsed.hostname.toLowerCase();
  const chosen =
    format ??
    (host === 'hooks.slack.com'
      ? 'slack'
      : /(^|\.)discord(app)?\.com$/.test(host) && parsed.pathname.includes('/webhooks/')
        ? 'discord'
        : 'json');
  return {
    name: `webhook ${shown}`,
    async send(alert, signal) {
      const text = alertText(alert);
      const body =
        chosen === 'slack'
          ? { text }
          : chosen === 'discord'
            ? { content: text.slice(0, 2000) }
            : alertPayload(alert);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'keycard-alerts' },
          body: JSON.stringify(body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          redirect: 'error',
        });
      } catch (error) {
        const reason = signal.aborted ? 'given up' : describeCause(error);
        throw new DeliveryFailure(`no answer from ${shown}: ${reason}`, !signal.aborted);
      }
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return;
      const retry = response.status >= 500 || response.status === 429;
      throw new DeliveryFailure(`${shown} answered HTTP ${response.status}`, retry);
    },
    async close() {},
  };
}

const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

/** A keycard client for a chat channel, made at the first alert (and again after a failure). */
function lazyClient<P extends 'slack' | 'telegram'>(
  provider: P,
  key: unknown,
  baseURL: string | undefined,
  timeoutMs: number,
): { get(): Promise<KeycardClient<never>>; close(): Promise<void> } {
  let client: Promise<KeycardClient<never>> | undefined;
  return {
    get() {
      client ??= (
        createClient(provider, key as string, {
          ledger: false,
          maxRetries: 0,
          timeout: timeoutMs,
          telemetry: false,
          // What fails is reported once, as the ledger's warning: the SDK's own lines stay quiet.
          logger: QUIET,
          ...(baseURL === undefined ? {} : { baseURL }),
        }) as unknown as Promise<KeycardClient<never>>
      ).catch((error: unknown) => {
        client = undefined;
        throw error;
      });
      return client;
    },
    async close() {
      const open = client;
      client = undefined;
      await (await open?.catch(() => undefined))?.close().catch(() => undefined);
    },
  };
}

function slackSender(
  options: { channel: string; key: unknown; baseURL?: string | undefined },
  timeoutMs: number,
): Sender {
  const client = lazyClient('slack', options.key, options.baseURL, timeoutMs);
  return {
    name: `slack ${options.channel}`,
    async send(alert) {
      const { sdk } = (await client.get()) as unknown as KeycardClient<import('@slack/web-api').WebClient>;
      await sdk.chat.postMessage({ channel: options.channel, text: alertText(alert), unfurl_links: false });
    },
    close: () => client.close(),
  };
}

function telegramSender(
  options: { chatId: string | number; key: unknown; baseURL?: string | undefined },
  timeoutMs: number,
): Sender {
  const client = lazyClient('telegram', options.key, options.baseURL, timeoutMs);
  return {
    name: `telegram chat ${options.chatId}`,
    async send(alert) {
      const { sdk } = (await client.get()) as unknown as KeycardClient<import('telegraf').Telegram>;
      await sdk.sendMessage(options.chatId, alertText(alert), {
        link_preview_options: { is_disabled: true },
      });
    },
    close: () => client.close(),
  };
}

function senderFor(channel: AlertChannel, timeoutMs: number): Sender {
  if ('webhook' in channel) {
    // Not `new URL()`'s own error: it carries the whole address, which may hold a secret.
    const url = URL.canParse(channel.webhook.url) ? new URL(channel.webhook.url) : undefined;
    if (url === undefined) throw new KeycardError('alerts: a webhook URL cannot be parsed.');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
      throw new KeycardError('alerts: a webhook URL is https:// (http:// only on this machine).');
    }
    return webhookSender(channel.webhook.url, channel.webhook.format, timeoutMs);
  }
  if ('slack' in channel) return slackSender(channel.slack, timeoutMs);
  return telegramSender(channel.telegram, timeoutMs);
}

/** Sleeps `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `promise`, or a rejection when `signal` aborts first (a chat client's call cannot be aborted). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new DeliveryFailure('given up', false));
  let stop: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(new DeliveryFailure('given up', false));
    signal.addEventListener('abort', stop, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => {
    if (stop !== undefined) signal.removeEventListener('abort', stop);
  });
}

/** Sends alerts to the channels of a ledger's `alerts` option. */
export class AlertDelivery {
  readonly #senders: Sender[];
  readonly #maxRetries: number;
  readonly #closeTimeoutMs: number;
  readonly #pending = new Set<Promise<void>>();
  readonly #giveUp = new AbortController();
  readonly #report: (undelivered: UndeliveredAlert) => void;
  #closed = false;

  constructor(option: AlertsOption, report: (undelivered: UndeliveredAlert) => void) {
    const settings = Array.isArray(option)
      ? { to: option as readonly AlertChannel[] }
      : (option as Exclude<AlertsOption, readonly AlertChannel[]>);
    const timeoutMs = settings.timeoutMs ?? 10_000;
    this.#maxRetries = settings.maxRetries ?? 3;
    this.#closeTimeoutMs = settings.closeTimeoutMs ?? 5_000;
    this.#senders = settings.to.map((channel) => senderFor(channel, timeoutMs));
    this.#report = report;
  }

  /** The channels, as messages name them. */
  get channels(): readonly string[] {
    return this.#senders.map((sender) => sender.name);
  }

  /** Queues `alert` for every channel; returns at once and never throws. */
  deliver(alert: BudgetAlert): void {
    if (this.#closed) return;
    for (const sender of this.#senders) {
      const job = this.#send(sender, alert).finally(() => this.#pending.delete(job));
      this.#pending.add(job);
    }
  }

  async #send(sender: Sender, alert: BudgetAlert): Promise<void> {
    const signal = this.#giveUp.signal;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await untilAborted(sender.send(alert, signal), signal);
        return;
      } catch (error) {
        const last = signal.aborted || attempt >= this.#maxRetries || !isRetryable(error);
        if (!last) {
          await pause(BACKOFF_MS * 2 ** attempt, signal);
          if (!signal.aborted) continue;
        }
        this.#fail(sender, alert, error, attempt + 1, signal.aborted);
        return;
      }
    }
  }

  #fail(sender: Sender, alert: BudgetAlert, error: unknown, tries: number, closing: boolean): void {
    const what =
      alert.kind === 'threshold'
        ? `budget "${alert.budget ?? ''}" at ${Math.round((alert.threshold ?? 0) * 100)} % for ${describeScope(alert)}`
        : `unusual spend on ${describeScope(alert)}`;
    const reason = redactText(describeCause(error)).replace(/\.$/, '');
    const when = closing
      ? `the ledger closed before it went through (after ${tries} ${tries === 1 ? 'try' : 'tries'})`
      : `${tries} ${tries === 1 ? 'try' : 'tries'}`;
    const hint = isCredentialError(error)
      ? ' Check the alert channel\u2019s token.'
      : isRetryable(error)
        ? ''
        : ' Check the alert channel\u2019s settings.';
    this.#report({
      message: `keycard: the alert (${what}) could not be delivered to ${sender.name}: ${reason}; ${when}.${hint}`,
      channel: sender.name,
      alert,
      cause: error,
    });
  }

  /** Waits for pending deliveries, at most `closeTimeoutMs`; gives up the rest (reported), closes the clients. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#closeTimeoutMs);
      });
      await Promise.race([Promise.allSettled([...this.#pending]), deadline]);
      clearTimeout(timer);
      this.#giveUp.abort();
      await Promise.allSettled([...this.#pending]);
    }
    await Promise.allSettled(this.#senders.map((sender) => sender.close()));
  }
}
