/**
 * The zod schema of `openLedger()`'s `alerts` option (`src/options.ts` checks it), written with
 * `zod/mini` like the other option schemas, and loaded with them.
 * @module
 */
import * as z from 'zod/mini';

const keySource = () =>
  z.union([
    z.string().check(z.minLength(1)),
    z.custom((value) => {
      if (typeof value !== 'object' || value === null) return false;
      const source = value as Record<string, unknown>;
      return typeof source['describe'] === 'function' && typeof source['resolve'] === 'function';
    }),
  ]);
const webUrl = () =>
  z.string().check(z.refine((value) => URL.canParse(value) && /^https?:$/i.test(new URL(value).protocol)));

/** A webhook: `https://`, or `http://` on this machine (a local relay, a test receiver). */
const webhookUrl = () =>
  z.string().check(
    z.refine((value) => {
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      const local = host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
      return url.protocol === 'https:' || (url.protocol === 'http:' && local);
    }),
  );

const channel = () =>
  z.union([
    z.strictObject({
      webhook: z.strictObject({
        url: webhookUrl(),
        format: z.optional(z.enum(['json', 'slack', 'discord'])),
      }),
    }),
    z.strictObject({
      slack: z.strictObject({
        channel: z.string().check(z.minLength(1)),
        key: keySource(),
        baseURL: z.optional(webUrl()),
      }),
    }),
    z.strictObject({
      telegram: z.strictObject({
        chatId: z.union([z.string().check(z.minLength(1)), z.int()]),
        key: keySource(),
        baseURL: z.optional(webUrl()),
      }),
    }),
  ]);

/** `alerts`: channels, or `{ to: channels, maxRetries, timeoutMs, closeTimeoutMs }`. */
export const alertsSchema = () =>
  z.union([
    z.array(channel()),
    z.strictObject({
      to: z.array(channel()),
      maxRetries: z.optional(z.int().check(z.minimum(0), z.maximum(10))),
      timeoutMs: z.optional(z.number().check(z.positive())),
      closeTimeoutMs: z.optional(z.number().check(z.minimum(0))),
    }),
  ]);

export const ALERTS_EXPECTS =
  'an array of alert channels (alertToWebhook(url) with an https:// URL, alertToSlack({ channel, key }), alertToTelegram({ chatId, key })) or { to: [channels], maxRetries (0 to 10), timeoutMs, closeTimeoutMs }';
