/**
 * The providers a project registered with `registerProvider()`, for the CLI: it runs in its own
 * process, so it imports the modules named in `KEYCARD_PROVIDERS` (comma-separated paths, or
 * package names resolved from the working directory) and registers every provider they export.
 * @module
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isRegisteredProvider, providerIdFrom } from '../providers/register.js';
import { CliError } from './output.js';

/** What a module exports that `registerProvider()` returned: default, named, or in an array. */
function providersIn(module: Record<string, unknown>): unknown[] {
  const found: unknown[] = [];
  const visit = (value: unknown) => {
    if (isRegisteredProvider(value)) found.push(value);
    else if (Array.isArray(value)) found.push(...value.filter(isRegisteredProvider));
  };
  for (const value of Object.values(module)) visit(value);
  const fallback = module['default'];
  // A CommonJS module's exports arrive as `default`.
  if (typeof fallback === 'object' && fallback !== null && !Array.isArray(fallback)) {
    for (const value of Object.values(fallback)) visit(value);
  }
  return [...new Set(found)];
}

function urlOf(entry: string): string {
  if (entry.startsWith('.') || isAbsolute(entry)) return pathToFileURL(resolve(entry)).href;
  const resolved = createRequire(join(process.cwd(), 'keycard-providers.js')).resolve(entry);
  return pathToFileURL(resolved).href;
}

/** Imports the modules of `KEYCARD_PROVIDERS` and registers their providers. */
export async function loadProviderModules(list = process.env['KEYCARD_PROVIDERS']): Promise<void> {
  if (list === undefined || list.trim() === '') return;
  for (const entry of list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    let module: Record<string, unknown>;
    try {
      module = (await import(urlOf(entry))) as Record<string, unknown>;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new CliError(`keycard: KEYCARD_PROVIDERS: could not load ${entry}: ${why}`, 2);
    }
    const providers = providersIn(module);
    if (providers.length === 0) {
      throw new CliError(
        `keycard: KEYCARD_PROVIDERS: ${entry} exports no provider: export what registerProvider() returns.`,
        2,
      );
    }
    for (const provider of providers) providerIdFrom(provider);
  }
}
