/**
 * The `fetch` keycard hands to an SDK. For every request it puts the current key on the wire,
 * meters the answer (tokens from the JSON body or the event stream), redacts error bodies before
 * the SDK reads them, and replays a request once when a rotated key replaced a rejected one.
 * Answers about the key (`unauthorized`, `forbidden`, `quota_exceeded`) carry
 * `x-should-retry: false`, so that an SDK does not retry what no retry can fix (OpenAI's
 * `insufficient_quota` 429 above all).
 * @module
 */

import type { BudgetExceededError } from '../ledger/budget.js';
import type { UsageOutcome } from '../ledger/types.js';
import type {
  HttpHooks,
  OutgoingRequest,
  ProviderAdapter,
  RequestPlan,
  ResponseUsage,
} from '../providers/types.js';
import { redactText } from '../redact/redactor.js';
import type { Secret } from '../secret.js';
import { blockedResponse } from './budget-gate.js';
import type { KeyHolder } from './key-holder.js';
import { closedError } from './meter-call.js';
import type { Recorder } from './recorder.js';
import { meterEventStream } from './sse.js';
import { checkTransport } from './transport.js';

type Fetch = typeof globalThis.fetch;

export interface InstrumentedFetchOptions {
  adapter: Pick<ProviderAdapter, 'id' | 'classify'>;
  /** The adapter's fetch hooks. */
  http: HttpHooks;
  keys: KeyHolder;
  recorder: Recorder;
  /** The fetch that really sends; `globalThis.fetch` unless the user gave one. */
  baseFetch?: Fetch | undefined;
  /** Whether the client was closed. */
  isClosed: () => boolean;
  /** `dangerouslyAllowPlainHttp`: the key may go over plain http:// to another host. */
  allowPlainHttp?: boolean | undefined;
  /** The key source's `describe()`, for errors. */
  source?: string | undefined;
  /** createClient's `timeout`: also the longest wait for the next bytes of an event stream. */
  streamIdleTimeoutMs?: number | undefined;
}

/**
 * The header the OpenAI and Anthropic SDKs obey over their own retry rules (`x-should-retry`):
 * set on answers that retrying cannot fix.
 */
const NO_RETRY: Readonly<Record<string, string>> = { 'x-should-retry': 'false' };

/** Statuses whose responses have no body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function isReplayable(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData
  );
}

function copyHeaders(response: Response): Headers {
  const headers = new Headers(response.headers);
  // The body handed on is already decoded; these would describe the encoded one.
  headers.delete('content-encoding');
  headers.delete('content-length');
  return headers;
}

function rebuild(
  response: Response,
  body: ConstructorParameters<typeof Response>[0],
  extraHeaders: Readonly<Record<string, string>> = {},
): Response {
  const headers = copyHeaders(response);
  for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
  const rebuilt = new Response(body, { status: response.status, statusText: response.statusText, headers });
  Object.defineProperty(rebuilt, 'url', { value: response.url });
  return rebuilt;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Usage from a JSON body; a body the adapter cannot read is recorded without tokens. */
function readUsage(http: HttpHooks, plan: RequestPlan, json: unknown): ResponseUsage | null {
  if (json === undefined) return null;
  try {
    return http.usage(plan, json);
  } catch {
    return null;
  }
}

/** Builds the instrumented fetch for one client. */
export function createInstrumentedFetch(options: InstrumentedFetchOptions): Fetch {
  const { adapter, http, keys, recorder } = options;

  const send = async (url: URL, init: RequestInit, secret: Secret): Promise<Response> => {
    const headers = new Headers(init.headers);
    const request: OutgoingRequest = {
      url: new URL(url),
      method: init.method ?? 'GET',
      headers,
      bodyText: undefined,
    };
    // Checked on every request: an SDK may take another base URL per call.
    checkTransport(adapter.id, request.url, options.allowPlainHttp === true, {
      source: options.source,
      maskedId: secret.maskedId,
      fingerprint: secret.fingerprint,
    });
    http.authorize(request, secret);
    const baseFetch = options.baseFetch ?? globalThis.fetch;
    return baseFetch(request.url, { ...init, headers });
  };

  const instrumented = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (options.isClosed()) throw closedError(adapter.id);
    let requestInit: RequestInit = init;
    let url: URL;
    if (input instanceof Request) {
      url = new URL(input.url);
      requestInit = {
        method: input.method,
        headers: input.headers,
        body: input.body,
        signal: input.signal,
        ...init,
        ...(input.body === null ? {} : { duplex: 'half' }),
      } as RequestInit;
    } else url = new URL(input);

    const method = (requestInit.method ?? 'GET').toUpperCase();
    const bodyText = typeof requestInit.body === 'string' ? requestInit.body : undefined;
    const plan: RequestPlan = http.plan({
      url,
      method,
      headers: new Headers(requestInit.headers),
      bodyText,
    });
    if (plan.bodyText !== undefined) requestInit = { ...requestInit, body: plan.bodyText };

    let secret = keys.current;
    for (let attempt = 1; ; attempt += 1) {
      const time = new Date();
      const startedAt = performance.now();
      const used = secret;
      // Budgets are checked before anything is sent; a blocked request gets a synthetic answer
      // the SDK does not retry, which keycard turns back into the BudgetExceededError.
      const admission = await recorder.admit(used, plan.model);
      if (admission instanceof Error) return blockedResponse(admission as BudgetExceededError);
      const finish = (
        status: number | null,
        outcome: UsageOutcome,
        usage: ResponseUsage | null,
        stream = false,
      ) =>
        recorder.record({ plan, secret: used, time, startedAt, status, outcome, usage, stream, admission });

      let response: Response;
      try {
        response = await send(url, requestInit, used);
      } catch (error) {
        finish(null, 'error', null);
        throw error;
      }

      const contentType = response.headers.get('content-type') ?? '';
      if (
        response.ok &&
        response.body !== null &&
        plan.stream !== undefined &&
        contentType.includes('text/event-stream')
      ) {
        const reader = plan.stream;
        // A stream the caller stopped reading was served (and billed) up to there: it is `ok`.
        const body = meterEventStream(
          response.body,
          reader,
          (end) => {
            finish(response.status, end === 'failed' ? 'error' : 'ok', reader.result(), true);
          },
          { idleTimeoutMs: options.streamIdleTimeoutMs },
        );
        return rebuild(response, body);
      }
      if (
        response.body === null ||
        NULL_BODY_STATUSES.has(response.status) ||
        (response.ok && !contentType.includes('json'))
      ) {
        // Binary or empty answers (audio, files) are passed on untouched and recorded without tokens.
        finish(response.status, response.ok ? 'ok' : 'error', null);
        return response;
      }

      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        finish(response.status, 'error', null);
        throw error;
      }
      const json = parseJson(text);
      // A failure is an HTTP error, or (Slack) a 200 whose body says `ok: false`.
      const failure = response.ok
        ? http.failureInBody?.(json, response.headers)
        : http.failureFromResponse(response.status, json, response.headers);
      if (failure === undefined) {
        // A 200 whose JSON body is broken fails in the SDK: recorded as an error, without tokens.
        const broken = json === undefined && text.trim() !== '';
        finish(response.status, broken ? 'error' : 'ok', broken ? null : readUsage(http, plan, json));
        return rebuild(response, text);
      }
      const verdict = adapter.classify(failure);
      finish(response.status, verdict.outcome, null);
      if (
        verdict.reason === 'unauthorized' &&
        attempt === 1 &&
        isReplayable(requestInit.body) &&
        (await keys.refresh(used.fingerprint, requestInit.signal ?? undefined))
      ) {
        // The rejected attempt reached the provider and is recorded as such; the request is
        // replayed once with the key the source holds now.
        secret = keys.current;
        continue;
      }
      // Error bodies are redacted before the SDK copies them into an error message. An answer about
      // the key (rejected, refused, out of credit) is one no retry can fix: the OpenAI and
      // Anthropic SDKs retry every 429 unless the answer says otherwise, so it says so.
      return rebuild(response, redactText(text), verdict.reason === undefined ? {} : NO_RETRY);
    }
  };
  return instrumented as Fetch;
}
