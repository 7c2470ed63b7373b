/**
 * What an alert says to a person (Slack, Telegram, a webhook's `text`), and the JSON a webhook
 * receives. The scope names a key by its masked id when one is known, never by its fingerprint
 * alone; nothing here holds a key.
 * @module
 */
import { type BudgetAlert, periodEnd, type Spend } from '../ledger/budget.js';

/** A dollar amount a person can read: cents, or more digits below a cent. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (Math.abs(usd) >= 0.01) return `$${usd.toFixed(2)}`;
  // Two significant digits, in plain decimals (never `1e-7`).
  const digits = Math.min(12, 1 - Math.floor(Math.log10(Math.abs(usd))));
  return `$${usd.toFixed(digits).replace(/0+$/, '')}`;
}

/** `key sk-…abcd`, `workflow "summarize"`, `provider openai`. */
export function describeScope(alert: BudgetAlert): string {
  const colon = alert.scope.indexOf(':');
  const field = colon < 0 ? alert.scope : alert.scope.slice(0, colon);
  const value = colon < 0 ? '' : alert.scope.slice(colon + 1);
  if (field === 'key') return `key ${alert.key ?? `with fingerprint ${value.slice(0, 12)}`}`;
  if (field === 'workflow') return `workflow "${value}"`;
  if (field === 'provider') return `provider ${value}`;
  if (field === 'tag') {
    // `tag:team=a` → `team "a"`.
    const equals = value.indexOf('=');
    if (equals > 0) return `${value.slice(0, equals)} "${value.slice(equals + 1)}"`;
  }
  return alert.scope;
}

/** What was spent against the limits: `$4.02 of $5`, `48 of 60 requests`. */
function spentOfLimit(spend: Spend, limit: BudgetAlert['limit']): string {
  const parts: string[] = [];
  if (limit?.usd !== undefined) parts.push(`${formatUsd(spend.usd)} of ${formatUsd(limit.usd)}`);
  if (limit?.requests !== undefined) parts.push(`${spend.requests} of ${limit.requests} requests`);
  if (limit?.tokens !== undefined) parts.push(`${spend.tokens} of ${limit.tokens} tokens`);
  if (parts.length === 0) parts.push(`${formatUsd(spend.usd)}, ${spend.requests} requests`);
  return parts.join(', ');
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/** The alert as a few lines for a person: what, where, how much, and what to do. */
export function alertText(alert: BudgetAlert): string {
  const scope = describeScope(alert);
  if (alert.kind === 'anomaly') {
    // The event's message says how unusual: keep that sentence, without its own advice.
    const detail = alert.message
      .replace(/^keycard:\s*/, '')
      .replace(/;[^;]*$/, '')
      .replace(/\.$/, '');
    return [
      `keycard: unusual spend on ${scope}`,
      `${detail} (${alert.spend.requests} requests).`,
      `What to do: see what used it with \`keycard usage --since ${day(alert.periodStart)} --by workflow\`; if it is not expected, rotate the key.`,
    ].join('\n');
  }
  const percent = Math.round((alert.threshold ?? 0) * 100);
  const period = alert.period === 'day' ? 'today' : `this ${alert.period ?? 'period'}`;
  const resets = alert.period === undefined ? undefined : periodEnd(alert.period, alert.periodStart);
  const full = (alert.threshold ?? 0) >= 1;
  return [
    `keycard: budget "${alert.budget ?? 'budget'}" is at ${percent} % for ${scope}`,
    `Spent ${spentOfLimit(alert.spend, alert.limit)} ${period} (since ${day(alert.periodStart)} UTC${resets === undefined ? '' : `; it resets ${day(resets)}`}).`,
    full
      ? 'What to do: calls past the limit are refused (or warned, with onExceed: warn) until it resets; raise the budget if this use is expected, or find what spent it with `keycard usage`.'
      : `What to do: nothing yet if this use is expected; otherwise find what spent it with \`keycard usage --since ${day(alert.periodStart)}\`.`,
  ].join('\n');
}

/** The JSON body a webhook receives (format `json`). */
export interface AlertPayload {
  kind: 'threshold' | 'anomaly';
  budget: string | null;
  scope: string;
  key: string | null;
  threshold: number | null;
  spend: Spend;
  limit: { usd: number | null; requests: number | null; tokens: number | null } | null;
  period: 'day' | 'week' | 'month' | 'hour' | null;
  periodStart: string;
  message: string;
  text: string;
}

export function alertPayload(alert: BudgetAlert): AlertPayload {
  return {
    kind: alert.kind,
    budget: alert.budget ?? null,
    scope: alert.scope,
    key: alert.key ?? null,
    threshold: alert.threshold ?? null,
    spend: { usd: alert.spend.usd, requests: alert.spend.requests, tokens: alert.spend.tokens },
    limit:
      alert.limit === undefined
        ? null
        : {
            usd: alert.limit.usd ?? null,
            requests: alert.limit.requests ?? null,
            tokens: alert.limit.tokens ?? null,
          },
    period: alert.kind === 'anomaly' ? 'hour' : (alert.period ?? null),
    periodStart: alert.periodStart.toISOString(),
    message: alert.message,
    text: alertText(alert),
  };
}
