/**
 * Loads a provider's SDK on first use, once per process, with an install hint when it is missing.
 * @module
 */
import { KeycardError } from '../errors.js';
import { PROVIDERS } from './ids.js';
import type { ProviderAdapter } from './types.js';

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
export function loadSdk(adapter: Pick<ProviderAdapter, 'id' | 'packageName' | 'load'>): Promise<unknown> {
  let pending = loaded.get(adapter.id);
  if (pending === undefined) {
    pending = adapter.load().catch((error: unknown) => {
      loaded.delete(adapter.id);
      if (isModuleNotFound(error, adapter.packageName)) {
        const missing = new KeycardError(
          `The ${PROVIDERS[adapter.id].label} SDK is not installed. Run \`npm i ${adapter.packageName}\` (it is an optional peer dependency of keycard).`,
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
  adapter: Pick<ProviderAdapter, 'id' | 'packageName' | 'load'>,
): Promise<boolean> {
  try {
    await loadSdk(adapter);
    return true;
  } catch (error) {
    if (isSdkNotInstalled(error)) return false;
    throw error;
  }
}
