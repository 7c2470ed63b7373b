/**
 * `keycard scan --verify`: each key found is checked live with its own provider's `verify()`
 * (the who-am-I call `keycard check` makes: free, and it names the owner), and only there. Each
 * distinct key is sent once, with bounded concurrency, at most a few requests a second per
 * provider, a timeout, and no retry (a 401 is an answer). The clear keys come from the scanner's
 * memory (`scan-held-keys.ts`) and go nowhere else: no output, error or log line holds one.
 * @module
 */
import { createClient } from '../client.js';
import { CredentialError } from '../errors.js';
import { literal } from '../keys/literal.js';
import { isProviderId, type ProviderId } from '../providers/ids.js';
import { isSdkNotInstalled } from '../providers/load.js';
import { adapters, type SupportedProvider } from '../providers/registry.js';
import { redactText } from '../redact/redactor.js';
import { clientsOf } from './commands/check.js';
import { describeError } from './output.js';

/** What a live check found: `live` (the provider accepted the key), `revoked`, or `unknown`. */
export type VerifyStatus = 'live' | 'revoked' | 'unknown';

/** The result of verifying one key. */
export interface Verification {
  status: VerifyStatus;
  /** The provider the key was sent to, when it was sent. */
  provider?: ProviderId | undefined;
  /** What the provider says about the owner (organisation, workspace, team, bot), for `live`. */
  identity?: Record<string, string | number | boolean> | undefined;
  /** Why the status is `unknown`, or a note on `live` (out of credit, no permission for the call). */
  reason?: string | undefined;
}

/** How `verifyKeys` sends keys. */
export interface VerifyOptions {
  /** Milliseconds each check may take. */
  timeoutMs: number;
  /** Checks in flight at once, all providers together. */
  concurrency: number;
  /** Least milliseconds between two requests to one provider. */
  intervalMs: number;
  /** Told once for each provider whose base URL an environment variable overrides. */
  onBaseUrl?: ((provider: ProviderId, variable: string, url: string) => void) | undefined;
}

/** Defaults: 4 checks at once, 4 a second per provider, 10 s each. */
export const VERIFY_DEFAULTS: VerifyOptions = { timeoutMs: 10_000, concurrency: 4, intervalMs: 250 };

/** Where a key is sent, or why it is not. */
type Plan = { provider: ProviderId; clients: SupportedProvider[] } | { unknown: string };

/**
 * The provider a found key belongs to (the scanner's label and the key's form), or why it is not
 * sent anywhere: a key whose issuer the form cannot tell, or a form no who-am-I call takes.
 */
export function planFor(label: string, key: string): Plan {
  if (label === 'openai-compatible')
    return {
      unknown:
        'an OpenAI-compatible key (DeepSeek, Moonshot, a gateway): its form does not tell which provider issued it, so it is not sent',
    };
  if (label === 'vault') return { unknown: 'a Vault token: its server is not known, so it is not sent' };
  if (label === 'credential')
    return { unknown: 'a credential after an Authorization or API-key header: its provider is not known' };
  if (label === 'slack') {
    if (key.startsWith('http'))
      return { unknown: 'a Slack webhook URL: it has no who-am-I call (a post would send a message)' };
    if (!/^(?:xoxe\.)?xox[bpa]-/.test(key))
      return { unknown: 'a Slack refresh, configuration or app-level token: auth.test does not take it' };
  }
  if (label === 'discord' && key.includes('/'))
    return { unknown: 'a Discord webhook URL: keycard verifies bot tokens only' };
  if (!isProviderId(label)) return { unknown: `keycard cannot verify ${label} keys` };
  const clients = clientsOf(label);
  if (clients.length === 0) return { unknown: `keycard has no client that verifies ${label} keys` };
  return { provider: label, clients };
}

/** The variables that set a provider's base URL: `OPENAI_BASE_URL`, and Gemini's SDK's own. */
export function baseUrlVariables(provider: ProviderId): string[] {
  const own = `${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BASE_URL`;
  return provider === 'gemini' ? [own, 'GOOGLE_GEMINI_BASE_URL'] : [own];
}

function baseUrlOf(provider: ProviderId): { variable: string; url: string } | undefined {
  for (const variable of baseUrlVariables(provider)) {
    const url = process.env[variable]?.trim();
    if (url !== undefined && url !== '') return { variable, url };
  }
  return undefined;
}

/** Scalar identity fields only, without empty ones. */
function cleanIdentity(identity: Record<string, unknown>): Record<string, string | number | boolean> {
  const clean: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(identity)) {
    if (typeof value === 'string' ? value !== '' : typeof value === 'number' || typeof value === 'boolean')
      clean[name] = value as string | number | boolean;
  }
  return clean;
}

/** Every error in `error`'s cause chain (and an AggregateError's members). */
function chain(error: unknown): unknown[] {
  const all: unknown[] = [];
  const visit = (current: unknown, depth: number) => {
    if (current === undefined || current === null || depth > 6 || all.includes(current)) return;
    all.push(current);
    if (current instanceof AggregateError) for (const inner of current.errors) visit(inner, depth + 1);
    if (typeof current === 'object') visit((current as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  return all;
}

/** The HTTP status an SDK's error carries, whatever it calls it. */
function statusOf(error: unknown): number | undefined {
  for (const item of chain(error)) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Record<string, unknown>;
    const response = record['response'] as Record<string, unknown> | undefined;
    for (const value of [
      record['status'],
      record['statusCode'],
      record['code'],
      response?.['status'],
      response?.['error_code'],
    ]) {
      if (typeof value === 'number' && value >= 100 && value < 600) return value;
    }
  }
  return undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Why a check that did not get an answer about the key failed, in a few words. */
function unknownReason(error: unknown): string {
  const items = chain(error);
  const text = (item: unknown) =>
    `${(item as { name?: unknown }).name ?? ''} ${(item as { message?: unknown }).message ?? ''}`;
  const codes = items
    .map((item) => (item as { code?: unknown })?.code)
    .filter((code): code is string => typeof code === 'string');
  if (items.some((item) => /timeout|timed out/i.test(text(item))) || codes.includes('ETIMEDOUT'))
    return 'timed out';
  const network = codes.find((code) => NETWORK_CODES.has(code));
  if (network !== undefined) return `network: ${network}`;
  const slack = codes.find((code) => code.startsWith('slack_webapi_'));
  if (slack === 'slack_webapi_rate_limited_error') return 'rate limited';
  if (items.some((item) => /connection error|fetch failed|socket hang up|network/i.test(text(item))))
    return `network: ${shortText(error, 160)}`;
  const status = statusOf(error);
  if (status === 429) return 'rate limited';
  if (status !== undefined) return `the provider answered HTTP ${status}`;
  return shortText(error, 200);
}

/** An error's text, redacted before it is cut: a cut key would no longer match its pattern. */
function shortText(error: unknown, length: number): string {
  return redactText(describeError(error)).slice(0, length);
}

class Timeout extends Error {
  override name = 'TimeoutError';
}

/** One live check of one key with one of the provider's clients (the first whose SDK is installed). */
async function verifyOne(
  provider: ProviderId,
  clients: readonly SupportedProvider[],
  key: string,
  options: VerifyOptions,
): Promise<Verification> {
  const [clientId, ...others] = clients;
  if (clientId === undefined) return { status: 'unknown', provider, reason: 'no SDK installed' };
  const base = baseUrlOf(provider);
  let client: Awaited<ReturnType<typeof createClient>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const check = (async () => {
      client = await createClient(clientId, literal(key, { label: 'keycard scan' }), {
        ledger: false,
        telemetry: false,
        maxRetries: 0,
        timeout: options.timeoutMs,
        maxKeyAgeDays: false,
        // A prices file (KEYCARD_PRICES) is not read, nor can it fail a verification.
        prices: false,
        ...(base === undefined ? {} : { baseURL: base.url }),
      });
      return client.verify();
    })();
    // Past the timeout, a late failure of the check is no one's to handle.
    check.catch(() => undefined);
    // The SDK's own timeout does not cover every wait (Discord's REST waits out a 429).
    const verified = await Promise.race([
      check,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout('timed out')), options.timeoutMs + 250);
      }),
    ]);
    return { status: 'live', provider, identity: cleanIdentity(verified.identity) };
  } catch (error) {
    if (isSdkNotInstalled(error)) {
      if (others.length > 0) return verifyOne(provider, others, key, options);
      return {
        status: 'unknown',
        provider,
        reason: `its SDK is not installed (npm i ${adapters[clientId].packageName})`,
      };
    }
    if (CredentialError.is(error)) {
      switch (error.reason) {
        case 'unauthorized':
          return { status: 'revoked', provider };
        case 'forbidden':
          return {
            status: 'live',
            provider,
            reason: 'the provider knows the key but refused the who-am-I call (no permission)',
          };
        case 'quota_exceeded':
          return { status: 'live', provider, reason: 'the key works but is out of credit' };
        case 'insecure_source':
          return {
            status: 'unknown',
            provider,
            reason: `not sent: ${base?.variable ?? 'the base URL'} is plain http:// to another host`,
          };
        default:
          return {
            status: 'unknown',
            provider,
            reason: `${error.reason}: keycard's ${provider} client refused the key's form`,
          };
      }
    }
    return { status: 'unknown', provider, reason: unknownReason(error) };
  } finally {
    clearTimeout(timer);
    // A check that timed out is still in flight: closing ends what the client holds.
    await (client as { close(): Promise<void> } | undefined)?.close().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Verifies each key once (`keys`: fingerprint → the scanner's label and the clear key) and
 * returns the result by fingerprint. A provider's keys go one at a time, at least `intervalMs`
 * apart, and once it has answered with a rate limit its remaining keys are not sent; up to
 * `concurrency` providers are checked at once.
 */
export async function verifyKeys(
  keys: ReadonlyMap<string, { label: string; key: string }>,
  options: VerifyOptions = VERIFY_DEFAULTS,
): Promise<Map<string, Verification>> {
  const results = new Map<string, Verification>();
  const byProvider = new Map<
    ProviderId,
    Array<{ fingerprint: string; clients: SupportedProvider[]; key: string }>
  >();
  for (const [fingerprint, { label, key }] of keys) {
    const plan = planFor(label, key);
    if ('unknown' in plan) {
      results.set(fingerprint, { status: 'unknown', reason: plan.unknown });
      continue;
    }
    // A Telegram token found URL-encoded in a Bot API URL (`123%3AAA…`) is sent decoded.
    const sent = plan.provider === 'telegram' ? key.replace(/%3A/i, ':') : key;
    byProvider.set(plan.provider, [
      ...(byProvider.get(plan.provider) ?? []),
      { fingerprint, clients: plan.clients, key: sent },
    ]);
  }
  const providers = [...byProvider.keys()];
  const checkProvider = async (provider: ProviderId) => {
    const base = baseUrlOf(provider);
    if (base !== undefined) options.onBaseUrl?.(provider, base.variable, base.url);
    let rateLimited = false;
    let last = 0;
    for (const { fingerprint, clients, key } of byProvider.get(provider) ?? []) {
      if (rateLimited) {
        results.set(fingerprint, {
          status: 'unknown',
          provider,
          reason: 'rate limited: the provider asked to slow down, so this key was not sent',
        });
        continue;
      }
      const wait = last + options.intervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      last = Date.now();
      const result = await verifyOne(provider, clients, key, options);
      rateLimited = result.reason === 'rate limited';
      results.set(fingerprint, result);
    }
  };
  const worker = async () => {
    for (let provider = providers.shift(); provider !== undefined; provider = providers.shift())
      await checkProvider(provider);
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return results;
}
