/**
 * The provider simulator: a real HTTP server on 127.0.0.1 that speaks each provider's wire format,
 * so tests, demos and benchmarks can run the official SDKs over real HTTP without a network or a
 * real key. Each provider lives under its own path prefix (`/openai/v1/…`), served by one
 * {@link ProviderSimulator} (one file each); this module holds what they share: the accepted
 * keys, the fault queue, the tally of what was served and the request log.
 *
 * @example
 * const sim = await startSimulator({ keys: [key] });
 * const client = new OpenAI({ apiKey: key, baseURL: sim.baseURL('openai') });
 * await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
 * sim.tally().total.inputTokens; // what the simulator served
 * await sim.close();
 * @module
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderId } from '../providers/ids.js';
import { fingerprintKey, maskKey } from '../secret.js';
import { PROVIDER_SIMULATORS } from './providers.js';

/**
 * A fault the simulator answers with instead of serving a request:
 * - `unauthorized`: the provider's 401 for a bad key, even when the key is good;
 * - `forbidden`: the provider's 403 (no access to the model or the endpoint);
 * - `quota`: the provider's "out of credit" answer (OpenAI: 429 `insufficient_quota`);
 * - `rate_limit`: a transient rate limit (429 with `retry-after` and `x-ratelimit-*` headers);
 * - `server_error`: the provider's 500;
 * - `reset`: the connection is destroyed without an answer;
 * - `hang`: no answer at all, until the client gives up or the simulator closes;
 * - `bad_json`: a 200 whose body is cut in the middle of the JSON.
 */
export type SimulatorFault =
  | 'unauthorized'
  | 'forbidden'
  | 'quota'
  | 'rate_limit'
  | 'server_error'
  | 'reset'
  | 'hang'
  | 'bad_json';

/** Faults answered with an HTTP response, built by the provider. */
export type HttpFault = Exclude<SimulatorFault, 'reset' | 'hang'>;

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /**
   * Keys the simulator accepts, for every provider. Any other key, and a request without one, gets
   * the provider's 401. More can be added with `addKey()` and removed with `revokeKey()`.
   * @default [] (every key is rejected until one is added)
   */
  keys?: readonly string[];
  /**
   * Port to listen on, on 127.0.0.1.
   * @default 0 (a free port chosen by the system; read it from `url`)
   */
  port?: number;
  /**
   * Delay before each answer, in milliseconds (errors and faults included), to make latency visible
   * in benchmarks and demos.
   * @default 0
   */
  latencyMs?: number;
  /**
   * How many requests `requests` keeps; the oldest are dropped beyond it. The tally is not
   * affected: it counts every request.
   * @default 10000
   */
  maxLoggedRequests?: number;
  /**
   * The providers to serve; requests to any other answer 404.
   * @default every provider the simulator speaks
   */
  providers?: readonly ProviderId[];
}

/** Options of `failNext()`. */
export interface FailNextOptions {
  /**
   * Only requests to this provider take the fault.
   * @default undefined (the next request to any provider)
   */
  provider?: ProviderId;
  /**
   * How many matching requests in a row take the fault.
   * @default 1
   */
  times?: number;
}

/** Tokens one answer carried, in the provider's own terms. */
export interface SimulatedUsage {
  /** Input (prompt) tokens, cached ones included. */
  readonly inputTokens: number;
  /** Input tokens served from the prompt cache (part of `inputTokens`). */
  readonly cachedInputTokens: number;
  /** Output (completion) tokens, reasoning ones included. */
  readonly outputTokens: number;
  /** Reasoning tokens (part of `outputTokens`). */
  readonly reasoningTokens: number;
}

/** Counts over a group of requests. Tokens are counted for 200 answers only. */
export interface SimulatorCounts extends SimulatedUsage {
  /** Requests answered with an HTTP status, errors included. */
  readonly requests: number;
  /** Requests never answered: the `reset` and `hang` faults. */
  readonly unanswered: number;
  /** Answers with a status of 400 or more, by status: `{ 401: 2, 429: 1 }`. */
  readonly errors: Readonly<Record<number, number>>;
}

/** Counts for one provider, key and model. */
export interface SimulatorTallyRow extends SimulatorCounts {
  /** The provider. */
  readonly provider: ProviderId;
  /** Fingerprint of the key the requests carried (accepted or not), `null` when they had none. */
  readonly keyFingerprint: string | null;
  /** The model asked for, `null` for requests without one (e.g. listing models). */
  readonly model: string | null;
}

/** What the simulator served since it started or was last reset. */
export interface SimulatorTally {
  /** Everything. */
  readonly total: SimulatorCounts;
  /** By provider. */
  readonly byProvider: Readonly<Partial<Record<ProviderId, SimulatorCounts>>>;
  /** By key fingerprint; requests that carried no key are only in `total`, `byProvider` and `rows`. */
  readonly byKey: Readonly<Record<string, SimulatorCounts>>;
  /** By model; requests without a model are only in `total`, `byProvider`, `byKey` and `rows`. */
  readonly byModel: Readonly<Record<string, SimulatorCounts>>;
  /** One row per provider, key and model. */
  readonly rows: readonly SimulatorTallyRow[];
}

/** One request in the log. It never holds a key: only its fingerprint and masked id. */
export interface SimulatedRequest {
  /** The id sent back to the client (`x-request-id` for OpenAI). */
  readonly id: string;
  /** When the request arrived. */
  readonly time: Date;
  /** The provider it was routed to, `null` when its path matched none. */
  readonly provider: ProviderId | null;
  /** HTTP method. */
  readonly method: string;
  /** Path and query as received, with any key in it replaced by its masked id. */
  readonly path: string;
  /** Status answered, `null` when the request was never answered (`reset`, `hang`). */
  readonly status: number | null;
  /** The fault it took, if any. */
  readonly fault: SimulatorFault | null;
  /** Fingerprint of the key it carried, `null` when it had none. */
  readonly keyFingerprint: string | null;
  /** Masked id of the key it carried (`sk-proj-****wxyz`), `null` when it had none. */
  readonly keyMaskedId: string | null;
  /** Whether the key was accepted. */
  readonly keyAccepted: boolean;
  /** The model asked for, when the request names one. */
  readonly model: string | null;
  /** Whether the answer was a stream of server-sent events. */
  readonly stream: boolean;
  /** Tokens served (200 answers with usage only). */
  readonly usage: SimulatedUsage | null;
  /**
   * Request headers, lower-cased. Credentials (`authorization`, `x-api-key`, cookies, anything
   * named like a key, token or secret) show as `[redacted]`, and the key is masked wherever else it appears.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** A running simulator. */
export interface Simulator {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The base URL to give the provider's SDK, e.g. `http://127.0.0.1:PORT/openai/v1` for OpenAI. */
  baseURL(provider: ProviderId): string;
  /** Accepts `key` from now on, for every provider. */
  addKey(key: string): void;
  /** Rejects `key` from now on: the provider's 401. */
  revokeKey(key: string): void;
  /** Answers the next matching request(s) with `fault`. Faults queue up in order. */
  failNext(fault: SimulatorFault, options?: FailNextOptions): void;
  /** What was served, per provider, key and model. */
  tally(): SimulatorTally;
  /** The request log, oldest first (a copy). */
  readonly requests: readonly SimulatedRequest[];
  /** Clears the tally, the log and queued faults; keeps the keys. */
  reset(): void;
  /** Stops the server and ends every connection, hanging ones included. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The contract between the server and each provider's file.

/** A request as a provider simulator sees it. */
export interface SimulatorRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path after the provider prefix, without the query: `/v1/chat/completions`. */
  readonly path: string;
  /** Query parameters. */
  readonly query: URLSearchParams;
  /** Request headers (Node's lower-cased object). */
  readonly headers: IncomingHttpHeaders;
  /** The raw body. */
  readonly bodyText: string;
  /** The body parsed as JSON; `undefined` when it is empty or not JSON. */
  readonly json: unknown;
  /** Whether the body is non-empty and not valid JSON. */
  readonly jsonInvalid: boolean;
}

/** What the server knows about a request when a provider answers it. */
export interface SimulatorContext {
  /** The request id, for headers and generated ids. */
  readonly requestId: string;
  /** The key the request carried, masked, or `null` when it had none. */
  readonly key: { readonly maskedId: string; readonly fingerprint: string } | null;
  /** The model asked for (from the provider's `modelOf`). */
  readonly model: string | null;
}

/** An answer built by a provider simulator. */
export interface SimulatedResponse {
  /** HTTP status. */
  readonly status: number;
  /** Headers beyond the provider's common ones. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The whole body. */
  readonly body?: string;
  /** Server-sent event frames, written one after the other (for streams). */
  readonly events?: readonly string[];
  /** Tokens this answer served; tallied when the status is 200. */
  readonly usage?: SimulatedUsage;
}

/** One provider's side of the simulator. Adding a provider means writing one of these. */
export interface ProviderSimulator {
  /** The provider; also its path prefix (`/openai`). */
  readonly id: ProviderId;
  /** The API root under the prefix that the SDK's base URL points at, e.g. `/v1` or `` (none). */
  readonly apiPath: string;
  /** The key a request carries (header, query or path), `undefined` when none. */
  credential(request: SimulatorRequest): string | undefined;
  /** The model a request asks for, `null` when none. */
  modelOf(request: SimulatorRequest): string | null;
  /** Headers on every answer of this provider (request id and the like). */
  commonHeaders(context: SimulatorContext): Record<string, string>;
  /** The answer for an HTTP fault; `unauthorized` also answers missing and rejected keys. */
  fail(fault: HttpFault, request: SimulatorRequest, context: SimulatorContext): SimulatedResponse;
  /** Serves a request whose key was accepted. */
  handle(
    request: SimulatorRequest,
    context: SimulatorContext,
  ): SimulatedResponse | Promise<SimulatedResponse>;
}

// ---------------------------------------------------------------------------------------------

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const SENSITIVE_HEADER = /authorization|cookie|api-key|apikey|token|secret|password|(^|-)key($|-)/;

interface QueuedFault {
  readonly fault: SimulatorFault;
  readonly provider: ProviderId | undefined;
  remaining: number;
}

type MutableCounts = {
  requests: number;
  unanswered: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  errors: Record<number, number>;
};

const emptyCounts = (): MutableCounts => ({
  requests: 0,
  unanswered: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  errors: {},
});

function addCounts(into: MutableCounts, from: SimulatorCounts): void {
  into.requests += from.requests;
  into.unanswered += from.unanswered;
  into.inputTokens += from.inputTokens;
  into.cachedInputTokens += from.cachedInputTokens;
  into.outputTokens += from.outputTokens;
  into.reasoningTokens += from.reasoningTokens;
  for (const [status, count] of Object.entries(from.errors)) {
    const code = Number(status);
    into.errors[code] = (into.errors[code] ?? 0) + count;
  }
}

/** The counts of `name` in `groups`, created empty on first use. */
function group<Name extends string>(groups: Partial<Record<Name, MutableCounts>>, name: Name): MutableCounts {
  const existing = groups[name];
  if (existing !== undefined) return existing;
  const created = emptyCounts();
  groups[name] = created;
  return created;
}

function parseJson(text: string): { json: unknown; invalid: boolean } {
  if (text.trim() === '') return { json: undefined, invalid: false };
  try {
    return { json: JSON.parse(text) as unknown, invalid: false };
  } catch {
    return { json: undefined, invalid: true };
  }
}

/** `text` with every occurrence of `key` (plain or URL-encoded) replaced by its masked id. */
function maskIn(text: string, key: string | undefined, masked: string): string {
  if (key === undefined || key === '') return text;
  let out = text.split(key).join(masked);
  const encoded = encodeURIComponent(key);
  if (encoded !== key) out = out.split(encoded).join(masked);
  return out;
}

function safeHeaders(
  headers: IncomingHttpHeaders,
  key: string | undefined,
  masked: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = SENSITIVE_HEADER.test(name) ? '[redacted]' : maskIn(text, key, masked);
  }
  return out;
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Starts a simulator on 127.0.0.1 and resolves once it listens.
 * @example
 * const sim = await startSimulator({ keys: [testKey('openai')] });
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const accepted = new Set(options.keys ?? []);
  const latencyMs = Math.max(0, options.latencyMs ?? 0);
  const maxLogged = Math.max(0, options.maxLoggedRequests ?? 10_000);
  const served = options.providers === undefined ? undefined : new Set<string>(options.providers);
  const providers = new Map(
    PROVIDER_SIMULATORS.filter((provider) => served === undefined || served.has(provider.id)).map(
      (provider) => [provider.id as string, provider],
    ),
  );
  const faults: QueuedFault[] = [];
  const closing = new AbortController();
  let log: SimulatedRequest[] = [];
  let rows = new Map<
    string,
    MutableCounts & { provider: ProviderId; keyFingerprint: string | null; model: string | null }
  >();
  let counter = 0;

  function takeFault(provider: ProviderId): SimulatorFault | undefined {
    const index = faults.findIndex((entry) => entry.provider === undefined || entry.provider === provider);
    const entry = faults[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  function record(entry: SimulatedRequest): void {
    log.push(entry);
    if (log.length > maxLogged) log.splice(0, log.length - maxLogged);
    if (entry.provider === null) return;
    const id = JSON.stringify([entry.provider, entry.keyFingerprint, entry.model]);
    let row = rows.get(id);
    if (row === undefined) {
      row = {
        provider: entry.provider,
        keyFingerprint: entry.keyFingerprint,
        model: entry.model,
        ...emptyCounts(),
      };
      rows.set(id, row);
    }
    if (entry.status === null) {
      row.unanswered += 1;
      return;
    }
    row.requests += 1;
    if (entry.status >= 400) row.errors[entry.status] = (row.errors[entry.status] ?? 0) + 1;
    if (entry.status === 200 && entry.usage !== null) {
      row.inputTokens += entry.usage.inputTokens;
      row.cachedInputTokens += entry.usage.cachedInputTokens;
      row.outputTokens += entry.usage.outputTokens;
      row.reasoningTokens += entry.usage.reasoningTokens;
    }
  }

  function write(res: ServerResponse, headers: Record<string, string>, response: SimulatedResponse): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(response.status, { ...headers, ...response.headers });
    if (response.events === undefined) {
      res.end(response.body ?? '');
      return;
    }
    for (const event of response.events) res.write(event);
    res.end();
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counter += 1;
    const requestId = `req_${counter.toString(16).padStart(32, '0')}`;
    const time = new Date();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = req.url ?? '/';
    const bodyText = await readBody(req);
    const url = new URL(rawPath, 'http://127.0.0.1');
    const [, prefix = '', ...rest] = url.pathname.split('/');
    const provider = providers.get(prefix);

    if (provider === undefined || bodyText === undefined) {
      const status = bodyText === undefined ? 413 : 404;
      const message =
        status === 413
          ? 'keycard simulator: request body too large'
          : `keycard simulator: no simulated provider at ${url.pathname}`;
      record({
        id: requestId,
        time,
        provider: provider?.id ?? null,
        method,
        path: url.pathname,
        status,
        fault: null,
        keyFingerprint: null,
        keyMaskedId: null,
        keyAccepted: false,
        model: null,
        stream: false,
        usage: null,
        headers: {},
      });
      write(
        res,
        { 'content-type': 'application/json' },
        { status, body: JSON.stringify({ error: { message } }) },
      );
      return;
    }

    const { json, invalid } = parseJson(bodyText);
    const request: SimulatorRequest = {
      method,
      path: `/${rest.join('/')}`,
      query: url.searchParams,
      headers: req.headers,
      bodyText,
      json,
      jsonInvalid: invalid,
    };
    const key = provider.credential(request);
    const maskedId = key === undefined ? '' : maskKey(key);
    const context: SimulatorContext = {
      requestId,
      key: key === undefined ? null : { maskedId, fingerprint: fingerprintKey(key) },
      model: provider.modelOf(request),
    };
    const keyAccepted = key !== undefined && accepted.has(key);
    const base = {
      id: requestId,
      time,
      provider: provider.id,
      method,
      path: maskIn(rawPath, key, maskedId),
      keyFingerprint: context.key?.fingerprint ?? null,
      keyMaskedId: context.key?.maskedId ?? null,
      keyAccepted,
      model: context.model,
      headers: safeHeaders(req.headers, key, maskedId),
    };

    if (latencyMs > 0) {
      try {
        await sleep(latencyMs, undefined, { signal: closing.signal });
      } catch {
        return; // closing
      }
    }

    const fault = takeFault(provider.id);
    if (fault === 'reset' || fault === 'hang') {
      record({ ...base, status: null, fault, stream: false, usage: null });
      // `hang` leaves the response open: the client times out, or close() ends the connection.
      if (fault === 'reset') req.socket.destroy();
      return;
    }
    let response: SimulatedResponse;
    if (fault !== undefined) response = provider.fail(fault, request, context);
    else if (!keyAccepted) response = provider.fail('unauthorized', request, context);
    else response = await provider.handle(request, context);

    record({
      ...base,
      status: response.status,
      fault: fault ?? null,
      stream: response.events !== undefined,
      usage: response.status === 200 ? (response.usage ?? null) : null,
    });
    write(res, provider.commonHeaders(context), response);
  }

  const server = createServer((req, res) => {
    res.on('error', () => {});
    serve(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'keycard simulator: internal error' } }));
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    baseURL(id: ProviderId): string {
      const provider = providers.get(id);
      if (provider === undefined) {
        throw new Error(`keycard simulator: provider '${id}' is not served (see the \`providers\` option)`);
      }
      return `${url}/${provider.id}${provider.apiPath}`;
    },
    addKey(key: string): void {
      accepted.add(key);
    },
    revokeKey(key: string): void {
      accepted.delete(key);
    },
    failNext(fault: SimulatorFault, failOptions: FailNextOptions = {}): void {
      const times = failOptions.times ?? 1;
      if (!Number.isInteger(times) || times < 1)
        throw new RangeError('failNext: times must be a positive integer');
      faults.push({ fault, provider: failOptions.provider, remaining: times });
    },
    tally(): SimulatorTally {
      const total = emptyCounts();
      const byProvider: Partial<Record<ProviderId, MutableCounts>> = {};
      const byKey: Record<string, MutableCounts> = {};
      const byModel: Record<string, MutableCounts> = {};
      const snapshot: SimulatorTallyRow[] = [];
      for (const row of rows.values()) {
        const copy = { ...row, errors: { ...row.errors } };
        snapshot.push(copy);
        addCounts(total, copy);
        addCounts(group(byProvider, row.provider), copy);
        if (row.keyFingerprint !== null) addCounts(group(byKey, row.keyFingerprint), copy);
        if (row.model !== null) addCounts(group(byModel, row.model), copy);
      }
      return { total, byProvider, byKey, byModel, rows: snapshot };
    },
    get requests(): readonly SimulatedRequest[] {
      return log.slice();
    },
    reset(): void {
      log = [];
      rows = new Map();
      faults.length = 0;
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
