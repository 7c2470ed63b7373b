/**
 * Google Gemini through Google's current SDK, `@google/genai` (2.x, Node 20 and later):
 * `createClient('google-genai')` returns a `GoogleGenAI`. It is a second client of the `gemini`
 * provider, not another provider: the adapter's `id` is `'gemini'`, so its keys (`GEMINI_API_KEY`,
 * then `GOOGLE_API_KEY`; `AIza…` and `AQ.…`), hints, prices, budgets and ledger rows are Gemini's,
 * and a budget on provider `'gemini'` covers the calls of both clients. Only the SDK differs from
 * `createClient('gemini')`, which wraps `@google/generative-ai` (deprecated by Google; kept for
 * code written against it). 3.x needs Node 22: keycard takes 2.23 and later 2.x releases, the
 * first with `httpOptions.fetch`.
 *
 * The key: this SDK takes a `fetch` (`httpOptions.fetch`), so keycard meters it the way it meters
 * OpenAI. `GoogleGenAI` is built with a placeholder `apiKey` (the SDK keeps it as `apiKey`, in its
 * `ApiClient`'s options and in its auth object: each holds only the placeholder), and keycard's
 * `fetch` replaces the `x-goog-api-key` header the SDK sets on every request with the key in use.
 * A rejected key (HTTP 400 `API_KEY_INVALID`, 401) re-reads the key source and replays the
 * request once; error bodies (Google's `DebugInfo` may quote the key) are redacted before the SDK
 * copies them into its `ApiError`.
 *
 * What keycard pins, so that the environment cannot change it: `vertexai: false` (so
 * `GOOGLE_GENAI_USE_VERTEXAI` / `GOOGLE_GENAI_USE_ENTERPRISE` do not switch to Vertex AI and its
 * application-default credentials), the base URL (createClient's `baseURL`, else
 * `https://generativelanguage.googleapis.com`, so `GOOGLE_GEMINI_BASE_URL` does not apply), and
 * the key (the SDK's own `GOOGLE_API_KEY` / `GEMINI_API_KEY` lookup is never used). When both
 * variables are set, the SDK's constructor still prints "Both GOOGLE_API_KEY and GEMINI_API_KEY
 * are set. Using GOOGLE_API_KEY.": keycard's key is the one its source gave (by default
 * `GEMINI_API_KEY` first, as for `'gemini'`).
 *
 * Metered (one ledger event per HTTP request, usage from `usageMetadata` as for `'gemini'`, see
 * `gemini-usage.ts`): `models.generateContent`, `models.generateContentStream` (recorded when
 * the stream ends or is abandoned, from the last chunk's `usageMetadata`), `models.countTokens`,
 * `models.embedContent` (sent as `:batchEmbedContents`; recorded as `embedContent`, without
 * tokens: Google's answers carry none), and chats (`chats.create(…).sendMessage` /
 * `sendMessageStream` send `generateContent` / `streamGenerateContent`, and are recorded as
 * those). Every other REST call (`models.list`, files, caches, batches, tunings, operations,
 * file search stores, `authTokens`, interactions) goes through the same `fetch`: it carries the
 * key, is redacted and rotated, and is recorded as a request without tokens. Batch jobs are
 * billed later, by Google, for tokens no answer reports: the ledger has their requests only.
 *
 * Not supported: the Live API (`live.connect`, `live.music.connect`). It opens a WebSocket whose
 * URL carries the key (`?key=`) and whose usage keycard cannot read: those methods reject with a
 * `KeycardError`. Make an ephemeral token through this client (`authTokens.create`, metered)
 * and open the session with a `GoogleGenAI` built on that token, as Google recommends for
 * clients anyway. A per-call `config.httpOptions.fetch` bypasses keycard: such a request carries
 * the placeholder, never the key, and fails as unauthorized.
 *
 * Known limit: an error Google sends inside a stream that started well (a `data:` event holding
 * `{"error":…}`) makes the SDK's iteration throw its `ApiError`, which keycard maps as any other;
 * the ledger records that stream by its transport, as `ok`, with the usage seen before the error.
 *
 * `timeout`: the SDK's `httpOptions.timeout` (per attempt, its timer unreferenced), and for
 * streams also the longest silence keycard's fetch waits for. `maxRetries`: the SDK's
 * `httpOptions.retryOptions.attempts` (retries + 1); the SDK makes no retries unless asked.
 * @module
 */
import type { GoogleGenAI, GoogleGenAIOptions, HttpOptions } from '@google/genai';
import { KeycardError } from '../errors.js';
import { importOptional } from '../import-optional.js';
import { deadlineOf } from './gemini.js';
import { bareModel, classifyGemini, geminiFailure, geminiUsage, splitBaseURL } from './gemini-usage.js';
import { asObject, safeParse } from './json.js';
import { isClassWith, sdkFromUser } from './load.js';
import type {
  KeyIdentity,
  ProviderAdapter,
  ProviderFailure,
  RequestPlan,
  ResponseUsage,
  StreamUsageReader,
} from './types.js';

/**
 * What `sdkOptions` may hold for `'google-genai'`: the API version and the SDK's HTTP options
 * (headers, `extraBody`, `retryOptions`, `baseUrlResourceScope`). The key, the backend (Vertex
 * AI), the base URL, `fetch` and `timeout` are keycard's to set.
 */
export interface GoogleGenAISdkOptions {
  /** The API version (`v1beta`, `v1`, `v1alpha`). Default: the one at the end of `baseURL`, else the SDK's (`v1beta`). */
  apiVersion?: GoogleGenAIOptions['apiVersion'];
  /** The SDK's HTTP options, but `baseUrl`, `fetch` and `timeout` (createClient's `baseURL`, `fetch` and `timeout`). */
  httpOptions?: Omit<HttpOptions, 'baseUrl' | 'fetch' | 'timeout'>;
}

/**
 * What the `sdk` option takes for `'google-genai'`: the `GoogleGenAI` class of `@google/genai`, or
 * the whole module.
 */
export type GoogleGenAISdkSource = typeof GoogleGenAI | typeof import('@google/genai');

/** What keycard uses of the module. */
type GenAIModule = Pick<typeof import('@google/genai'), 'GoogleGenAI'>;

/** What `GoogleGenAI` holds instead of the key; keycard's fetch replaces it on the wire. */
export const GOOGLE_GENAI_KEY_PLACEHOLDER = 'keycard-managed-key';

/** Where the SDK talks to when no `baseURL` is given (it adds `/v1beta/…` itself). */
const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** The header the SDK puts the key in (and keycard the real one). */
const KEY_HEADER = 'x-goog-api-key';

/** Constructor options that would take the key or the backend out of keycard's hands. */
const RESERVED: Readonly<Record<string, string>> = {
  vertexai: "this client speaks to the Gemini API with an API key; Vertex AI's credentials are not keycard's",
  enterprise:
    "this client speaks to the Gemini API with an API key; Vertex AI's credentials are not keycard's",
  project: 'the Gemini API takes no project: the key names it',
  location: 'the Gemini API takes no location',
  googleAuthOptions: 'the key comes from the key source',
};
const RESERVED_HTTP: Readonly<Record<string, string>> = {
  baseUrl: 'use options.baseURL',
  fetch: 'use options.fetch',
  timeout: 'use options.timeout',
};

const LIVE_UNSUPPORTED =
  "keycard: the Live API is not supported by createClient('google-genai'): its WebSocket carries the key in its URL, and keycard can neither keep it there nor meter the session. Create an ephemeral token through this client (sdk.authTokens.create(…), metered) and connect with new GoogleGenAI({ apiKey: token.name, httpOptions: { apiVersion: 'v1alpha' } }).live.connect(…).";

/** Method names on `models/…` and `tunedModels/…` recorded under the SDK's names. */
const RENAMED: Readonly<Record<string, string>> = {
  streamGenerateContent: 'generateContentStream',
  // The SDK's `models.embedContent` sends every Gemini API embedding as a batch.
  batchEmbedContents: 'embedContent',
};

/**
 * `/v1beta/models/gemini-2.5-flash:generateContent` → the part after the (last) API version, so
 * that a proxy's own `/v1/` earlier in the base URL does not count.
 */
const AFTER_VERSION = /^.*\/v\d+(?:alpha|beta)?\/(.*)$/;
/** A model's method: `models/<id>:<method>` or `tunedModels/<id>:<method>`. */
const MODEL_CALL = /^((?:models|tunedModels)\/[^/:]+):([A-Za-z]+)$/;

/** The operation and model of a request, from its URL. */
export function planOf(url: URL, method: string): { operation: string; model: string | null } {
  const rest = AFTER_VERSION.exec(url.pathname)?.[1] ?? url.pathname.replace(/^\/+/, '');
  const call = MODEL_CALL.exec(rest);
  if (call !== null) {
    const name = call[2] as string;
    return { operation: RENAMED[name] ?? name, model: bareModel(call[1]) };
  }
  const [resource = '', action] = rest.split(':');
  const segments = resource.split('/').filter((segment) => segment !== '');
  const collection = segments[0] ?? 'unknown';
  if (action !== undefined) return { operation: `${collection}.${action}`, model: null };
  if (/\/upload\/v\d/.test(url.pathname)) return { operation: `${collection}.upload`, model: null };
  const verb =
    method === 'GET'
      ? segments.length > 1
        ? 'get'
        : 'list'
      : method === 'DELETE'
        ? 'delete'
        : method === 'PATCH'
          ? 'update'
          : 'create';
  return { operation: `${collection}.${verb}`, model: null };
}

/** The model that answered (`modelVersion`), else the one asked for. */
function answeredModel(body: Record<string, unknown> | undefined, requested: string | null): string | null {
  const version = body?.['modelVersion'];
  return typeof version === 'string' && version !== '' ? version : requested;
}

/**
 * A `streamGenerateContent?alt=sse` stream: every chunk carries the `usageMetadata` counted so
 * far, and the last one the totals; keycard keeps the last it saw.
 */
function streamReader(model: string | null): StreamUsageReader {
  let metadata: unknown;
  let answered = model;
  return {
    onEvent(data, _event, json) {
      const chunk = asObject(json ?? safeParse(data));
      if (chunk?.['usageMetadata'] !== undefined) metadata = chunk['usageMetadata'];
      answered = answeredModel(chunk, answered);
      return true;
    },
    triggers: ['usageMetadata'],
    result: () => geminiUsage(metadata, answered),
  };
}

/** Google's error envelope, `{"error":{"code","message","status","details"}}`, as a failure. */
function failureOfBody(status: number | undefined, body: unknown, fallback?: string): ProviderFailure {
  const error = asObject(asObject(body)?.['error']);
  const message = typeof error?.['message'] === 'string' ? error['message'] : fallback;
  return geminiFailure(status, message, error?.['details']);
}

/** Replaces `target[name]` (a method on its prototype) with one that rejects with `message`. */
function refuse(target: unknown, name: string, message: string): void {
  if (typeof target !== 'object' || target === null) return;
  Object.defineProperty(target, name, {
    value: () => Promise.reject(new KeycardError(message)),
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

/** The Gemini adapter on `@google/genai`: `createClient('google-genai')`. */
export const googleGenAI: ProviderAdapter<
  GoogleGenAI,
  GenAIModule,
  GoogleGenAISdkOptions,
  GoogleGenAISdkSource
> = {
  id: 'gemini',
  clientId: 'google-genai',
  packageName: '@google/genai',
  load: () => importOptional<typeof import('@google/genai')>('@google/genai'),
  fromUser: (given) =>
    sdkFromUser<GenAIModule>(given, {
      provider: 'gemini',
      clientId: 'google-genai',
      packageName: '@google/genai',
      exportName: 'GoogleGenAI',
      isExport: (value) => isClassWith(value, [], ['getNextGenClient']),
      fromExport: (value) => ({ GoogleGenAI: value as typeof GoogleGenAI }),
    }),

  create(module, context) {
    const given = (context.sdkOptions ?? {}) as GoogleGenAISdkOptions & Record<string, unknown>;
    for (const name of Object.keys(given)) {
      if (RESERVED[name] !== undefined) {
        throw new KeycardError(
          `createClient('google-genai'): sdkOptions.${name} is not accepted: ${RESERVED[name]}.`,
        );
      }
    }
    const userHttp = (given.httpOptions ?? {}) as HttpOptions;
    for (const name of Object.keys(userHttp)) {
      if (RESERVED_HTTP[name] !== undefined) {
        throw new KeycardError(
          `createClient('google-genai'): sdkOptions.httpOptions.${name} is keycard's to set: ${RESERVED_HTTP[name]}.`,
        );
      }
    }
    const timeout = deadlineOf(context.timeout);
    const { baseUrl, apiVersion } = splitBaseURL(context.baseURL ?? DEFAULT_BASE_URL);
    const httpOptions: HttpOptions = {
      ...userHttp,
      baseUrl: baseUrl ?? DEFAULT_BASE_URL,
      fetch: context.fetch,
      ...(timeout === undefined || timeout === 0 ? {} : { timeout }),
      ...(context.maxRetries === undefined
        ? {}
        : { retryOptions: { ...userHttp.retryOptions, attempts: Math.max(0, context.maxRetries) + 1 } }),
    };
    const version = given.apiVersion ?? apiVersion;
    const sdk = new module.GoogleGenAI({
      apiKey: GOOGLE_GENAI_KEY_PLACEHOLDER,
      vertexai: false,
      ...(version === undefined ? {} : { apiVersion: version }),
      httpOptions,
    });
    // Releases before 2.23 ignore `httpOptions.fetch`: their requests would go out unmetered
    // (with the placeholder). Refused rather than half-working.
    const apiClient = (sdk as unknown as { apiClient?: { getFetch?: unknown } }).apiClient;
    if (typeof apiClient?.getFetch !== 'function') {
      throw new KeycardError(
        "createClient('google-genai') needs @google/genai 2.23 or later (2.x): earlier releases take no fetch. Run `npm i @google/genai@^2.23`.",
      );
    }
    refuse(sdk.live, 'connect', LIVE_UNSUPPORTED);
    refuse((sdk.live as { music?: unknown } | undefined)?.music, 'connect', LIVE_UNSUPPORTED);
    return sdk;
  },

  http: {
    authorize(request, secret) {
      request.headers.set(KEY_HEADER, secret.reveal());
    },

    plan(request): RequestPlan {
      const plan = planOf(request.url, request.method);
      return plan.operation === 'generateContentStream'
        ? { ...plan, stream: streamReader(plan.model) }
        : plan;
    },

    usage(plan, body): ResponseUsage {
      const fields = asObject(body);
      return geminiUsage(fields?.['usageMetadata'], answeredModel(fields, plan.model));
    },

    failureFromResponse(status, body) {
      return failureOfBody(status, body);
    },
  },

  failureFromError(error) {
    if (!(error instanceof Error)) return undefined;
    const status = (error as Error & { status?: unknown }).status;
    if (typeof status !== 'number') return undefined;
    // The SDK's `ApiError` message is the error body as JSON (after "got status: …. " for an
    // error inside a stream).
    const start = error.message.indexOf('{');
    const body = start === -1 ? undefined : safeParse(error.message.slice(start));
    return failureOfBody(status, body, error.message);
  },

  classify: classifyGemini,

  async verify(sdk): Promise<KeyIdentity> {
    // Gemini keys name no owner: what verify learns is that the key may list the models.
    const pager = await sdk.models.list({ config: { pageSize: 1000 } });
    return { models: pager.pageLength };
  },
};
