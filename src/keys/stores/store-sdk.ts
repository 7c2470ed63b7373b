/**
 * What the sources of the cloud secret stores share beyond the cache (`../remote/cached-source.ts`):
 * loading the store's SDK (an optional peer) on the first read, a deadline for one read, an
 * endpoint that is HTTPS or this machine, and store messages that may be quoted.
 * @module
 */
import { CredentialError } from '../../errors.js';
import { importOptional } from '../../import-optional.js';
import type { ProviderId } from '../../providers/ids.js';
import { redactText } from '../../redact/redactor.js';
import { isLoopback } from '../vault/http.js';

const loading = new Map<string, Promise<unknown>>();

/**
 * The store's SDK, imported once per process on first use. A missing package is a
 * `source_unavailable` error naming the package to install (not retryable: the grace window does
 * not hide it).
 */
export async function loadStoreSdk<Module>(
  packageName: string,
  install: string,
  what: string,
  source: string,
  provider: ProviderId | undefined,
): Promise<Module> {
  let pending = loading.get(packageName);
  if (pending === undefined) {
    pending = importOptional<Module>(packageName);
    loading.set(packageName, pending);
    pending.catch(() => loading.delete(packageName));
  }
  try {
    return (await pending) as Module;
  } catch (error) {
    throw new CredentialError({
      reason: 'source_unavailable',
      message: `${source} needs ${what}, which is not installed.`,
      hint: `Run \`npm i ${install}\` (an optional peer dependency of keycard).`,
      source,
      provider,
      cause: error,
    });
  }
}

/** A signal that aborts with `signal`, or after `timeoutMs` (then `timedOut()` is true). */
export function deadline(
  signal: AbortSignal,
  timeoutMs: number,
): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const controller = new AbortController();
  let expired = false;
  const onAbort = () => controller.abort(signal.reason);
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`no answer within ${timeoutMs} ms`));
  }, timeoutMs);
  timer.unref?.();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    done: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * `endpoint` as a URL: `https://…`, or plain `http://` to this machine only (a simulator, a local
 * proxy). Throws a `TypeError` naming `where` otherwise.
 */
export function storeEndpoint(where: string, name: string, endpoint: string, example: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`${where}: ${name} must be a URL such as ${example}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new TypeError(`${where}: ${name} must be https:// (plain http:// only to this machine)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`${where}: ${name} must not hold credentials`);
  }
  return url;
}

/** A store's own error text, fit to quote in a message: redacted, on one line, at most 200 characters. */
export function storeText(text: unknown): string {
  if (typeof text !== 'string') return '';
  const line = redactText(text).replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Node's codes for a connection that failed or broke: the store may answer later. */
export const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
