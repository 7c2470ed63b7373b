/**
 * One call per provider, through the real SDK of a keycard client, against a stall server: the
 * plain call, the streamed one where the SDK streams, and the call with a caller's AbortSignal
 * where the SDK takes one. Shared by test/faults/timeouts.test.ts and its child process.
 */
import { inspect } from 'node:util';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { providerOf, type SupportedProvider } from '../../src/providers/registry.js';
import { testKey } from './keys.js';
import type { StallMode } from './stall-server.js';

/** `call`: a plain request; `stream`: a streamed one, read to the end; `abort`: with a signal. */
export type CallKind = 'call' | 'stream' | 'abort';

export const PROVIDERS: readonly SupportedProvider[] = [
  'openai',
  'anthropic',
  'gemini',
  'slack',
  'telegram',
  'xai',
  'groq',
  'openrouter',
  'deepseek',
  'together',
  'mistral',
  'discord',
  'google-genai',
];

/** Providers whose SDK streams over server-sent events. */
export const STREAMING: ReadonlySet<SupportedProvider> = new Set([
  'openai',
  'anthropic',
  'gemini',
  'xai',
  'groq',
  'openrouter',
  'deepseek',
  'together',
  'mistral',
  'google-genai',
]);

/** Providers whose SDK takes a caller's AbortSignal (Slack's `WebClient` takes none; Discord's `REST` takes `signal` per request). */
export const ABORTABLE: ReadonlySet<SupportedProvider> = new Set([
  'openai',
  'anthropic',
  'gemini',
  'telegram',
  'xai',
  'groq',
  'openrouter',
  'deepseek',
  'together',
  'mistral',
  'discord',
  'google-genai',
]);

/** Providers reached through the `openai` SDK. */
const OPENAI_SDK: ReadonlySet<SupportedProvider> = new Set([
  'openai',
  'xai',
  'groq',
  'openrouter',
  'deepseek',
  'together',
  'mistral',
]);

/** The timeout every client gets, in milliseconds. */
export const STALL_TIMEOUT_MS = 400;

export function stallKey(provider: SupportedProvider): string {
  return testKey(providerOf(provider), 'stall');
}

function baseURL(provider: SupportedProvider, url: string): string {
  if (OPENAI_SDK.has(provider)) return `${url}/v1`;
  if (provider === 'slack') return `${url}/api/`;
  return url;
}

/** A keycard client of `provider` against `url`, with a short timeout and no retries. */
export function stallClient<P extends SupportedProvider>(provider: P, url: string) {
  return createClient<P>(provider, keys.literal(stallKey(provider)), {
    baseURL: baseURL(provider, url),
    timeout: STALL_TIMEOUT_MS,
    maxRetries: 0,
    ledger: false,
  });
}

type AnyClient = Awaited<ReturnType<typeof stallClient<SupportedProvider>>>;

const messages = [{ role: 'user' as const, content: 'hi' }];

/** Makes one call of `kind` and reads it to the end; resolves only if the server answered. */
export async function stallCall(
  provider: SupportedProvider,
  client: AnyClient,
  kind: CallKind,
  signal?: AbortSignal,
): Promise<void> {
  // biome-ignore lint/suspicious/noExplicitAny: each provider's SDK has its own type.
  const sdk = client.sdk as any;
  const stream = kind === 'stream';
  const options = signal === undefined ? undefined : { signal };
  switch (provider) {
    case 'openai':
    case 'xai':
    case 'groq':
    case 'openrouter':
    case 'deepseek':
    case 'together':
    case 'mistral': {
      const result = await sdk.chat.completions.create(
        { model: 'gpt-4o-mini', messages, ...(stream ? { stream: true } : {}) },
        options,
      );
      if (stream) for await (const _chunk of result);
      return;
    }
    case 'anthropic': {
      const result = await sdk.messages.create(
        { model: 'claude-3-5-haiku-latest', max_tokens: 16, messages, ...(stream ? { stream: true } : {}) },
        options,
      );
      if (stream) for await (const _event of result);
      return;
    }
    case 'gemini': {
      const model = sdk.getGenerativeModel({ model: 'gemini-2.0-flash' });
      if (!stream) {
        await model.generateContent('hi', options);
        return;
      }
      const result = await model.generateContentStream('hi', options);
      for await (const _chunk of result.stream);
      await result.response;
      return;
    }
    case 'google-genai': {
      const request = {
        model: 'gemini-2.0-flash',
        contents: 'hi',
        ...(signal === undefined ? {} : { config: { abortSignal: signal } }),
      };
      if (!stream) {
        await sdk.models.generateContent(request);
        return;
      }
      for await (const _chunk of await sdk.models.generateContentStream(request));
      return;
    }
    case 'slack':
      await sdk.auth.test();
      return;
    case 'telegram':
      if (signal === undefined) await sdk.getMe();
      else await sdk.callApi('getMe', {}, { signal });
      return;
    case 'discord':
      await sdk.get('/users/@me', options);
      return;
  }
}

/** What a test checks about the error: every way of printing it, and whether that threw. */
export interface ErrorReport {
  /** `error.constructor.name`. */
  className: string;
  name: string;
  message: string;
  /** String(error), message, stack, util.inspect and JSON.stringify, joined. */
  printed: string;
  /** What printing threw, if anything. */
  threw: string | undefined;
}

export function reportError(error: unknown): ErrorReport {
  const value = error as Error;
  const parts: string[] = [];
  let threw: string | undefined;
  const read = (what: string, get: () => unknown) => {
    try {
      parts.push(String(get()));
    } catch (failure) {
      threw ??= `${what}: ${(failure as Error).message}`;
    }
  };
  read('String()', () => String(value));
  read('.message', () => value.message);
  read('.name', () => value.name);
  read('.stack', () => value.stack);
  read('util.inspect', () => inspect(value, { depth: 10 }));
  read('JSON.stringify', () => JSON.stringify(value));
  let name = '';
  let message = '';
  try {
    name = String(value.name);
    message = String(value.message);
  } catch {
    // reported in `threw`
  }
  return {
    className: (value as object | null)?.constructor?.name ?? typeof value,
    name,
    message,
    printed: parts.join('\n'),
    threw,
  };
}

/** The modes that apply to a provider and a kind. */
export function modesOf(provider: SupportedProvider, kind: CallKind): StallMode[] {
  if (kind === 'stream') return STREAMING.has(provider) ? ['sse'] : [];
  if (kind === 'abort') return ABORTABLE.has(provider) ? ['silent', 'json'] : [];
  return ['silent', 'json'];
}
