/**
 * What to do about a key `keycard scan` found: the provider's page where it is revoked (the one
 * keycard's hints name), and `keycard keys rotate NAME` when the same key (by fingerprint) is in
 * the local keystore.
 * @module
 */
import { openKeystore } from '../keys/keystore.js';
import { englishWords } from '../messages/providers.js';
import { isProviderId } from '../providers/ids.js';

/** What to do about one finding. */
export interface Remediation {
  /** Where the key is revoked (a page, or for keys without one, where they were issued). */
  revokeAt: string;
  /** `keycard keys rotate NAME` when the key is in the local keystore. */
  rotate?: string | undefined;
}

/** Where a key of the scanner's `label` is revoked. */
export function revokePage(label: string): string {
  if (isProviderId(label)) return englishWords(label).newKeyAt;
  if (label === 'openai-compatible')
    return `the provider that issued it (DeepSeek: ${englishWords('deepseek').newKeyAt}; Moonshot, a gateway: its console)`;
  if (label === 'vault') return 'its Vault server (vault token revoke -self, with the token)';
  return 'the service that issued it';
}

/**
 * The keystore's entry names by fingerprint (no passphrase needed); empty when there is no
 * keystore or it cannot be read: remediation is advice, never a reason for the scan to fail.
 */
export async function keystoreNames(path: string | undefined): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  try {
    for (const entry of await openKeystore({ path }).list()) {
      names.set(entry.fingerprint, [...(names.get(entry.fingerprint) ?? []), entry.name]);
    }
  } catch {
    // no keystore, or not one keycard reads: nothing to rotate
  }
  return names;
}

/** The remediation of a key of `label` with `fingerprint`. */
export function remediationFor(
  label: string,
  fingerprint: string,
  stored: ReadonlyMap<string, string[]>,
  keystorePath: string | undefined,
): Remediation {
  const name = stored.get(fingerprint)?.[0];
  const path = keystorePath === undefined ? '' : ` --path ${shellWord(keystorePath)}`;
  return {
    revokeAt: revokePage(label),
    ...(name === undefined ? {} : { rotate: `keycard keys rotate ${name}${path}` }),
  };
}

/** `path` as one shell word: as it is when that is safe, else in single quotes. */
function shellWord(path: string): string {
  return /^[\w./~:@%+=,-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
