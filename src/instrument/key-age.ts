/**
 * Key age: how long ago a key was created or last changed at its source, and the warning past a
 * maximum age. Keys should be rotated regularly; a key nobody has replaced for months is one that
 * has had months to leak.
 * @module
 */
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';

/** The default maximum age, in days, before keycard warns. */
export const DEFAULT_MAX_KEY_AGE_DAYS = 90;

const DAY_MS = 86_400_000;

/** Whole days since the key was created or changed, or `undefined` when its source cannot tell. */
export function keyAgeDays(secret: Secret, now = Date.now()): number | undefined {
  const changed = secret.changedAt?.getTime();
  if (changed === undefined || Number.isNaN(changed)) return undefined;
  return Math.max(0, Math.floor((now - changed) / DAY_MS));
}

/** Returns a function that warns once per key when it is older than `maxDays` (`false`: never). */
export function keyAgeWarner(logger: KeycardLogger, maxDays: number | false): (secret: Secret) => void {
  const warned = new Set<string>();
  return (secret) => {
    if (maxDays === false) return;
    const age = keyAgeDays(secret);
    if (age === undefined || age <= maxDays || warned.has(secret.fingerprint)) return;
    warned.add(secret.fingerprint);
    const provider = secret.provider ?? 'key';
    logger.warn(
      `keycard: the ${provider} key ${secret.maskedId} from ${secret.source ?? 'its source'} was last changed ${age} days ago; rotate it (keys older than ${maxDays} days are flagged).`,
      {
        provider: secret.provider,
        maskedId: secret.maskedId,
        fingerprint: secret.fingerprint,
        source: secret.source,
        keyAgeDays: age,
        maxKeyAgeDays: maxDays,
      },
    );
  };
}
