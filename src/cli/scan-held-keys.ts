/**
 * The clear keys a scan found, held in memory for `keycard scan --verify` only, by fingerprint:
 * a `Finding` never carries its key (so no output, copy or JSON of one can), and nothing is held
 * unless verification asked for it before the scan.
 * @module
 */

let held: Map<string, string> | undefined;

/** From now on, the scanner keeps each key it finds (by fingerprint) until {@link takeHeldKeys}. */
export function holdKeys(): void {
  held ??= new Map();
}

/** Called by the scanner for each key found: kept only while {@link holdKeys} is on. */
export function holdKey(fingerprint: string, text: string, index: number, length: number): void {
  if (held !== undefined && !held.has(fingerprint)) held.set(fingerprint, text.slice(index, index + length));
}

/** The keys held so far, by fingerprint; the scanner stops holding them. */
export function takeHeldKeys(): Map<string, string> {
  const taken = held ?? new Map<string, string>();
  held = undefined;
  return taken;
}

/** Whether the scanner keeps the keys it finds now. */
export function holdingKeys(): boolean {
  return held !== undefined;
}

/** Keys a worker thread found (see scan-parallel.ts), kept while {@link holdKeys} is on. */
export function addHeldKeys(keys: Iterable<readonly [string, string]>): void {
  if (held === undefined) return;
  for (const [fingerprint, key] of keys) if (!held.has(fingerprint)) held.set(fingerprint, key);
}
