/**
 * Loads a provider's SDK on first use, once per process, with an install hint when it is missing.
 * @module
 */
import { KeycardError } from '../errors.js';
import { PROVIDERS, type ProviderId } from './ids.js';
import type { ProviderAdapter } from './types.js';

/** What to pass as `sdk`, per provider (and per client id of another SDK), for the not-installed message. */
const SDK_EXAMPLE: Record<ProviderId | 'google-genai', string> = {
  openai: 'OpenAI',
  xai: 'OpenAI',
  groq: 'OpenAI',
  openrouter: 'OpenAI',
  deepseek: 'OpenAI',
  together: 'OpenAI',
  mistral: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: "await import('@google/generative-ai')",
  'google-genai': 'GoogleGenAI',
  slack: 'WebClient',
  telegram: 'Telegram',
  discord: 'REST',
};

/** Sets what a registered provider's not-installed message tells to pass as `sdk`. @internal */
export function addSdkExample(provider: ProviderId, example: string): void {
  SDK_EXAMPLE[provider] = example;
}

const loaded = new Map<string, Promise<unknown>>();
/** The errors `loadSdk` threw because an SDK is not installed. */
const notInstalled = new WeakSet<object>();

function isModuleNotFound(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    (error.message.includes(`'${packageName}'`) || error.message.includes(`"${packageName}"`))
  );
}

/** Imports the adapter's SDK (cached); a missing package becomes a `KeycardError` saying `npm i …`. */
export function loadSdk(
  adapter: Pick<ProviderAdapter, 'id' | 'clientId' | 'packageName' | 'load'>,
): Promise<unknown> {
  // By package: two clients of one provider may use two SDKs ('gemini', 'google-genai').
  let pending = loaded.get(adapter.packageName);
  if (pending === undefined) {
    pending = adapter.load().catch((error: unknown) => {
      loaded.delete(adapter.packageName);
      if (isModuleNotFound(error, adapter.packageName)) {
        const client = (adapter.clientId ?? adapter.id) as keyof typeof SDK_EXAMPLE;
        const missing = new KeycardError(
          `The ${PROVIDERS[adapter.id].label} SDK is not installed. Run \`npm i ${adapter.packageName}\` (it is an optional peer dependency of keycard), or, in a bundle, hand keycard the SDK you imported: createClient('${client}', source, { sdk: ${SDK_EXAMPLE[client] ?? 'sdk'} }).`,
          { cause: error },
        );
        notInstalled.add(missing);
        throw missing;
      }
      throw error;
    });
    loaded.set(adapter.id, pending);
  }
  return pending;
}

/** Whether `error` is the one `loadSdk` (and so `createClient`) throws when the SDK is not installed. */
export function isSdkNotInstalled(error: unknown): error is KeycardError {
  return typeof error === 'object' && error !== null && notInstalled.has(error);
}

/**
 * Whether the adapter's SDK is installed: it is imported (and kept, as `loadSdk` does) when it is.
 * Other failures to load it (a broken install) are thrown.
 */
export async function isSdkInstalled(
  adapter: Pick<ProviderAdapter, 'id' | 'clientId' | 'packageName' | 'load'>,
): Promise<boolean> {
  try {
    await loadSdk(adapter);
    return true;
  } catch (error) {
    if (isSdkNotInstalled(error)) return false;
    throw error;
  }
}

/** How `sdkFromUser` recognises an SDK handed to `createClient` (its `sdk` option). */
export interface UserSdkSpec<SdkModule> {
  provider: ProviderId;
  /** The id `createClient` takes, when it is not `provider` (the adapter's `clientId`). */
  clientId?: string;
  packageName: string;
  /** The export `create()` uses, e.g. `OpenAI`. */
  exportName: string;
  /** Whether `value` is that export (a check of its statics and prototype, which survive minifying). */
  isExport(value: unknown): boolean;
  /** Other exports `create()` needs from the module, checked to be there. */
  alsoNeeds?: readonly string[];
  /** Builds the module from the export alone; when absent, the module must be given. */
  fromExport?(value: unknown): SdkModule;
  /** A message for a known wrong thing (Telegraf's bot class for Telegram), or `undefined`. */
  explainWrong?(value: unknown): string | undefined;
}

const hasFunction = (value: unknown, name: string): boolean =>
  (typeof value === 'function' || (typeof value === 'object' && value !== null)) &&
  typeof (value as Record<string, unknown>)[name] === 'function';

/** Whether `value` is a class whose prototype has all of `methods`. */
export function isClassWith(value: unknown, statics: readonly string[], methods: readonly string[]): boolean {
  if (typeof value !== 'function') return false;
  const prototype: unknown = value.prototype;
  return (
    statics.every((name) => hasFunction(value, name)) && methods.every((name) => hasFunction(prototype, name))
  );
}

/** Names what was given, without printing it. */
function describeGiven(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return value.name === '' ? 'a function' : `the function ${value.name}`;
  return typeof value === 'object' ? 'an object that is not that module' : `a ${typeof value}`;
}

/**
 * Reads `createClient`'s `sdk` option: the module namespace (`import * as x from 'pkg'`, or
 * `require('pkg')`), an object whose `default` is that, or the client class itself when the
 * adapter can build the rest from it. Anything else is a `KeycardError` saying what to pass.
 */
export function sdkFromUser<SdkModule>(given: unknown, spec: UserSdkSpec<SdkModule>): SdkModule {
  const label = PROVIDERS[spec.provider].label;
  const client = spec.clientId ?? spec.provider;
  const where = `createClient('${client}')`;
  const asModule = `import * as sdk from '${spec.packageName}'; createClient('${client}', source, { sdk })`;
  if (spec.isExport(given)) {
    if (spec.fromExport !== undefined) return spec.fromExport(given);
    throw new KeycardError(
      `${where}: sdk is the ${spec.exportName} class, but keycard needs the whole ${label} module (its error classes too): ${asModule}.`,
    );
  }
  for (const candidate of [given, (given as { default?: unknown } | null | undefined)?.default]) {
    if (typeof candidate !== 'object' && typeof candidate !== 'function') continue;
    if (candidate === null) continue;
    const exports = candidate as Record<string, unknown>;
    if (spec.isExport(exports[spec.exportName]) && (spec.alsoNeeds ?? []).every((name) => name in exports)) {
      return candidate as SdkModule;
    }
  }
  const wrong = spec.explainWrong?.(given);
  const expected =
    spec.fromExport === undefined
      ? `the ${label} SDK module (${asModule})`
      : `the ${label} SDK as you imported it: its ${spec.exportName} class (import { ${spec.exportName} } from '${spec.packageName}') or the module (${asModule})`;
  throw new KeycardError(`${where}: sdk must be ${expected}; got ${wrong ?? describeGiven(given)}.`);
}
