/**
 * The encrypted keystore: named keys in one local file (`$KEYCARD_HOME/keys.json`), each
 * encrypted with AES-256-GCM under a key derived from a passphrase with scrypt. `keys.keystore()`
 * reads one entry as a key source; `openKeystore()` adds, lists, rotates and removes entries.
 * @module
 */
import { join, resolve as resolvePath } from 'node:path';
import { forAudience } from '../audience.js';
import { expandHome, keycardHome } from '../home.js';
import type { ProviderId } from '../providers/ids.js';
import { fingerprintKey, maskKey, Secret } from '../secret.js';
import { cleanKeyValue, misplacedKeyError, stripKeyValue } from './clean.js';
import {
  DEFAULT_SCRYPT,
  deriveKey,
  entryAad,
  type KeystoreContext,
  type KeystoreData,
  type KeystoreEntry,
  keystoreError,
  newKdf,
  opensCheck,
  readKeystore,
  seal,
  sealCheck,
  unseal,
  withLock,
  writeKeystore,
} from './keystore-file.js';
import { detectProvider, looksLikeKey } from './shapes.js';
import { from } from './spec.js';
import { isKeySource, type KeySource, type ResolveOptions } from './types.js';

/** The variable the passphrase is read from by default. */
export const DEFAULT_PASSPHRASE_VARIABLE = 'KEYCARD_PASSPHRASE';

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MIN_PASSPHRASE_LENGTH = 8;
/** A new keystore with a shorter passphrase is made, with a warning. */
const RECOMMENDED_PASSPHRASE_LENGTH = 12;

/** Where the keystore is and how it is opened. */
export interface KeystoreOptions {
  /**
   * The keystore file; `~/` is the home directory, a relative path is resolved from the working
   * directory.
   * @default `$KEYCARD_HOME/keys.json` (`~/.keycard/keys.json`)
   */
  path?: string | undefined;
  /**
   * Where the passphrase comes from: a `KeySource`, or a spec string. An `env:NAME` spec is read
   * as it is (only surrounding whitespace removed), so a passphrase may contain spaces; a
   * `KeySource` such as `keys.env()` applies key-cleaning rules, which refuse inner spaces.
   * @default 'env:KEYCARD_PASSPHRASE'
   */
  passphrase?: KeySource | string | undefined;
}

/** Options of `openKeystore()`. */
export interface OpenKeystoreOptions extends KeystoreOptions {
  /**
   * scrypt cost for a keystore created by this handle: `N`, a power of two from 2^14 (r = 8,
   * p = 1). A file with a lower cost is encrypted again with this one on its next write; files
   * below N = 2^14 or r = 8 are refused.
   * @default { N: 131072 } (OWASP's current guidance: 128 MiB per derivation)
   */
  kdf?: { N?: number | undefined } | undefined;
  /**
   * Called with a warning (a new keystore's passphrase shorter than 12 characters).
   * @default process.emitWarning
   */
  onWarning?: ((message: string) => void) | undefined;
}

/** What `list()` shows of an entry: never the key. */
export interface KeystoreEntryInfo {
  name: string;
  provider: ProviderId | undefined;
  maskedId: string;
  fingerprint: string;
  createdAt: Date;
  updatedAt: Date;
  /** 1 when added, +1 on every rotation. */
  version: number;
}

/** Options of `Keystore.add()`. */
export interface KeystoreAddOptions {
  /** The provider the key is for. @default detected from the key's shape */
  provider?: ProviderId | undefined;
  /** Replace an entry of that name. @default false */
  overwrite?: boolean | undefined;
}

function keystorePath(path: string | undefined): string {
  if (path !== undefined && (typeof path !== 'string' || path.trim() === '')) {
    throw new TypeError('keycard keystore: path must be a non-empty string');
  }
  return path === undefined ? join(keycardHome(), 'keys.json') : resolvePath(expandHome(path));
}

function checkName(name: string, where: string): void {
  if (typeof name === 'string' && looksLikeKey(name)) {
    throw misplacedKeyError(
      'a keystore entry name',
      'Name the entry (e.g. "openai") and pass the key as the value.',
      where,
    );
  }
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`${where}: an entry name has 1 to 64 letters, digits, '.', '_' or '-'`);
  }
}

/** The passphrase source and its `describe()`. */
function passphraseSource(passphrase: KeySource | string | undefined): KeySource {
  if (isKeySource(passphrase)) return passphrase;
  const spec = passphrase ?? `env:${DEFAULT_PASSPHRASE_VARIABLE}`;
  if (typeof spec !== 'string')
    throw new TypeError('keycard keystore: passphrase must be a KeySource or a spec string');
  const env = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(spec.trim());
  if (env === null) return from(spec);
  const name = env[1] as string;
  return {
    describe: () => `env:${name}`,
    async resolve() {
      const raw = process.env[name];
      const value = raw === undefined ? '' : stripKeyValue(raw);
      if (value === '') {
        throw keystoreError(
          { path: '', source: `env:${name}`, passphraseSource: `env:${name}` },
          'missing',
          `No keystore passphrase: ${name} is not set.`,
          `Set ${name} to the keystore's passphrase${forAudience(', or pass { passphrase } (a KeySource or spec string)', ' (--passphrase-env names another variable)')}.`,
        );
      }
      return new Secret(value, { source: `env:${name}` });
    },
  };
}

/** The keystore's handle: one file, one passphrase source. */
export class Keystore {
  /** The keystore file. */
  readonly path: string;
  readonly #passphrase: KeySource;
  readonly #N: number;
  readonly #onWarning: ((message: string) => void) | undefined;

  constructor(options: OpenKeystoreOptions = {}) {
    this.#onWarning = options.onWarning;
    this.path = keystorePath(options.path);
    this.#passphrase = passphraseSource(options.passphrase);
    const N = options.kdf?.N ?? DEFAULT_SCRYPT.N;
    if (!Number.isSafeInteger(N) || N < 2 ** 14 || N > 2 ** 20 || (N & (N - 1)) !== 0) {
      throw new TypeError('openKeystore(): kdf.N must be a power of two from 16384 to 1048576');
    }
    this.#N = N;
  }

  #context(name?: string): KeystoreContext {
    return {
      path: this.path,
      source: name === undefined ? `keystore:${this.path}` : `keystore:${name}`,
      passphraseSource: this.#passphrase.describe(),
    };
  }

  /** Names, providers, masked ids, fingerprints and dates: no passphrase needed. */
  async list(): Promise<KeystoreEntryInfo[]> {
    const data = await readKeystore(this.#context());
    return Object.entries(data?.entries ?? {})
      .map(([name, entry]) => info(name, entry))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Whether an entry of that name exists. */
  async has(name: string): Promise<boolean> {
    const data = await readKeystore(this.#context(name));
    return data !== undefined && Object.hasOwn(data.entries, name);
  }

  /** The key stored under `name`, as a `Secret` whose `changedAt` is the entry's last update. */
  async get(name: string, options: { provider?: ProviderId | undefined } = {}): Promise<Secret> {
    checkName(name, 'keystore.get()');
    const context = { ...this.#context(name), provider: options.provider };
    const data = await readKeystore(context);
    const entry = data !== undefined && Object.hasOwn(data.entries, name) ? data.entries[name] : undefined;
    if (data === undefined || entry === undefined) {
      throw keystoreError(
        context,
        'missing',
        data === undefined
          ? `There is no keystore at ${this.path}.`
          : `The keystore ${this.path} has no entry "${name}".`,
        `Add it with: keycard keys add ${name} (or openKeystore().add('${name}', key)).`,
      );
    }
    const key = await this.#key(data, context);
    const value = unseal(key, entry, entryAad(name, entry));
    if (value === undefined || fingerprintKey(value) !== entry.fingerprint) {
      throw keystoreError(
        context,
        'malformed',
        `The keystore entry "${name}" in ${this.path} was altered or is damaged: it does not decrypt.`,
        `Restore the file from a backup, or add the key again (keycard keys rotate ${name}).`,
      );
    }
    return new Secret(value, {
      provider: options.provider ?? entry.provider ?? undefined,
      source: `keystore:${name}`,
      changedAt: new Date(entry.updatedAt),
    });
  }

  /** Stores `value` under `name`; creates the file (mode 600, directory 700) when needed. */
  async add(name: string, value: string, options: KeystoreAddOptions = {}): Promise<KeystoreEntryInfo> {
    checkName(name, 'keystore.add()');
    return this.#write(name, value, options.provider, (existing) => {
      if (existing !== undefined && options.overwrite !== true) {
        throw new TypeError(
          `keystore.add(): the entry "${name}" exists; use rotate() to replace its key, or { overwrite: true }`,
        );
      }
      return undefined;
    });
  }

  /** Replaces the key of an existing entry; keeps its creation time and bumps its version. */
  async rotate(name: string, value: string): Promise<KeystoreEntryInfo> {
    checkName(name, 'keystore.rotate()');
    return this.#write(name, value, undefined, (existing) => {
      if (existing === undefined) {
        throw keystoreError(
          this.#context(name),
          'missing',
          `The keystore ${this.path} has no entry "${name}" to rotate.`,
          `Add it first: keycard keys add ${name}.`,
        );
      }
      return existing;
    });
  }

  /** Removes an entry; resolves to whether it existed. */
  async remove(name: string): Promise<boolean> {
    checkName(name, 'keystore.remove()');
    const context = this.#context(name);
    return withLock(context, async () => {
      const data = await readKeystore(context);
      if (data === undefined || !Object.hasOwn(data.entries, name)) return false;
      delete data.entries[name];
      await writeKeystore(this.path, await this.#upgrade(data, context));
      return true;
    });
  }

  async #write(
    name: string,
    raw: string,
    provider: ProviderId | undefined,
    decide: (existing: KeystoreEntry | undefined) => KeystoreEntry | undefined,
  ): Promise<KeystoreEntryInfo> {
    const context = this.#context(name);
    const value = cleanKeyValue(raw, { source: context.source, provider });
    return withLock(context, async () => {
      const data = await this.#upgrade((await readKeystore(context)) ?? (await this.#create()), context);
      const key = await this.#key(data, context);
      const existing = Object.hasOwn(data.entries, name) ? data.entries[name] : undefined;
      const kept = decide(existing);
      const now = new Date().toISOString();
      const clear = {
        provider: provider ?? kept?.provider ?? detectProvider(value) ?? null,
        maskedId: maskKey(value),
        fingerprint: fingerprintKey(value),
        createdAt: kept?.createdAt ?? now,
        updatedAt: now,
        version: (kept?.version ?? 0) + 1,
      };
      // Registered with the redactor before anything could print it.
      new Secret(value, { provider: clear.provider ?? undefined, source: context.source });
      const entry: KeystoreEntry = { ...clear, ...seal(key, value, entryAad(name, clear)) };
      data.entries[name] = entry;
      await writeKeystore(this.path, data);
      return info(name, entry);
    });
  }

  async #create(): Promise<KeystoreData> {
    const passphrase = await this.#resolvePassphrase(this.#context());
    if (passphrase.reveal().length < MIN_PASSPHRASE_LENGTH) {
      throw keystoreError(
        this.#context(),
        'malformed',
        `The passphrase from ${this.#passphrase.describe()} is shorter than ${MIN_PASSPHRASE_LENGTH} characters; a new keystore needs a longer one.`,
        'Choose a long passphrase (several words), kept in a password manager.',
      );
    }
    if (passphrase.reveal().length < RECOMMENDED_PASSPHRASE_LENGTH) {
      this.#warn(
        `keycard: the passphrase from ${this.#passphrase.describe()} has fewer than ${RECOMMENDED_PASSPHRASE_LENGTH} characters; a copy of the keystore is only as safe as its passphrase. Choose a longer one (several words).`,
      );
    }
    const kdf = newKdf(this.#N);
    const key = await deriveKey(passphrase, kdf);
    return { format: 'keycard-keystore', version: 1, kdf, check: sealCheck(key), entries: {} };
  }

  /**
   * A file whose scrypt cost is below this handle's (an older keycard's default) is encrypted
   * again under new parameters before it is written: every entry, with its clear metadata kept.
   */
  async #upgrade(data: KeystoreData, context: KeystoreContext): Promise<KeystoreData> {
    const defaults = newKdf(this.#N);
    if (data.kdf.N * data.kdf.r >= defaults.N * defaults.r) return data;
    const oldKey = await this.#key(data, context);
    const passphrase = await this.#resolvePassphrase(context);
    const newKey = await deriveKey(passphrase, defaults);
    const entries: Record<string, KeystoreEntry> = {};
    for (const [name, entry] of Object.entries(data.entries)) {
      const { iv: _iv, tag: _tag, data: _data, ...clear } = entry;
      const value = unseal(oldKey, entry, entryAad(name, clear));
      if (value === undefined) {
        throw keystoreError(
          context,
          'malformed',
          `The keystore entry "${name}" in ${this.path} was altered or is damaged: it does not decrypt.`,
          `Restore the file from a backup, or remove the entry (keycard keys rm ${name}) and add it again.`,
        );
      }
      entries[name] = { ...clear, ...seal(newKey, value, entryAad(name, clear)) };
    }
    return { ...data, kdf: defaults, check: sealCheck(newKey), entries };
  }

  #warn(message: string): void {
    if (this.#onWarning !== undefined) this.#onWarning(message);
    else process.emitWarning(message, { code: 'KEYCARD_WEAK_PASSPHRASE' });
  }

  async #resolvePassphrase(context: KeystoreContext): Promise<Secret> {
    try {
      return await this.#passphrase.resolve({});
    } catch (error) {
      throw keystoreError(
        context,
        'missing',
        `The keystore passphrase could not be read from ${this.#passphrase.describe()}.`,
        `Set ${this.#passphrase.describe().replace(/^env:/, '')} to the keystore's passphrase${forAudience(', or pass { passphrase }', ' (--passphrase-env names another variable)')}.`,
        { cause: error },
      );
    }
  }

  /** The file's key, after checking that the passphrase opens it. */
  async #key(data: KeystoreData, context: KeystoreContext): Promise<Buffer> {
    const passphrase = await this.#resolvePassphrase(context);
    const key = await deriveKey(passphrase, data.kdf);
    if (!opensCheck(key, data.check)) {
      throw keystoreError(
        context,
        'source_unavailable',
        `The passphrase from ${this.#passphrase.describe()} does not open the keystore ${this.path} (or its check block was altered).`,
        `Set ${this.#passphrase.describe()} to the passphrase the keystore was created with.`,
      );
    }
    return key;
  }
}

function info(name: string, entry: KeystoreEntry): KeystoreEntryInfo {
  return {
    name,
    provider: entry.provider ?? undefined,
    maskedId: entry.maskedId,
    fingerprint: entry.fingerprint,
    createdAt: new Date(entry.createdAt),
    updatedAt: new Date(entry.updatedAt),
    version: entry.version,
  };
}

/**
 * The keystore at `options.path` (default `$KEYCARD_HOME/keys.json`), to add, list, rotate and
 * remove keys. The passphrase is read from `KEYCARD_PASSPHRASE` unless `options.passphrase` says
 * otherwise; `list()` needs none.
 *
 * @example
 * const store = openKeystore();
 * await store.add('openai', keyFromAPrompt, { provider: 'openai' });
 * for (const entry of await store.list()) console.log(entry.name, entry.maskedId, entry.updatedAt);
 */
export function openKeystore(options: OpenKeystoreOptions = {}): Keystore {
  return new Keystore(options);
}

/**
 * A key from the encrypted keystore, read (and decrypted) on every resolve, so that a `rotate()`
 * by any process is picked up; an unchanged value gives the same `Secret` instance.
 * `describe()`: `keystore:NAME`, or `keystore:NAME@PATH` when a path is given. Spec string:
 * `keystore:NAME`.
 *
 * @example
 * const openai = await createClient('openai', keys.keystore('openai'));
 * // the same: await createClient('openai', 'keystore:openai');
 */
export function keystore(name: string, options: KeystoreOptions = {}): KeySource {
  checkName(name, 'keys.keystore()');
  const store = new Keystore(options);
  const described = options.path === undefined ? `keystore:${name}` : `keystore:${name}@${options.path}`;
  let last: Secret | undefined;
  return {
    describe: () => described,
    async resolve(resolveOptions: ResolveOptions = {}): Promise<Secret> {
      resolveOptions.signal?.throwIfAborted();
      const read = await store.get(name, { provider: resolveOptions.provider });
      if (last !== undefined && last.fingerprint === read.fingerprint && last.provider === read.provider)
        return last;
      last = new Secret(read.reveal(), {
        provider: read.provider,
        source: described,
        changedAt: read.changedAt,
      });
      return last;
    },
  };
}
