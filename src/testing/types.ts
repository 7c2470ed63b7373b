/**
 * The simulator's public types: the options, the `Simulator` handle, what it tallies and logs,
 * and the `ProviderSimulator` contract each provider file implements.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderId } from '../providers/ids.js';

/**
 * A fault the simulator answers with instead of serving a request:
 * - `unauthorized`: the provider's 401 for a bad key, even when the key is good;
 * - `forbidden`: the provider's 403 (no access to the model or the endpoint);
 * - `quota`: the provider's "out of credit" answer (OpenAI: 429 `insufficient_quota`; Anthropic: the
 *   400 "credit balance is too low"; xAI: a 403; Gemini: a daily quota's 429); Slack and Telegram
 *   have no quota and answer their rate limit, Discord its global rate limit;
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
   * Only requests that carry this key take the fault: one key of several out of credit, rate
   * limited or without access, while the others work (as a key pool meets them).
   * @default undefined (a request with any key, or none)
   */
  key?: string;
  /**
   * Only requests for this model take the fault (`forbidden` for a key without access to one
   * model). Requests that name no model never match.
   * @default undefined (a request for any model, or none)
   */
  model?: string;
  /**
   * How many matching HTTP requests in a row take the fault; `Infinity` for every matching
   * request until the fault is lifted (the function `failNext` returns) or `reset()`. An SDK's retries are requests too:
   * - the key faults (`unauthorized`, `forbidden`, and `quota` where the provider has a quota)
   *   are never retried (keycard tells the SDKs so), so one fails one call;
   * - the transient ones (`rate_limit`, `server_error`, `reset`, `hang`, and `quota` for Slack and
   *   Telegram, which have no quota and answer a rate limit) are retried by the SDKs that retry:
   *   OpenAI, xAI, Anthropic and (through keycard, by default) Slack make 2 retries, so one fault
   *   is retried away and `times: 3` fails the call; Gemini and Telegram make none; Discord's
   *   REST waits out every 429 (it takes no `times` to outlast) and retries a 5xx or a reset
   *   3 times. A client made with `maxRetries: 0` fails on the first.
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
  /**
   * The base URL to give the provider's SDK, e.g. `http://127.0.0.1:PORT/openai/v1` for OpenAI.
   * `'google-genai'` (a Gemini client on `@google/genai`) gets Gemini's.
   */
  baseURL(provider: ProviderId | 'google-genai'): string;
  /** Accepts `key` from now on, for every provider. */
  addKey(key: string): void;
  /** Rejects `key` from now on: the provider's 401. */
  revokeKey(key: string): void;
  /**
   * Answers the next matching HTTP request(s) with `fault`; faults queue up in order. `times`
   * counts requests, and an SDK's retries are requests: see {@link FailNextOptions.times}.
   * @example
   * simulator.failNext('quota'); // the next call fails: CredentialError quota_exceeded
   * simulator.failNext('rate_limit', { times: 3 }); // outlasts the OpenAI SDK's 2 retries
   * const lift = simulator.failNext('quota', { key: teamKey, times: Infinity }); // out of credit…
   * lift(); // …until topped up
   * @returns a function that lifts the fault (what remains of it)
   */
  failNext(fault: SimulatorFault, options?: FailNextOptions): () => void;
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
