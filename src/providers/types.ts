/**
 * The contract each provider adapter implements. One file per provider (`openai.ts`, …) holds
 * the adapter; the registry lists them. An adapter imports its SDK lazily, in `load()`.
 * @module
 */
import type { CredentialReason } from '../errors.js';
import type { TokenUsage, UsageOutcome } from '../ledger/types.js';
import type { Secret } from '../secret.js';
import type { ProviderId } from './ids.js';

/** What a provider said when a request failed, normalised from an HTTP answer or an SDK error. */
export interface ProviderFailure {
  /** HTTP status, when there was one. */
  status?: number | undefined;
  /** The provider's error code (`invalid_api_key`, `insufficient_quota`, `API_KEY_INVALID`, …). */
  code?: string | undefined;
  /** The provider's error type (`invalid_request_error`, `authentication_error`, …). */
  type?: string | undefined;
  /** The provider's message (already redacted). */
  message?: string | undefined;
  /** The provider's request id. */
  requestId?: string | undefined;
}

/** A failure classified: the ledger outcome, and for key problems the reason and a hint. */
export interface FailureClass {
  outcome: UsageOutcome;
  /** Set when the failure is about the key. */
  reason?: CredentialReason | undefined;
  /** What to do about it, for `CredentialError.hint`. */
  hint?: string | undefined;
}

/** Model and tokens read from one response. */
export interface ResponseUsage extends TokenUsage {
  model: string | null;
}

/** Reads usage from the events of one streamed response, one event at a time. */
export interface StreamUsageReader {
  /**
   * Called with each server-sent event's `data` (and `event` name, when set, and `json`, the data
   * parsed when it is JSON: the pass-through parses it once for everyone). Returns `false` to drop
   * the event from what the SDK sees (an event keycard itself asked for).
   */
  onEvent(data: string, event: string | undefined, json?: unknown): boolean;
  /**
   * Text that marks the events this reader needs (`"usage":{`, `message_delta`): it then sees
   * the stream's first event and the events that hold one of them, and the others pass without
   * being decoded. Without triggers it sees every event.
   */
  triggers?: readonly string[] | undefined;
  /** Usage seen so far; called when the stream ends or is cancelled. */
  result(): ResponseUsage;
}

/** A request about to be sent, as an adapter may rewrite it. */
export interface OutgoingRequest {
  url: URL;
  method: string;
  headers: Headers;
  /** The body when it is text (JSON); `undefined` for other bodies, which are never rewritten. */
  bodyText: string | undefined;
}

/** What an adapter learns about a request before it is sent. */
export interface RequestPlan {
  /** What is called, e.g. `chat.completions`. */
  operation: string;
  /** The model requested, when the body names one. */
  model: string | null;
  /** The body to send instead of the original one, when the adapter rewrote it. */
  bodyText?: string | undefined;
  /** Stream reader for a streamed response, when one is expected to carry usage. */
  stream?: StreamUsageReader | undefined;
}

/** What `verify()` learned about a key. */
export interface KeyIdentity {
  /** Account, organisation, team or bot name, whatever the provider tells. */
  [field: string]: string | number | boolean | undefined;
}

/** One SDK call for `AdapterContext.meter`. */
export interface MeteredCall<T> {
  /** What is called, e.g. `generateContent`, `sendMessage`. */
  operation: string;
  /** The model, when the call has one. */
  model: string | null;
  /** Makes the call with `secret` (put it where the SDK reads it first). */
  run(secret: Secret): Promise<T>;
  /**
   * Reads usage from the result; may wait (a stream is recorded when it ends). A rejection
   * records the call as failed. Default: no tokens.
   */
  usage?(result: T): ResponseUsage | null | Promise<ResponseUsage | null>;
  /** Whether the result is a stream. */
  stream?: boolean;
  /**
   * The caller's signal, when the call has one: it also ends the wait for a rejected key to be
   * read again (the read goes on for other calls).
   */
  signal?: AbortSignal | undefined;
}

/** What an adapter is given to build its SDK. */
export interface AdapterContext<SdkOptions = Record<string, unknown>> {
  /** The base URL to use, when the user set one (proxies, simulators). */
  baseURL: string | undefined;
  /**
   * A `fetch` that authorises, meters and redacts every request: hand it to the SDK. Only for
   * adapters with `http` hooks; calling it otherwise throws.
   */
  fetch: typeof globalThis.fetch;
  /**
   * Meters one call made through an SDK that keycard cannot give a `fetch` to: times it, records
   * it, and on a rejected key re-reads the source and runs it once more with the new key.
   */
  meter<T>(call: MeteredCall<T>): Promise<T>;
  /** The key in use now, for SDKs that must hold it. */
  currentKey(): Secret;
  /** Request timeout in milliseconds, when set. */
  timeout: number | undefined;
  /** Retries the SDK may make, when set. */
  maxRetries: number | undefined;
  /** A console-like logger whose output is redacted, for the SDK's own logging. */
  logger: SdkLogger;
  /** Options passed through to the SDK constructor as given. */
  sdkOptions: SdkOptions;
}

/** The logger shape the official SDKs accept. */
export interface SdkLogger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

/**
 * One provider, wrapped around its official SDK.
 * @typeParam Sdk - the SDK client class instance `createClient` returns as `.sdk`.
 * @typeParam SdkModule - what `load()` resolves to.
 * @typeParam SdkOptions - what `createClient`'s `sdkOptions` may pass to the SDK constructor.
 */
/**
 * How an adapter meters an SDK through keycard's `fetch`: every HTTP request the SDK makes goes
 * through these hooks. Used by SDKs that accept a `fetch` (OpenAI, Anthropic, Slack, `@google/genai`;
 * Discord's REST takes it as its `makeRequest`).
 */
export interface HttpHooks {
  /** Puts the key on an outgoing request (a header, or the URL path). */
  authorize(request: OutgoingRequest, secret: Secret): void;
  /** Names the operation, reads the model, and may rewrite the body (e.g. to ask for usage). */
  plan(request: OutgoingRequest): RequestPlan;
  /** Reads model and tokens from a successful JSON response body. */
  usage(plan: RequestPlan, body: unknown): ResponseUsage;
  /** Reads what a failed HTTP answer says. */
  failureFromResponse(status: number, body: unknown, headers: Headers): ProviderFailure;
  /**
   * Reads a failure from a successful (2xx) JSON answer, for APIs that report errors in the body
   * (Slack's `ok: false`). `undefined` when the answer is a success.
   */
  failureInBody?(body: unknown, headers: Headers): ProviderFailure | undefined;
  /**
   * The JSON body a failed answer is handed to the SDK with, when the SDK reads another shape
   * than the service sends (Mistral's flat errors, which the OpenAI SDK reads only inside
   * `{ error: … }`). Default: the body as sent. It is redacted after this.
   */
  errorBody?(body: unknown): unknown;
}

/**
 * One provider, wrapped around its official SDK.
 *
 * An adapter meters its SDK one of two ways: through keycard's `fetch` (it implements `http`),
 * or, for SDKs with no `fetch` option (`@google/generative-ai`, Telegram), by wrapping the SDK's call methods
 * with `context.meter` in `create`.
 * @typeParam Sdk - the SDK client class instance `createClient` returns as `.sdk`.
 * @typeParam SdkModule - what `load()` resolves to.
 * @typeParam SdkOptions - what `createClient`'s `sdkOptions` may pass to the SDK constructor.
 * @typeParam SdkSource - what `createClient`'s `sdk` option takes (the module, the class).
 */
export interface ProviderAdapter<
  Sdk extends object = object,
  SdkModule = unknown,
  SdkOptions = never,
  SdkSource = SdkModule,
> {
  /**
   * The provider whose keys this client takes, and under which its calls are recorded, priced
   * and budgeted.
   */
  readonly id: ProviderId;
  /**
   * The id `createClient` takes for this adapter when it is not `id`: a second client of the same
   * provider on another SDK (`'google-genai'`, a Gemini client on `@google/genai`).
   */
  readonly clientId?: string | undefined;
  /** The npm package of the official SDK, for the install hint. */
  readonly packageName: string;
  /** Imports the SDK. Called once, on the first `createClient` for this provider. */
  load(): Promise<SdkModule>;
  /**
   * Takes the SDK as the user imported it (`createClient`'s `sdk` option: the module, or its
   * client class) instead of `load()`, and returns what `load()` would. Throws a `KeycardError`
   * when `given` is not this SDK. Types say what is accepted; the check is at run time.
   */
  fromUser(given: SdkSource): SdkModule;
  /** Builds the SDK instance; the key must not be stored on it where the SDK allows. */
  create(module: SdkModule, context: AdapterContext<SdkOptions>): Sdk;
  /** Metering through keycard's `fetch`, for SDKs that accept one. */
  readonly http?: HttpHooks | undefined;
  /** Reads what an SDK error says, or `undefined` when it is not an answer from the provider. */
  failureFromError(error: unknown): ProviderFailure | undefined;
  /** Maps a failure to an outcome, and key problems to a reason with a hint. */
  classify(failure: ProviderFailure): FailureClass;
  /** A cheap live call that needs the key; returns what it learns about whose key it is. */
  verify(sdk: Sdk): Promise<KeyIdentity>;
}
