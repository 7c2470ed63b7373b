/**
 * Redacts what the `debug` package prints (`DEBUG=telegraf:*`): the SDKs that log through it
 * (telegraf) put their own data in those lines, and a server's answer that quotes the key with it.
 * @module
 */
import { createRequire } from 'node:module';
import { formatWithOptions, type InspectOptions } from 'node:util';
import { containsSecret, redactText } from './redactor.js';

/** What keycard uses of a `debug` module (`require('debug')`, the `createDebug` function). */
interface DebugModule {
  formatArgs?: (this: unknown, args: unknown[]) => void;
  inspectOpts?: InspectOptions;
}

const REDACTING = Symbol.for('keycard.redact.debug-output');

/**
 * Makes every line of the `debug` module `createDebug` redacted, whatever its namespace. It wraps
 * the module's `formatArgs` (which every enabled line goes through before its `log` function):
 * a line that holds no secret is left exactly as it was; a line that does (at any depth of its
 * objects) is formatted as the module's own `log` would, with the module's `inspectOpts`, and
 * handed on redacted as one string. Lines of disabled namespaces cost nothing more. Safe to call
 * twice, and on anything that is not a `debug` module.
 */
export function redactDebugOutput(createDebug: unknown): void {
  if (typeof createDebug !== 'function') return;
  const debugModule = createDebug as DebugModule & { [REDACTING]?: true };
  const original = debugModule.formatArgs;
  if (debugModule[REDACTING] === true || typeof original !== 'function') return;
  Object.defineProperty(debugModule, REDACTING, { value: true });
  debugModule.formatArgs = function formatArgs(this: unknown, args: unknown[]): void {
    original.call(this, args);
    const options = debugModule.inspectOpts ?? {};
    const whole = formatWithOptions({ ...options, colors: false, depth: Number.POSITIVE_INFINITY }, ...args);
    if (!containsSecret(whole)) return;
    args.splice(0, args.length, redactText(formatWithOptions(options, ...args)));
  };
}

/**
 * Redacts the output of the `debug` module that the package `packageName` loads, resolved from
 * that package's own folder (the copy it really uses). Nothing happens when either is missing.
 */
export function redactDebugOutputOf(packageName: string): void {
  try {
    // The CommonJS build gets `import.meta.url` from tsup's shims.
    const entry = createRequire(import.meta.url).resolve(packageName);
    redactDebugOutput(createRequire(entry)('debug'));
  } catch {
    // no such package, or it loads no `debug`: nothing to redact
  }
}
