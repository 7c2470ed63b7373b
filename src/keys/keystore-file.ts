/**
 * The keystore file: its JSON format, AES-256-GCM under a scrypt-derived key, atomic writes with
 * mode 600, and a lock file so that several processes can change it at once without losing an
 * entry. Nothing here ever puts a key or the passphrase in an error.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CredentialError, type CredentialReason } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';
import type { Secret } from '../secret.js';

export const KEYSTORE_FORMAT = 'keycard-keystore';
export const KEYSTORE_VERSION = 1;

/** scrypt parameters, stored per file. */
export interface KdfParameters {
  name: 'scrypt';
  /** Base64 salt, 16 bytes. */
  salt: string;
  N: number;
  r: number;
  p: number;
  keyLength: 32;
}

/** One AES-256-GCM box: base64 IV (12 bytes), tag (16 bytes) and ciphertext. */
export interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

/** An entry: clear metadata (authenticated with the ciphertext) and the sealed key. */
export interface KeystoreEntry extends Sealed {
  provider: ProviderId | null;
  maskedId: string;
  fingerprint: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface KeystoreData {
  format: typeof KEYSTORE_FORMAT;
  version: typeof KEYSTORE_VERSION;
  kdf: KdfParameters;
  check: Sealed;
  entries: Record<string, KeystoreEntry>;
}

/**
 * Defaults for new files, at OWASP's current guidance for scrypt: N = 2^17, r = 8, p = 1
 * (128 MiB, about 0.3 s per derivation, cached per process).
 */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
/**
 * Bounds for parameters read from a file. Below the floor (N = 2^14, r = 8: 16 MiB) a file is
 * refused, as a stolen copy would be cheap to attack; above the ceiling a hostile file could
 * exhaust the machine.
 */
export const SCRYPT_BOUNDS = { minN: 2 ** 14, minR: 8, maxN: 2 ** 20, maxR: 32, maxP: 16 } as const;

const CHECK_PLAINTEXT = 'keycard keystore check v1';
const CHECK_AAD = 'keycard-keystore-check';

/** Where the keystore is and where its passphrase comes from, for errors. */
export interface KeystoreContext {
  path: string;
  source: string;
  passphraseSource: string;
  provider?: ProviderId | undefined;
}

export function keystoreError(
  context: KeystoreContext,
  reason: CredentialReason,
  message: string,
  hint: string,
  extra: { cause?: unknown; retryable?: boolean } = {},
): CredentialError {
  return new CredentialError({
    reason,
    message,
    hint,
    source: context.source,
    provider: context.provider,
    ...extra,
  });
}

function corrupt(context: KeystoreContext, what: string): CredentialError {
  return keystoreError(
    context,
    'malformed',
    `The keystore ${context.path} ${what}.`,
    'Restore the file from a backup, or move it aside and add the keys again (keycard keys add).',
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isSealed = (value: unknown): value is Sealed =>
  isObject(value) &&
  typeof value['iv'] === 'string' &&
  typeof value['tag'] === 'string' &&
  typeof value['data'] === 'string';

/** Checks the parsed JSON's shape; throws `malformed` for anything that is not a keystore. */
function validate(value: unknown, context: KeystoreContext): KeystoreData {
  if (!isObject(value) || value['format'] !== KEYSTORE_FORMAT)
    throw corrupt(context, 'is not a keycard keystore');
  if (value['version'] !== KEYSTORE_VERSION) {
    throw keystoreError(
      context,
      'malformed',
      `The keystore ${context.path} has format version ${String(value['version']).slice(0, 8)}; this keycard reads version ${KEYSTORE_VERSION}.`,
      'Upgrade keycard to read it.',
    );
  }
  const kdf = value['kdf'];
  if (
    !isObject(kdf) ||
    kdf['name'] !== 'scrypt' ||
    typeof kdf['salt'] !== 'string' ||
    kdf['keyLength'] !== 32 ||
    !Number.isSafeInteger(kdf['N']) ||
    !Number.isSafeInteger(kdf['r']) ||
    !Number.isSafeInteger(kdf['p'])
  ) {
    throw corrupt(context, 'has broken key-derivation parameters');
  }
  const N = kdf['N'] as number;
  const r = kdf['r'] as number;
  const p = kdf['p'] as number;
  if (
    N > SCRYPT_BOUNDS.maxN ||
    (N & (N - 1)) !== 0 ||
    r > SCRYPT_BOUNDS.maxR ||
    p < 1 ||
    p > SCRYPT_BOUNDS.maxP
  ) {
    throw corrupt(context, 'has key-derivation parameters out of the accepted range');
  }
  if (N < SCRYPT_BOUNDS.minN || r < SCRYPT_BOUNDS.minR) {
    throw keystoreError(
      context,
      'insecure_source',
      `The keystore ${context.path} is encrypted with scrypt parameters below keycard's floor (N=${N}, r=${r}; at least N=${SCRYPT_BOUNDS.minN}, r=${SCRYPT_BOUNDS.minR}).`,
      'A file this weak is cheap to attack if it is copied: move it aside and add the keys again with keycard keys add.',
    );
  }
  if (!isSealed(value['check']) || !isObject(value['entries'])) throw corrupt(context, 'is damaged');
  for (const [name, entry] of Object.entries(value['entries'])) {
    const fields = (isObject(entry) ? entry : {}) as Record<string, unknown>;
    if (
      !isSealed(entry) ||
      typeof fields['maskedId'] !== 'string' ||
      typeof fields['fingerprint'] !== 'string' ||
      typeof fields['createdAt'] !== 'string' ||
      typeof fields['updatedAt'] !== 'string' ||
      !Number.isSafeInteger(fields['version']) ||
      (fields['provider'] !== null && typeof fields['provider'] !== 'string')
    ) {
      throw corrupt(context, `has a damaged entry "${name.slice(0, 64)}"`);
    }
  }
  return value as unknown as KeystoreData;
}

/** Reads the keystore, or `undefined` when the file does not exist. Checks its mode. */
export async function readKeystore(context: KeystoreContext): Promise<KeystoreData | undefined> {
  let text: string;
  try {
    // lstat: a symbolic link is refused, not followed (its target's mode could not be trusted,
    // and a write would replace the link with a regular file).
    const stats = await lstat(context.path);
    if (stats.isSymbolicLink()) {
      throw keystoreError(
        context,
        'insecure_source',
        `The keystore ${context.path} is a symbolic link; keycard does not follow links to a keystore.`,
        'Point the keystore path at the file itself (openKeystore({ path }) or keycard keys --path), or replace the link with the file.',
      );
    }
    if (!stats.isFile()) throw corrupt(context, 'is not a regular file');
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw keystoreError(
        context,
        'insecure_source',
        `The keystore ${context.path} can be read or written by group or others (mode ${mode}).`,
        `Run chmod 600 ${context.path}.`,
      );
    }
    text = await readFile(context.path, 'utf8');
  } catch (error) {
    if (CredentialError.is(error)) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw keystoreError(
      context,
      'source_unavailable',
      `The keystore ${context.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      'Check that the file exists and that this process may read it.',
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(context, 'is not valid JSON');
  }
  return validate(parsed, context);
}

/** Derived keys, per passphrase fingerprint and parameters: scrypt runs once per process. */
const derived = new Map<string, Promise<Buffer>>();

export function deriveKey(passphrase: Secret, kdf: KdfParameters): Promise<Buffer> {
  const id = `${passphrase.fingerprint}:${kdf.salt}:${kdf.N}:${kdf.r}:${kdf.p}`;
  let key = derived.get(id);
  if (key === undefined) {
    key = new Promise<Buffer>((resolve, reject) => {
      scrypt(
        passphrase.reveal().normalize('NFC'),
        Buffer.from(kdf.salt, 'base64'),
        kdf.keyLength,
        { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r * kdf.p + 1024 * 1024 },
        (error, result) => (error === null ? resolve(result) : reject(error)),
      );
    });
    derived.set(id, key);
    key.catch(() => derived.delete(id));
  }
  return key;
}

export function newKdf(N: number): KdfParameters {
  return {
    name: 'scrypt',
    salt: randomBytes(16).toString('base64'),
    N,
    r: DEFAULT_SCRYPT.r,
    p: DEFAULT_SCRYPT.p,
    keyLength: 32,
  };
}

export function seal(key: Buffer, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** The plaintext, or `undefined` when the key is wrong or anything was altered. */
export function unseal(key: Buffer, sealed: Sealed, aad: string): string | undefined {
  try {
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    if (iv.length !== 12 || tag.length !== 16) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}

export function sealCheck(key: Buffer): Sealed {
  return seal(key, CHECK_PLAINTEXT, CHECK_AAD);
}

/** Whether `key` opens the file's check box: the passphrase is right (and the box intact). */
export function opensCheck(key: Buffer, check: Sealed): boolean {
  return unseal(key, check, CHECK_AAD) === CHECK_PLAINTEXT;
}

/** What an entry's ciphertext is bound to: its name and every clear field. */
export function entryAad(name: string, entry: Omit<KeystoreEntry, keyof Sealed>): string {
  return JSON.stringify([
    'keycard-keystore-entry',
    name,
    entry.provider,
    entry.maskedId,
    entry.fingerprint,
    entry.createdAt,
    entry.updatedAt,
    entry.version,
  ]);
}

/** Writes `data` atomically: a temporary file (mode 600) in the same directory, synced, renamed. */
export async function writeKeystore(path: string, data: KeystoreData): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A lock older than this is taken over even when its process seems alive (its PID was reused). */
const STALE_LOCK_MS = 5 * 60_000;
/** A lock whose holder cannot be told (no PID written yet) is taken over after this. */
const UNKNOWN_LOCK_MS = 10_000;
/** How long to wait for the lock before giving up (scrypt under load can hold it for seconds). */
const LOCK_WAIT_MS = 60_000;

/** Whether a process of that id runs on this machine (`EPERM`: it runs, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the lock at `lock` was left behind: anything but a regular file (a link, dangling or
 * not, is never a lock keycard made), a lock whose process is gone, or one older than
 * `STALE_LOCK_MS`. Resolves to that lock's inode (to remove that file and no other), `'vanished'`
 * when there is no lock any more (try again: never remove what another process made meanwhile),
 * or `undefined` when it is held.
 */
async function staleLock(lock: string): Promise<number | 'vanished' | undefined> {
  const held = await lstat(lock).catch(() => undefined);
  if (held === undefined) return 'vanished';
  if (!held.isFile() || Date.now() - held.mtimeMs > STALE_LOCK_MS) return held.ino;
  const text = await readFile(lock, 'utf8').catch(() => '');
  let pid: unknown;
  try {
    pid = (JSON.parse(text) as { pid?: unknown }).pid;
  } catch {
    // Being written by its holder: not stale unless it stays unreadable.
    return Date.now() - held.mtimeMs > UNKNOWN_LOCK_MS ? held.ino : undefined;
  }
  return Number.isSafeInteger(pid) && (pid as number) > 0 && !processAlive(pid as number)
    ? held.ino
    : undefined;
}

/**
 * Runs `change` holding `PATH.lock` (created exclusively; a stale lock is taken over), so that
 * read-modify-write cycles of several processes do not lose each other's entries. Fails with a
 * `CredentialError` (`source_unavailable`) when the lock cannot be had.
 */
export async function withLock<T>(context: KeystoreContext, change: () => Promise<T>): Promise<T> {
  const lock = `${context.path}.lock`;
  const started = Date.now();
  const unavailable = (what: string, error?: unknown) =>
    keystoreError(
      context,
      'source_unavailable',
      `The keystore ${context.path} cannot be changed: ${what}.`,
      error === undefined
        ? `If no keycard process is running, remove ${lock}.`
        : 'Check that the directory exists, is writable by this user and has free space.',
      { cause: error, retryable: true },
    );
  try {
    await mkdir(dirname(context.path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unavailable(
      `its directory cannot be made (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      error,
    );
  }
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      await handle.close();
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw unavailable(`the lock ${lock} cannot be made (${code ?? 'error'})`, error);
      const stale = await staleLock(lock);
      if (stale === 'vanished') continue;
      if (stale !== undefined) {
        // The lock judged stale, and not one another waiter made since: two processes that both
        // found the old lock stale must not remove each other's new one (both would then write,
        // and one's entry would be lost).
        if ((await lstat(lock).catch(() => undefined))?.ino === stale)
          await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) {
        throw unavailable(`its lock ${lock} is held by another process`);
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(100, 5 + attempt * 5) + Math.random() * 10),
      );
    }
  }
  try {
    return await change();
  } catch (error) {
    if (CredentialError.is(error) || error instanceof TypeError) throw error;
    throw unavailable(`it cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error);
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
