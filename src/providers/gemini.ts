/**
 * Google Gemini, through the official `@google/generative-ai` (0.24). `createClient('gemini')`
 * returns a `GoogleGenerativeAI`. Wire facts: shared/research/sdks.md §3.3.
 *
 * **Deprecated SDK.** Google marks `@google/generative-ai` deprecated (limited maintenance, then
 * end of support) in favour of `@google/genai`, which keycard wraps as `createClient('google-genai')`
 * (`google-genai.ts`; 2.x, the major that runs on Node 20): new code should use that one. This
 * adapter stays for code written against the older SDK. Everything about the Gemini API itself
 * (base URLs, model names, usage, error classification) is in `gemini-usage.ts`, shared by both.
 *
 * This SDK has no `fetch` option and reads the key from the object a call is made on
 * (`GenerativeModel.apiKey`, `ChatSession._apiKey`), so keycard meters it at the method level:
 * - `GoogleGenerativeAI` is built with a placeholder, so every model starts with it too. On each
 *   model and chat keycard hands out, the key property (`apiKey`, `_apiKey`) always reads
 *   {@link GEMINI_KEY_PLACEHOLDER}, during a call too, and assigning it throws (the key comes from
 *   the key source). Each call runs the SDK's method on an object made for that call alone, whose
 *   prototype is the model or chat and whose own key property is a getter over the `Secret` (see
 *   `keySlot`): no object the caller can reach holds the key, or lends it, at any time. The SDK
 *   then puts it in the `x-goog-api-key` header of the request it hands to the global `fetch`.
 *   Each call takes the key in use at that moment, so a rotated key is picked up by models and
 *   chats made before the rotation too. `util.inspect` and `toJSON` of a model or chat show
 *   `{ model }` only.
 * - It meters `generateContent`, `generateContentStream`, `countTokens`, `embedContent`,
 *   `batchEmbedContents`, and `startChat()`'s `sendMessage` and `sendMessageStream`: one ledger
 *   event per call; a rejected key (HTTP 400 `API_KEY_INVALID`) re-reads the key source and
 *   replays the call once. A stream is recorded when its aggregated `response` resolves (it does
 *   even if the chunks are never read). Counting tokens is free, and embedding answers carry no
 *   token counts: those events have no tokens.
 * - `baseURL`: every model made by `getGenerativeModel` or `getGenerativeModelFromCachedContent`
 *   sends its requests there, whatever `baseUrl` request options say (keycard decides where the
 *   key goes). A trailing `/v1beta` (or `/v1`, `/v1alpha`) becomes the default API version. The
 *   caller's other request options (`apiVersion`, `customHeaders`, `apiClient`) apply as given.
 * - `timeout`: applied per call as a signal whose timer ends with the call (or with a stream's
 *   last chunk), see `call-deadline.ts` (the SDK then throws its
 *   `GoogleGenerativeAIAbortError`), unless the caller set a `timeout` of their own for the model
 *   or the call. The SDK's own `timeout` starts a timer it never clears, which keeps the process
 *   alive until it fires; keycard's does not. A caller's `signal` still applies. When keycard's
 *   timeout passes while the answer's body is read, the SDK would throw a bare `AbortError`:
 *   keycard throws a `GoogleGenerativeAIAbortError` then too (the original as its `cause`).
 * - errors: this SDK copies the server's error text, details included, into `err.message`, and
 *   Google's `DebugInfo` details may quote the key: keycard's proxy redacts every error a method
 *   throws, and classifies key problems with `classifyGemini`; errors a stream raises after it
 *   started (from `stream` or `response`) are redacted here.
 *
 * Known limits: `new GenerativeModel(sdk.apiKey, …)` or `new ChatSession(…)` built by hand get
 * the placeholder (use `getGenerativeModel` and `startChat`); this SDK ignores an error event
 * inside a stream, and a chat stream that breaks makes it `console.error` its own error (body
 * errors, which hold no key); `maxRetries` does not apply (the SDK makes no retries);
 * `sdkOptions` takes nothing (the SDK's constructor takes only the key); embeddings are recorded
 * without tokens, as Google's answers carry none.
 * @module
 */
import { inspect } from 'node:util';
import type {
  ChatSession,
  GenerativeModel,
  GoogleGenerativeAI,
  RequestOptions,
  SingleRequestOptions,
} from '@google/generative-ai';
import { KeycardError } from '../errors.js';
import { importOptional } from '../import-optional.js';
import { redactError } from '../redact/redactor.js';
import type { Secret } from '../secret.js';
import { CallDeadline } from './call-deadline.js';
import { bareModel, classifyGemini, geminiFailure, geminiUsage, splitBaseURL } from './gemini-usage.js';
import { asObject } from './json.js';
import { isClassWith, sdkFromUser } from './load.js';
import type { AdapterContext, KeyIdentity, ProviderAdapter, ResponseUsage } from './types.js';

/** Gemini takes no constructor options besides the key: `sdkOptions` is not used. */
export type GeminiSdkOptions = Record<string, never>;

/** The model `verify()` counts tokens with: counting is free and needs a valid key. */
export const GEMINI_VERIFY_MODEL = 'gemini-2.5-flash';

/** What the SDK objects hold instead of the key, outside keycard's calls. */
export const GEMINI_KEY_PLACEHOLDER = 'keycard-managed-key';

/** The longest delay a Node timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
/** Runs `call` with the object to call the SDK's method on for one call made with `secret`. */
type Lend = <T>(secret: Secret, call: (receiver: object) => Promise<T>) => Promise<T>;

/** What every metered object of one client shares. */
interface Metering {
  context: AdapterContext<GeminiSdkOptions>;
  /** keycard's base URL, without a trailing slash or API version. */
  baseUrl: string | undefined;
  /** The SDK's error classes, to keep a timeout in the SDK's own class. */
  errors: Pick<
    typeof import('@google/generative-ai'),
    'GoogleGenerativeAIError' | 'GoogleGenerativeAIAbortError'
  >;
}

/**
 * Replaces the own method `target[name]` with `wrap(original)`, non-enumerable. `original` is
 * unbound: the wrapper chooses the object it runs on.
 */
function patch(target: object, name: string, wrap: (original: AnyFunction) => AnyFunction): void {
  const original = (target as Record<string, unknown>)[name];
  if (typeof original !== 'function') return;
  Object.defineProperty(target, name, {
    value: wrap(original as AnyFunction),
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

/** Gives `target` an `util.inspect` and `JSON.stringify` form that shows `describe()` only. */
function hide(target: object, describe: () => Record<string, unknown>): void {
  const name = target.constructor.name;
  Object.defineProperties(target, {
    [inspect.custom]: {
      value: (_depth: number, options: Parameters<typeof inspect>[1]) =>
        `${name} ${inspect(describe(), options)}`,
      configurable: true,
    },
    toJSON: { value: describe, configurable: true },
  });
}

/**
 * Where the key is, for a model (`apiKey`) or a chat (`_apiKey`): never on the object. Its
 * `property` always reads {@link GEMINI_KEY_PLACEHOLDER}, and assigning it throws. Each call runs
 * the SDK's method on a **receiver** made for that call alone: an object whose prototype is
 * `target` (so the SDK reads the model, history and options from it as usual) and whose own
 * `property` yields the key in use (a getter over the `Secret`, so not even the receiver holds
 * the clear text). The SDK's writes of `forwarded` properties (a chat's `_sendPromise`) go to
 * `target`. Nothing the caller holds refers to the receiver: only the SDK's own call frames and
 * promise callbacks do, until the call settles and it is garbage. A chat reads the key once its
 * previous message is answered, a model as the call starts: both read it from the receiver.
 */
function keySlot(target: object, property: string, forwarded: readonly string[] = []): Lend {
  Object.defineProperty(target, property, {
    get: () => GEMINI_KEY_PLACEHOLDER,
    set: () => {
      throw new KeycardError(
        'keycard: the Gemini API key is set by keycard from the key source; it cannot be assigned on the SDK objects.',
      );
    },
    enumerable: false,
    configurable: true,
  });
  const fields = target as Record<string, unknown>;
  return (secret, call) => {
    const receiver = Object.create(target) as object;
    Object.defineProperty(receiver, property, { get: () => secret.reveal(), enumerable: false });
    for (const name of forwarded) {
      Object.defineProperty(receiver, name, {
        get: () => fields[name],
        set: (value: unknown) => {
          fields[name] = value;
        },
        enumerable: false,
      });
    }
    return call(receiver);
  };
}

/** The time limit of createClient's `timeout`, `undefined` for none; throws for a bad one. */
export function deadlineOf(timeout: number | undefined): number | undefined {
  if (timeout === undefined || timeout === Number.POSITIVE_INFINITY) return undefined;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new KeycardError(
      `createClient: timeout must be a number of milliseconds (0 or more, or Infinity), not ${String(timeout)}.`,
    );
  }
  return timeout > MAX_TIMER_MS ? undefined : Math.ceil(timeout);
}

/**
 * The per-call request options: keycard's base URL, and keycard's timeout as a signal unless
 * the model (`modelTimeout`) or the call has a timeout of its own.
 */
function callOptions(
  given: unknown,
  metering: Metering,
  modelTimeout: number | undefined,
): { options: SingleRequestOptions | undefined; deadline?: CallDeadline } {
  const options = asObject(given) as SingleRequestOptions | undefined;
  const deadline =
    modelTimeout === undefined && options?.timeout === undefined
      ? deadlineOf(metering.context.timeout)
      : undefined;
  if (deadline === undefined && (metering.baseUrl === undefined || options?.baseUrl === undefined)) {
    return { options };
  }
  const out: SingleRequestOptions = { ...options };
  if (metering.baseUrl !== undefined && options?.baseUrl !== undefined) out.baseUrl = metering.baseUrl;
  if (deadline === undefined) return { options: out };
  const timer = new CallDeadline(deadline, options?.signal);
  out.signal = timer.signal;
  return { options: out, deadline: timer };
}

/**
 * keycard's timeout as the SDK's `GoogleGenerativeAIAbortError`: the SDK throws that class when
 * the timeout passes before the answer's headers, but a bare `AbortError` from `fetch` when it
 * passes while the body is read.
 */
function timeoutError(
  error: unknown,
  deadline: CallDeadline | undefined,
  callerSignal: AbortSignal | undefined,
  metering: Metering,
  operation: string,
): unknown {
  const { GoogleGenerativeAIError, GoogleGenerativeAIAbortError } = metering.errors;
  if (deadline === undefined || !deadline.expired || callerSignal?.aborted === true) return error;
  if (error instanceof GoogleGenerativeAIError) return error;
  const timeout = new GoogleGenerativeAIAbortError(
    `${operation} did not complete within ${deadline.ms} ms (keycard's timeout; set createClient's timeout option to change it).`,
  );
  Object.defineProperty(timeout, 'cause', { value: error, configurable: true, writable: true });
  return timeout;
}

/** Ends `deadline` once the stream result's `response` settles (when the stream is done). */
function endWith(result: unknown, deadline: CallDeadline): void {
  const response = asObject(result)?.['response'];
  if (response instanceof Promise) response.then(deadline.end.bind(deadline), deadline.end.bind(deadline));
}

const usageOfResult =
  (model: string | null) =>
  (result: unknown): ResponseUsage => {
    const response = asObject(asObject(result)?.['response']);
    return geminiUsage(response?.['usageMetadata'], modelOf(response, model));
  };

const usageOfStream =
  (model: string | null) =>
  async (result: unknown): Promise<ResponseUsage> => {
    const response = asObject(await (result as { response: Promise<unknown> }).response);
    return geminiUsage(response?.['usageMetadata'], modelOf(response, model));
  };

/** The model that answered (`modelVersion`), else the one asked for. */
function modelOf(response: Record<string, unknown> | undefined, requested: string | null): string | null {
  const version = response?.['modelVersion'];
  return typeof version === 'string' && version !== '' ? version : requested;
}

const redacted = (error: unknown): unknown => (error instanceof Error ? redactError(error) : error);

async function* redactingStream<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw redacted(error);
  }
}

/**
 * A stream result whose `stream` and `response` fail with redacted errors: keycard's proxy maps
 * what a method rejects with, not what the plain `{ stream, response }` object it resolves to
 * rejects with later (a body cut short, an answer that is not JSON, a blocked candidate).
 */
function redactStreamResult(result: unknown): unknown {
  const fields = asObject(result);
  const stream = fields?.['stream'] as AsyncGenerator<unknown> | undefined;
  const response = fields?.['response'] as Promise<unknown> | undefined;
  if (stream === undefined || response === undefined) return result;
  const safeResponse = response.catch((error: unknown) => {
    throw redacted(error);
  });
  // The ledger waits for it; a caller who never does must not get an unhandled rejection.
  safeResponse.catch(() => {});
  return { ...fields, stream: redactingStream(stream), response: safeResponse };
}

interface MeteredMethod {
  name: string;
  operation: string;
  stream?: boolean;
  usage?: (result: unknown) => ResponseUsage | Promise<ResponseUsage>;
}

/** Wraps each of `methods` of `target` with `meter()`, lending the key through `lend`. */
function meterMethods(
  target: object,
  methods: readonly MeteredMethod[],
  model: string | null,
  lend: Lend,
  metering: Metering,
  modelTimeout: number | undefined,
): void {
  for (const method of methods) {
    patch(
      target,
      method.name,
      (original) =>
        (...args) =>
          metering.context.meter({
            operation: method.operation,
            model,
            stream: method.stream ?? false,
            signal: (asObject(args[1]) as SingleRequestOptions | undefined)?.signal,
            run: (secret) =>
              lend(secret, async (receiver) => {
                const { options, deadline } = callOptions(args[1], metering, modelTimeout);
                const callArgs = options === args[1] ? args : [args[0], options, ...args.slice(2)];
                let result: unknown;
                try {
                  result = await original.apply(receiver, callArgs);
                } catch (error) {
                  deadline?.end();
                  const callerSignal = (asObject(args[1]) as SingleRequestOptions | undefined)?.signal;
                  throw timeoutError(error, deadline, callerSignal, metering, method.operation);
                }
                if (method.stream !== true) {
                  deadline?.end();
                  return result;
                }
                // A stream's limit runs until its last chunk: the SDK settles `response` then.
                if (deadline !== undefined) endWith(result, deadline);
                return redactStreamResult(result);
              }),
            ...(method.usage === undefined ? {} : { usage: method.usage }),
          }),
    );
  }
}

function meterChat(chat: ChatSession, metering: Metering, modelTimeout: number | undefined): ChatSession {
  const model = bareModel(chat.model);
  const lend = keySlot(chat, '_apiKey', ['_sendPromise']);
  meterMethods(
    chat,
    [
      { name: 'sendMessage', operation: 'chat.sendMessage', usage: usageOfResult(model) },
      {
        name: 'sendMessageStream',
        operation: 'chat.sendMessageStream',
        stream: true,
        usage: usageOfStream(model),
      },
    ],
    model,
    lend,
    metering,
    modelTimeout,
  );
  hide(chat, () => ({ model }));
  return chat;
}

function meterModel(
  generative: GenerativeModel,
  metering: Metering,
  modelTimeout: number | undefined,
): GenerativeModel {
  const model = bareModel(generative.model);
  const lend = keySlot(generative, 'apiKey');
  meterMethods(
    generative,
    [
      { name: 'generateContent', operation: 'generateContent', usage: usageOfResult(model) },
      {
        name: 'generateContentStream',
        operation: 'generateContentStream',
        stream: true,
        usage: usageOfStream(model),
      },
      { name: 'countTokens', operation: 'countTokens' },
      { name: 'embedContent', operation: 'embedContent' },
      { name: 'batchEmbedContents', operation: 'batchEmbedContents' },
    ],
    model,
    lend,
    metering,
    modelTimeout,
  );
  patch(
    generative,
    'startChat',
    (original) =>
      (...args) =>
        meterChat(original.apply(generative, args) as ChatSession, metering, modelTimeout),
  );
  hide(generative, () => ({ model }));
  return generative;
}

/**
 * What the `sdk` option takes for Gemini: the module (`import * as genai from
 * '@google/generative-ai'`), not the class alone: keycard uses the SDK's error classes too.
 */
export type GeminiSdkSource = typeof import('@google/generative-ai');

/** The Gemini adapter. */
export const gemini: ProviderAdapter<
  GoogleGenerativeAI,
  typeof import('@google/generative-ai'),
  GeminiSdkOptions,
  GeminiSdkSource
> = {
  id: 'gemini',
  packageName: '@google/generative-ai',
  load: () => importOptional<typeof import('@google/generative-ai')>('@google/generative-ai'),
  fromUser: (given) =>
    sdkFromUser(given, {
      provider: 'gemini',
      packageName: '@google/generative-ai',
      exportName: 'GoogleGenerativeAI',
      isExport: (value) => isClassWith(value, [], ['getGenerativeModel']),
      alsoNeeds: ['GoogleGenerativeAIError', 'GoogleGenerativeAIAbortError'],
    }),

  create(module, context) {
    deadlineOf(context.timeout); // a bad timeout fails at creation, not at the first call
    const { baseUrl, apiVersion } = splitBaseURL(context.baseURL);
    const metering: Metering = { context, baseUrl, errors: module };
    const sdk = new module.GoogleGenerativeAI(GEMINI_KEY_PLACEHOLDER);
    /** The model's request options: keycard's base URL over the caller's, their other fields as given. */
    const modelOptions = (given: unknown): RequestOptions => ({
      ...(apiVersion === undefined ? {} : { apiVersion }),
      ...(asObject(given) as RequestOptions | undefined),
      ...(baseUrl === undefined ? {} : { baseUrl }),
    });
    const timeoutOf = (given: unknown): number | undefined => {
      const timeout = (asObject(given) as RequestOptions | undefined)?.timeout;
      return typeof timeout === 'number' ? timeout : undefined;
    };
    patch(
      sdk,
      'getGenerativeModel',
      (original) => (params, options) =>
        meterModel(
          original.call(sdk, params, modelOptions(options)) as GenerativeModel,
          metering,
          timeoutOf(options),
        ),
    );
    patch(
      sdk,
      'getGenerativeModelFromCachedContent',
      (original) => (cached, params, options) =>
        meterModel(
          original.call(sdk, cached, params, modelOptions(options)) as GenerativeModel,
          metering,
          timeoutOf(options),
        ),
    );
    return sdk;
  },

  failureFromError(error) {
    if (!(error instanceof Error)) return undefined;
    const fields = error as Error & { status?: unknown; errorDetails?: unknown };
    if (typeof fields.status !== 'number') return undefined;
    return geminiFailure(fields.status, error.message, fields.errorDetails);
  },

  classify: classifyGemini,

  async verify(sdk): Promise<KeyIdentity> {
    // Gemini keys name no owner: what verify learns is that the key may call the model.
    const counted = await sdk.getGenerativeModel({ model: GEMINI_VERIFY_MODEL }).countTokens('ping');
    return { model: GEMINI_VERIFY_MODEL, countedTokens: counted.totalTokens };
  },
};
