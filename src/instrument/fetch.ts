/**
 * The `fetch` keycard hands to an SDK. For every request it puts the current key on the wire,
 * meters the answer (tokens from the JSON body or the event stream), redacts error bodies before
 * the SDK reads them, and replays a request once when a rotated key replaced a rejected one.
 * Answers about the key (`unauthorized`, `forbidden`, `quota_exceeded`) carry
 * `x-should-retry: false`, so that an SDK does not retry what no retry can fix (OpenAI's
 * `insufficient_quota` 429 above all).
 * @module
 */

import { CredentialError } from '../errors.js';
import { BudgetExceededError } from '../ledger/budget.js';
import type {
  FailureClass,
  HttpHooks,
  OutgoingRequest,
  ProviderAdapter,
  ProviderFailure,
  RequestPlan,
  ResponseUsage,
} from '../providers/types.js';
import { redactText } from '../redact/redactor.js';
import type { Secret } from '../secret.js';
import { blockedResponse } from './budget-gate.js';
import type { ClientKeys } from './key-holder.js';
import { closedError } from './meter-call.js';
import type { Recorder } from './recorder.js';
import { retryAfterMs } from './retry-after.js';
import { meterEventBody } from './sse.js';
import { checkTransport } from './transport.js';

type Fetch = typeof globalThis.fetch;

export interface InstrumentedFetchOptions {
  adapter: Pick<ProviderAdapter, 'id' | 'classify'>;
  /** The adapter's fetch hooks. */
  http: HttpHooks;
  keys: ClientKeys;
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
  /**
   * For a `fetch` handed to code keycard does not wrap (`createFetch`): keycard's own errors
   * before a request is sent (an insecure transport) become the synthetic answer budgets give,
   * and an answer about the key gets the headers this returns (the marker of its
   * `CredentialError`), so that the error can be found in whatever the caller's library throws.
   */
  markKeyFailure?:
    | ((failure: ProviderFailure, verdict: FailureClass, secret: Secret) => Record<string, string>)
    | undefined;
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

type BodyReader = 'json' | 'text' | 'arrayBuffer' | 'blob' | 'bytes' | 'formData';
type Readers = Record<BodyReader, (this: Response) => Promise<unknown>>;

/**
 * The body readers of `Response` (those this Node has), each overridden on a metered answer.
 * Found on first use: reading `Response` loads Node's fetch, which `import 'keycard'` should not.
 */
let bodyReaderNames: readonly BodyReader[] | undefined;
function bodyReaders(): readonly BodyReader[] {
  bodyReaderNames ??= (['json', 'text', 'arrayBuffer', 'blob', 'bytes', 'formData'] as const).filter(
    (name) => typeof (Response.prototype as unknown as Record<string, unknown>)[name] === 'function',
  );
  return bodyReaderNames;
}

/** The body of an answer {@link serveText} hands on: read already, and parsed when JSON. */
interface ServedBody {
  readonly text: string;
  /** Parsed from `text`; `undefined` when broken (then `json()` throws as the SDK expects). */
  readonly json: unknown;
  used: boolean;
  stream: ReadableStream<Uint8Array> | null | undefined;
}

const servedBodies = new WeakMap<Response, ServedBody>();

/** The served body of `response`, marked used; throws as `fetch` does when it was read already. */
function takeBody(response: Response): ServedBody {
  const body = servedBodies.get(response) as ServedBody;
  if (body.used) throw new TypeError('Body is unusable: Body has already been read');
  body.used = true;
  return body;
}

/**
 * The prototype of a served answer: `Response.prototype` (status, headers and the rest read the
 * real answer) with body readers that give the served body. One prototype for every answer,
 * rather than a reader defined on each (which cost more than the rest of the metering).
 */
let servedPrototype: object | undefined;
function makeServedPrototype(): object {
  const readers: Record<BodyReader, (this: Response) => Promise<unknown>> = {
    async text() {
      return takeBody(this).text;
    },
    async json() {
      const body = takeBody(this);
      return body.json === undefined ? (JSON.parse(body.text) as unknown) : body.json;
    },
    async arrayBuffer() {
      return new TextEncoder().encode(takeBody(this).text).buffer;
    },
    async bytes() {
      return new TextEncoder().encode(takeBody(this).text);
    },
    async blob() {
      return new Blob([takeBody(this).text]);
    },
    async formData() {
      return new Response(takeBody(this).text, { headers: this.headers }).formData();
    },
  };
  const prototype = Object.create(Response.prototype) as object;
  for (const name of bodyReaders()) {
    Object.defineProperty(prototype, name, { configurable: true, writable: true, value: readers[name] });
  }
  Object.defineProperties(prototype, {
    // The native `clone()` would find the body read already (@discordjs/rest clones each answer
    // for its `response` event): a copy with the served body instead.
    clone: {
      configurable: true,
      writable: true,
      value(this: Response) {
        const body = servedBodies.get(this) as ServedBody;
        if (body.used) throw new TypeError('Response.clone: Body has already been consumed.');
        return serveText(rebuild(this, body.text), body.text, body.json);
      },
    },
    bodyUsed: {
      configurable: true,
      get(this: Response) {
        return servedBodies.get(this)?.used ?? false;
      },
    },
    body: {
      configurable: true,
      get(this: Response) {
        const body = servedBodies.get(this) as ServedBody;
        body.stream ??= new Response(body.text).body;
        return body.stream;
      },
    },
  });
  return prototype;
}

/**
 * Hands `response` on with `text` (its body, already read inside this `fetch`, so that the SDK's
 * timeout and abort signal cover it) as what its body readers give, and `json` (parsed from it,
 * `undefined` when broken) as what `json()` gives: no new `Response` is built, and the SDK does
 * not parse the body a second time.
 */
function serveText(response: Response, text: string, json: unknown): Response {
  servedBodies.set(response, { text, json, used: false, stream: undefined });
  servedPrototype ??= makeServedPrototype();
  Object.setPrototypeOf(response, servedPrototype);
  return response;
}

/**
 * Hands `response` on with its event stream metered: `response.body` is the same stream, metered
 * in place (`meterEventBody`), and the body readers (`text()`, …) read `stream()`, the same
 * metered source as a new stream.
 */
function serveStream(response: Response, stream: () => ReadableStream<Uint8Array>): Response {
  let wrapped: Response | undefined;
  const through = () => {
    wrapped ??= new Response(stream(), { headers: response.headers });
    return wrapped;
  };
  const native = Response.prototype as unknown as Readers;
  for (const name of bodyReaders()) {
    Object.defineProperty(response, name, {
      configurable: true,
      writable: true,
      value: () => native[name].call(through()),
    });
  }
  return response;
}

/** Builds the instrumented fetch for one client. */
export function createInstrumentedFetch(options: InstrumentedFetchOptions): Fetch {
  const { adapter, http, keys, recorder } = options;

  const send = async (request: OutgoingRequest, init: RequestInit, secret: Secret): Promise<Response> => {
    // Checked on every request: an SDK may take another base URL per call.
    checkTransport(adapter.id, request.url, options.allowPlainHttp === true, {
      source: options.source,
      maskedId: secret.maskedId,
      fingerprint: secret.fingerprint,
    });
    http.authorize(request, secret);
    const baseFetch = options.baseFetch ?? globalThis.fetch;
    return baseFetch(request.url, { ...init, headers: request.headers });
  };

  const instrumented = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (options.isClosed()) throw closedError(adapter.id);
    let requestInit: RequestInit = init;
    let href: string;
    if (input instanceof Request) {
      href = input.url;
      requestInit = {
        method: input.method,
        headers: input.headers,
        body: input.body,
        signal: input.signal,
        ...init,
        ...(input.body === null ? {} : { duplex: 'half' }),
      } as RequestInit;
    } else href = typeof input === 'string' ? input : input.href;

    const method = (requestInit.method ?? 'GET').toUpperCase();
    const bodyText = typeof requestInit.body === 'string' ? requestInit.body : undefined;
    // One URL and one set of headers per attempt: `authorize` writes the key into them.
    const outgoing = (): OutgoingRequest => ({
      url: new URL(href),
      method,
      headers: new Headers(requestInit.headers),
      bodyText,
    });
    let request = outgoing();
    const plan: RequestPlan = http.plan(request);
    if (plan.bodyText !== undefined) requestInit = { ...requestInit, body: plan.bodyText };

    let secret: Secret;
    try {
      secret = keys.pick(plan, bodyText);
    } catch (error) {
      // A pool with no key for this request: the SDK fails with keycard's error.
      if (CredentialError.is(error) || error instanceof BudgetExceededError) return blockedResponse(error);
      throw error;
    }
    // Keys already re-read, and (a pool) tried, for this request: each at most once.
    let reread: Set<string> | undefined;
    let tried: Set<string> | undefined;
    /** A pool's next key for this request, after `used`; `undefined` when none is left. */
    const nextKey = (used: Secret): Secret | undefined => {
      tried ??= new Set();
      tried.add(used.fingerprint);
      return keys.next(plan, tried, bodyText);
    };
    // Attempts sent so far, and the key of the last one that failed over (re-read or pool).
    let sent = 0;
    let replayOf: Secret | undefined;
    for (let attempt = 1; ; attempt += 1) {
      if (attempt > 1) request = outgoing();
      const time = new Date();
      const startedAt = performance.now();
      const used = secret;
      // Budgets are checked before anything is sent; a blocked request gets a synthetic answer
      // the SDK does not retry, which keycard turns back into the BudgetExceededError.
      const admitted = recorder.admitPlan(used, plan);
      const admission = admitted instanceof Promise ? await admitted : admitted;
      if (admission instanceof Error) {
        // A pool: a key whose own budget is used up is left aside, and the next key tried.
        if (admission instanceof BudgetExceededError && keys.budgetBlocked(used, admission)) {
          const next = nextKey(used);
          if (next !== undefined) {
            secret = next;
            continue;
          }
          return blockedResponse(keys.allDown(plan.model));
        }
        return blockedResponse(admission as BudgetExceededError);
      }
      sent += 1;
      const origin = recorder.needsOrigin ? request.url.origin : undefined;
      const finish = recorder.attempt(
        { plan, secret: used, time, startedAt, admission, origin },
        sent,
        replayOf,
      );

      let response: Response;
      try {
        response = await send(request, requestInit, used);
      } catch (error) {
        finish(null, 'error', null);
        if (options.markKeyFailure !== undefined && CredentialError.is(error)) return blockedResponse(error);
        throw error;
      }

      const { status } = response;
      const contentType = response.headers.get('content-type') ?? '';
      if (
        response.ok &&
        response.body !== null &&
        plan.stream !== undefined &&
        contentType.includes('text/event-stream')
      ) {
        const reader = plan.stream;
        // A stream the caller stopped reading was served (and billed) up to there: it is `ok`.
        const { stream } = meterEventBody(
          response.body,
          reader,
          (end) => {
            finish(status, end === 'failed' ? 'error' : 'ok', reader.result(), true);
          },
          { idleTimeoutMs: options.streamIdleTimeoutMs },
        );
        return serveStream(response, stream);
      }
      if (
        response.body === null ||
        NULL_BODY_STATUSES.has(status) ||
        (response.ok && !contentType.includes('json'))
      ) {
        // Binary or empty answers (audio, files) are passed on untouched and recorded without tokens.
        finish(status, response.ok ? 'ok' : 'error', null);
        return response;
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        finish(status, 'error', null);
        throw error;
      }
      const json = parseJson(text);
      // A failure is an HTTP error, or (Slack) a 200 whose body says `ok: false`.
      const failure = response.ok
        ? http.failureInBody?.(json, response.headers)
        : http.failureFromResponse(status, json, response.headers);
      if (failure === undefined) {
        // A 200 whose JSON body is broken fails in the SDK: recorded as an error, without tokens.
        const broken = json === undefined && text.trim() !== '';
        finish(status, broken ? 'error' : 'ok', broken ? null : readUsage(http, plan, json));
        return serveText(response, text, json);
      }
      const verdict = adapter.classify(failure);
      finish(status, verdict.outcome, null);
      if (
        verdict.reason === 'unauthorized' &&
        reread?.has(used.fingerprint) !== true &&
        isReplayable(requestInit.body)
      ) {
        reread ??= new Set();
        reread.add(used.fingerprint);
        if (await keys.refresh(used.fingerprint, requestInit.signal ?? undefined)) {
          // The rejected attempt reached the provider and is recorded as such; the request is
          // replayed once with the key the source holds now (not re-read again in this request).
          secret = keys.current;
          reread.add(secret.fingerprint);
          replayOf = used;
          continue;
        }
      }
      // A pool: the key is left aside (rate limited, out of credit, revoked, refused the model)
      // and the request replayed on the next key, once per key at most.
      if (
        keys.failOver(used, verdict, plan.model, retryAfterMs(response.headers)) &&
        isReplayable(requestInit.body)
      ) {
        const next = nextKey(used);
        if (next !== undefined) {
          secret = next;
          replayOf = used;
          continue;
        }
        // No key left: a key problem is the pool's one error; a rate limit is the provider's.
        if (verdict.reason !== undefined) return blockedResponse(keys.allDown(plan.model));
      }
      // Error bodies are redacted before the SDK copies them into an error message. An answer about
      // the key (rejected, refused, out of credit) is one no retry can fix: the OpenAI and
      // Anthropic SDKs retry every 429 unless the answer says otherwise, so it says so.
      const served =
        json === undefined || http.errorBody === undefined ? text : JSON.stringify(http.errorBody(json));
      return rebuild(
        response,
        redactText(served),
        verdict.reason === undefined
          ? {}
          : { ...NO_RETRY, ...options.markKeyFailure?.(failure, verdict, used) },
      );
    }
  };
  return instrumented as Fetch;
}
