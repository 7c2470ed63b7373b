/**
 * The process-wide list of secret values to redact. It lives on `globalThis` under a
 * registered symbol, so that every copy of keycard loaded in one process (ESM and CommonJS
 * builds, or two versions in `node_modules`) redacts the secrets any of them resolved.
 * @module
 */

/** One registered secret: its clear value and the text that replaces it. */
export interface RegisteredSecret {
  readonly value: string;
  readonly replacement: string;
}

interface SecretRegistry {
  /** Bumped on every change, so that each copy knows when to rebuild its matcher. */
  version: number;
  readonly secrets: Map<string, RegisteredSecret>;
}

const REGISTRY = Symbol.for('keycard.redact.registry.v1');

/**
 * Values shorter than this are never registered: replacing every occurrence of a short string
 * would shred ordinary text. Key sources reject keys this short as malformed anyway.
 */
export const MIN_SECRET_LENGTH = 8;

export function secretRegistry(): SecretRegistry {
  const holder = globalThis as { [REGISTRY]?: SecretRegistry };
  holder[REGISTRY] ??= { version: 0, secrets: new Map() };
  return holder[REGISTRY];
}

/** Registers `value` so that the redactor replaces it with `replacement` from now on. */
export function registerSecret(value: string, replacement: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  const registry = secretRegistry();
  if (registry.secrets.has(value)) return;
  registry.secrets.set(value, { value, replacement });
  registry.version += 1;
}
