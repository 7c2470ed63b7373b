/**
 * `Secret`: holds one key, shows only its masked id, and hands the clear value out through
 * one greppable method, `reveal()`.
 * @module
 */
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import type { ProviderId } from './providers/ids.js';
import { registerSecret } from './redact/registry.js';

// Clear values live outside the object, so that no inspection (showHidden, private fields,
// structured clone, a debugger's object view of the Secret) can reach them through it.
const values = new WeakMap<Secret, string>();

/**
 * Readable prefixes kept in a masked id, longest first. They say which kind of key it is
 * without giving away any secret part.
 */
const MASK_PREFIXES = [
  'sk-ant-admin01-',
  'sk-or-v1-',
  'tgp_v1_',
  'sk-ant-api03-',
  'sk-ant-oat01-',
  'sk-ant-ort01-',
  'sk-svcacct-',
  'sk-admin-',
  'sk-proj-',
  'sk-None-',
  'xoxe.xoxb-',
  'xoxe.xoxp-',
  'sk-ant-',
  'xoxb-',
  'xoxp-',
  'xoxa-',
  'xoxe-',
  'xapp-',
  'xai-',
  'gsk_',
  'AIza',
  'hvs.',
  'AQ.',
  'sk-',
];

/**
 * Adds a registered provider's key prefix to the readable prefixes. Tried first: a registered
 * prefix is longer than the built-in one it may start with (`sk-my-` over `sk-`). @internal
 */
export function addMaskPrefix(prefix: string): void {
  if (!MASK_PREFIXES.includes(prefix)) MASK_PREFIXES.unshift(prefix);
}

/** The prefixes masked ids keep (built in and registered). @internal */
export function knownMaskPrefixes(): readonly string[] {
  return MASK_PREFIXES;
}

/** Keys shorter than this show no trailing characters: 4 of 12 would be a third of the key. */
const MIN_LENGTH_FOR_TAIL = 16;

/** `sk-proj-****wxyz`: a readable prefix, `****`, and the last 4 characters. */
export function maskKey(value: string): string {
  let prefix = MASK_PREFIXES.find((candidate) => value.startsWith(candidate)) ?? '';
  // Telegram: the bot id before the colon is public (it is the bot's user id).
  const telegram = /^(\d{5,16}:)/.exec(value);
  if (prefix === '' && telegram?.[1] !== undefined) prefix = telegram[1];
  // Discord: the first part is the base64 of the bot's user id, public as Telegram's bot id is.
  const discord = /^([MNO][A-Za-z0-9_-]{22,26}\.)[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}$/.exec(value);
  if (prefix === '' && discord?.[1] !== undefined) prefix = discord[1];
  const tail = value.length >= MIN_LENGTH_FOR_TAIL ? value.slice(-4) : '';
  return `${prefix}****${tail}`;
}

/** 12 hex characters of SHA-256: stable for a key, and not reversible to it. */
export function fingerprintKey(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12);
}

/** Where a secret came from and whose it is. */
export interface SecretOptions {
  /** The provider the key is for, when known. */
  provider?: ProviderId | undefined;
  /** The `describe()` of the key source it came from, e.g. `env:OPENAI_API_KEY`. */
  source?: string | undefined;
  /**
   * When the key was created or last changed at its source, where the source can tell: Vault's
   * `created_time`, a file's modification time, a keystore entry's time. Used for key-age
   * warnings.
   */
  changedAt?: Date | undefined;
}

/**
 * A key held out of sight. `String(secret)`, `JSON.stringify(secret)`, `util.inspect(secret)`
 * and template literals all show `Secret(openai sk-proj-****wxyz)`. Creating one registers its
 * value with the process-wide redactor.
 *
 * @example
 * const secret = new Secret(process.env.OPENAI_API_KEY!, { provider: 'openai' });
 * console.log(`${secret}`); // Secret(openai sk-proj-****wxyz)
 */
export class Secret {
  /** The provider the key is for, when known. */
  readonly provider: ProviderId | undefined;
  /** Where the key came from (`describe()` of its source). */
  readonly source: string | undefined;
  /** A readable prefix, `****` and the last 4 characters, e.g. `sk-proj-****wxyz`. */
  readonly maskedId: string;
  /** When this value was read from its source. */
  readonly obtainedAt: Date;
  /** When the key was created or last changed at its source, when the source can tell. */
  readonly changedAt: Date | undefined;

  constructor(value: string, options: SecretOptions = {}) {
    if (typeof value !== 'string') throw new TypeError('Secret: value must be a string');
    values.set(this, value);
    this.provider = options.provider;
    this.source = options.source;
    this.maskedId = maskKey(value);
    this.obtainedAt = new Date();
    this.changedAt = options.changedAt;
    registerSecret(value, `[REDACTED ${this.provider ?? 'key'} ${this.maskedId}]`);
  }

  #fingerprint: string | undefined;

  /**
   * 12 hex characters of SHA-256 of the key: the same key always gives the same fingerprint.
   * Computed on first use (loading `node:crypto` takes milliseconds, which creating a client
   * need not spend).
   */
  get fingerprint(): string {
    this.#fingerprint ??= fingerprintKey(this.reveal());
    return this.#fingerprint;
  }

  /**
   * The clear key. The one place it leaves keycard: only to hand it to an SDK or a header.
   */
  reveal(): string {
    const value = values.get(this);
    if (value === undefined) throw new TypeError('Secret.reveal() called on a value that is not a Secret');
    return value;
  }

  /** Whether `other` holds the same key. */
  equals(other: Secret): boolean {
    return other.fingerprint === this.fingerprint && other.reveal() === this.reveal();
  }

  /** `Secret(openai sk-proj-****wxyz)`. */
  toString(): string {
    return `Secret(${this.provider === undefined ? '' : `${this.provider} `}${this.maskedId})`;
  }

  /** The masked form, never the key. */
  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }

  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
}
