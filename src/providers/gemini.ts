/**
 * Google Gemini, through the official `@google/generative-ai` (0.24). `createClient('gemini')`
 * returns a `GoogleGenerativeAI`.
 *
 * Google marks this SDK deprecated in favour of `@google/genai`, which needs Node 22; keycard
 * supports Node 20, so it wraps this one. The Gemini facts (usage, error classification) live in
 * `gemini-usage.ts`, so that a `@google/genai` adapter can sit beside this one.
 *
 * This SDK has no `fetch` option and keeps the key on every object it hands out
 * (`GoogleGenerativeAI`, each `GenerativeModel`, each `ChatSession`). keycard therefore:
 * - applies `baseURL` (and `timeout`) to every model the user gets (`getGenerativeModel`,
 *   `getGenerativeModelFromCachedContent`); request options the user passes still win;
 * - meters every call method of models and chat sessions, putting the current key on the object
 *   just before the call (so a rotated key is picked up, by old models too);
 * - gives every model and chat session an `util.inspect` and `JSON.stringify` form without the key;
 * - redacts errors: this SDK copies the server's error text (and its details) into `message`.
 * A stream is recorded when its aggregated `response` resolves, that is, once it has been read.
 * @module
 */
import { inspect } from 'node:util';
import type { ChatSession, GenerativeModel, GoogleGenerativeAI, RequestOptions } from '@google/generative-ai';
import type { Secret } from '../secret.js';
import { bareModel, classifyGemini, geminiFailure, geminiUsage } from './gemini-usage.js';
import type { AdapterContext, KeyIdentity, ProviderAdapter, ResponseUsage } from './types.js';

/** Gemini takes no constructor options besides the key: `sdkOptions` is not used. */
export type GeminiSdkOptions = Record<string, never>;

/** The model `verify()` counts tokens with: counting is free and needs a valid key. */
export const GEMINI_VERIFY_MODEL = 'gemini-2.5-flash';

type Method = (...args: unknown[]) => Promise<unknown>;

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

/** Replaces `target[name]` (an own, non-enumerable property) with `wrap(original)`. */
function patch(target: object, name: string, wrap: (original: Method) => Method): void {
  const original = (target as Record<string, Method>)[name];
  if (typeof original !== 'function') return;
  Object.defineProperty(target, name, {
    value: wrap(original.bind(target)),
    configurable: true,
    writable: true,
  });
}

const usageOfResult =
  (model: string | null) =>
  (result: unknown): ResponseUsage =>
    geminiUsage((result as { response?: { usageMetadata?: unknown } }).response?.usageMetadata, model);

const usageOfStream =
  (model: string | null) =>
  async (result: unknown): Promise<ResponseUsage> => {
    const response = await (result as { response: Promise<{ usageMetadata?: unknown }> }).response;
    return geminiUsage(response.usageMetadata, model);
  };

function meterChat(chat: ChatSession, context: AdapterContext<GeminiSdkOptions>): ChatSession {
  const model = bareModel(chat.model);
  const withKey = (secret: Secret) => {
    (chat as unknown as { _apiKey: string })._apiKey = secret.reveal();
  };
  patch(
    chat,
    'sendMessage',
    (original) =>
      (...args) =>
        context.meter({
          operation: 'chat.sendMessage',
          model,
          run: (secret) => {
            withKey(secret);
            return original(...args);
          },
          usage: usageOfResult(model),
        }),
  );
  patch(
    chat,
    'sendMessageStream',
    (original) =>
      (...args) =>
        context.meter({
          operation: 'chat.sendMessageStream',
          model,
          stream: true,
          run: (secret) => {
            withKey(secret);
            return original(...args);
          },
          usage: usageOfStream(model),
        }),
  );
  hide(chat, () => ({ model }));
  return chat;
}

function meterModel(generative: GenerativeModel, context: AdapterContext<GeminiSdkOptions>): GenerativeModel {
  const model = bareModel(generative.model);
  const call = (
    operation: string,
    usage?: (result: unknown) => ResponseUsage | Promise<ResponseUsage>,
    stream = false,
  ) =>
    patch(
      generative,
      operation,
      (original) =>
        (...args) =>
          context.meter({
            operation,
            model,
            stream,
            run: (secret) => {
              generative.apiKey = secret.reveal();
              return original(...args);
            },
            ...(usage === undefined ? {} : { usage }),
          }),
    );
  call('generateContent', usageOfResult(model));
  call('generateContentStream', usageOfStream(model), true);
  // Counting tokens is free, and embeddings answers carry no token counts.
  call('countTokens');
  call('embedContent');
  call('batchEmbedContents');
  patch(generative, 'startChat', (original) => (...args) => {
    const chat = (original as unknown as (...rest: unknown[]) => ChatSession)(...args);
    return meterChat(chat, context) as unknown as Promise<unknown>;
  });
  hide(generative, () => ({ model }));
  return generative;
}

/** The Gemini adapter. */
export const gemini: ProviderAdapter<
  GoogleGenerativeAI,
  typeof import('@google/generative-ai'),
  GeminiSdkOptions
> = {
  id: 'gemini',
  packageName: '@google/generative-ai',
  load: () => import('@google/generative-ai'),

  create(module, context) {
    const sdk = new module.GoogleGenerativeAI(context.currentKey().reveal());
    const defaults: RequestOptions = {
      ...(context.baseURL === undefined ? {} : { baseUrl: context.baseURL.replace(/\/+$/, '') }),
      ...(context.timeout === undefined ? {} : { timeout: context.timeout }),
    };
    patch(sdk, 'getGenerativeModel', (original) => (params, options) => {
      const made = (original as unknown as (...rest: unknown[]) => GenerativeModel)(params, {
        ...defaults,
        ...(options as RequestOptions),
      });
      return meterModel(made, context) as unknown as Promise<unknown>;
    });
    patch(sdk, 'getGenerativeModelFromCachedContent', (original) => (cached, params, options) => {
      const made = (original as unknown as (...rest: unknown[]) => GenerativeModel)(cached, params, {
        ...defaults,
        ...(options as RequestOptions),
      });
      return meterModel(made, context) as unknown as Promise<unknown>;
    });
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
    // Gemini keys carry no owner: what verify learns is that the key may call the model.
    const counted = await sdk.getGenerativeModel({ model: GEMINI_VERIFY_MODEL }).countTokens('ping');
    return { model: GEMINI_VERIFY_MODEL, countedTokens: counted.totalTokens };
  },
};
