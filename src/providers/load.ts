/**
 * Loads a provider's SDK on first use, once per process, with an install hint when it is missing.
 * @module
 */
import { KeycardError } from '../errors.js';
import { PROVIDERS } from './ids.js';
import type { ProviderAdapter } from './types.js';

const loaded = new Map<string, Promise<unknown>>();

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
        throw new KeycardError(
          `The ${PROVIDERS[adapter.id].label} SDK is not installed. Run \`npm i ${adapter.packageName}\` (it is an optional peer dependency of keycard).`,
          { cause: error },
        );
      }
      throw error;
    });
    loaded.set(adapter.id, pending);
  }
  return pending;
}
