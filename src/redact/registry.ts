/**
 * The process-wide list of secret values to redact, shared by every copy of keycard loaded in
 * one process (ESM and CommonJS builds, or two versions in `node_modules`), so that each copy
 * redacts the secrets any of them resolved.
 *
 * The values live in a closure, never on an object: the only thing on `globalThis` is a
 * non-enumerable, read-only, non-configurable handle to a frozen object of functions. A dump of
 * the global object (`console.log(globalThis)`, a crash reporter, a REPL) shows no value, and no
 * code can clear the list or put another in its place.
 * @module
 */

/** The handle every copy of keycard shares. Functions only: no value is reachable through it. */
export interface SecretRegistry {
  /** Bumped on every change, so that each copy knows when to rebuild its matcher. */
  readonly version: () => number;
  /** Adds `value`, replaced by `replacement` from now on; a value already there is kept as is. */
  readonly register: (value: string, replacement: string) => void;
  /** Calls `visit` with each registered value and its replacement (for building a matcher). */
  readonly forEach: (visit: (value: string, replacement: string) => void) => void;
}

const REGISTRY = Symbol.for('keycard.redact.registry.v2');

/**
 * Values shorter than this are never registered: replacing every occurrence of a short string
 * would shred ordinary text. Key sources reject keys this short as malformed anyway.
 */
export const MIN_SECRET_LENGTH = 8;

function createRegistry(): SecretRegistry {
  const secrets = new Map<string, string>();
  let version = 0;
  return Object.freeze({
    version: () => version,
    register: (value: string, replacement: string) => {
      if (typeof value !== 'string' || typeof replacement !== 'string') return;
      if (value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
      secrets.set(value, replacement);
      version += 1;
    },
    forEach: (visit: (value: string, replacement: string) => void) => {
      for (const [value, replacement] of secrets) visit(value, replacement);
    },
  });
}

let shared: SecretRegistry | undefined;

/** The registry of this process, created by the first copy of keycard that asks. */
export function secretRegistry(): SecretRegistry {
  if (shared !== undefined) return shared;
  const holder = globalThis as { [REGISTRY]?: SecretRegistry };
  const found = holder[REGISTRY];
  if (found !== undefined) {
    shared = found;
    return found;
  }
  const registry = createRegistry();
  Object.defineProperty(globalThis, REGISTRY, {
    value: registry,
    enumerable: false,
    writable: false,
    configurable: false,
  });
  shared = registry;
  return registry;
}

/** Registers `value` so that the redactor replaces it with `replacement` from now on. */
export function registerSecret(value: string, replacement: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  secretRegistry().register(value, replacement);
}
