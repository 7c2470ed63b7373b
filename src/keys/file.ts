/**
 * `keys.file()`: a key read from a file on every resolve: the whole file, one line of
 * `NAME=value`, or one field of a JSON or dotenv file. The file must not be readable by group
 * or others, and nothing of its content ever appears in an error.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { forAudience } from '../audience.js';
import type { CredentialError } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';
import { Secret } from '../secret.js';
import { cleanKeyValue, misplacedKeyError } from './clean.js';
import { decode, type FileContext, fail, fieldValue, wholeFileValue } from './file-formats.js';
import { looksLikeKey } from './shapes.js';
import type { KeySource, ResolveOptions } from './types.js';

/** Files larger than this are refused: a key file holds a key, not a database. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/** Options of `keys.file()`. */
export interface FileSourceOptions {
  /**
   * Read one field instead of the whole file: a top-level key or a dotted path (`openai.key`)
   * of a JSON object, or a variable of a dotenv file (`NAME=value`). The format is chosen by
   * content: JSON when the file parses as an object. Default: the whole file is the key.
   */
  field?: string | undefined;
  /**
   * Accept a file that group or others may read or write (`mode & 0o077`), such as a mounted
   * secret you cannot `chmod`. Default: `false`. The check is skipped on Windows.
   */
  allowInsecure?: boolean | undefined;
}

/**
 * A key from the file at `path` (a leading `~/` is the home directory; a relative path is
 * resolved from the working directory), read again on every resolve so that rewriting the file
 * rotates the key; an unchanged value gives the same `Secret` instance. The file's modification
 * time is the key's `changedAt` (key-age warnings). `describe()`:
 * `file:PATH` or `file:PATH#field`.
 *
 * @example
 * keys.file('./secrets/openai.key');
 * keys.file('./.env', { field: 'OPENAI_API_KEY' });
 * keys.file('/run/secrets/app.json', { field: 'providers.openai' });
 */
export function file(path: string, options: FileSourceOptions = {}): KeySource {
  if (typeof path !== 'string' || path.trim() === '')
    throw new TypeError('keys.file(): the path must be a non-empty string');
  if (looksLikeKey(path)) {
    throw misplacedKeyError(
      'a file path',
      'Put the key in a file (chmod 600) and pass its path, or use keys.literal(value) for a key held in code.',
      'keys.file()',
    );
  }
  const { field, allowInsecure = false } = options;
  if (field !== undefined && (typeof field !== 'string' || field === '')) {
    throw new TypeError('keys.file(): `field` must be a non-empty string');
  }
  const described = field === undefined ? `file:${path}` : `file:${path}#${field}`;
  // The last value read and its Secret: an unchanged value gives the same Secret instance.
  let last: { value: string; provider: ProviderId | undefined; secret: Secret } | undefined;
  let optionsChecked = false;

  return {
    describe: () => described,
    async resolve(resolveOptions: ResolveOptions = {}): Promise<Secret> {
      const { signal, provider } = resolveOptions;
      signal?.throwIfAborted();
      if (!optionsChecked) {
        // zod loads with the first resolve, not with `import 'keycard'`.
        const { checkFileOptions } = await import('../options.js');
        checkFileOptions(options);
        optionsChecked = true;
      }
      const context: FileContext = { path, source: described, provider };
      const { text, modifiedAt } = await readKeyFile(context, allowInsecure);
      signal?.throwIfAborted();
      const raw = field === undefined ? wholeFileValue(text, context) : fieldValue(text, field, context);
      const value = cleanKeyValue(raw, { source: described, provider });
      // `fresh` needs no special case: the file is read and checked on every resolve anyway.
      if (last !== undefined && last.value === value && last.provider === provider) return last.secret;
      // The modification time stands for when the key was last changed (key-age warnings).
      const secret = new Secret(value, { provider, source: described, changedAt: modifiedAt });
      last = { value, provider, secret };
      return secret;
    },
  };
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/** `chmod 600 ./k` with the path quoted for a POSIX shell when it needs to be. */
function shellPath(path: string): string {
  return /^[\w@%+=:,./~-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

const RETRYABLE_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO', 'ETIMEDOUT']);

/** The error for a file that cannot be read, by its `code`. The fs error names the path only. */
function unavailable(context: FileContext, error: unknown): CredentialError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
  const name = `The key file ${context.source}`;
  const relative = isAbsolute(expandHome(context.path)) ? '' : ` (relative to ${process.cwd()})`;
  const extra = { cause: error, retryable: RETRYABLE_CODES.has(code) };
  switch (code) {
    case 'ENOENT':
      return fail(
        context,
        'source_unavailable',
        `${name} does not exist${relative}.`,
        'Create the file with only the key in it (chmod 600), or fix the path.',
        extra,
      );
    case 'ENOTDIR':
      return fail(
        context,
        'source_unavailable',
        `${name} cannot be read: a part of its path is not a directory.`,
        'Fix the path.',
        extra,
      );
    case 'EISDIR':
      return directory(context);
    case 'EACCES':
    case 'EPERM':
      return fail(
        context,
        'source_unavailable',
        `${name} cannot be read: permission denied.`,
        'Give the user running this process read access to the file (chown it to that user, then chmod 600).',
        extra,
      );
    case 'ELOOP':
      return fail(
        context,
        'source_unavailable',
        `${name} cannot be read: its symbolic links form a loop.`,
        'Fix the path or the links.',
        extra,
      );
    default:
      return fail(
        context,
        'source_unavailable',
        `${name} cannot be read (${code}).`,
        'Check that the file exists and that this process can read it.',
        extra,
      );
  }
}

function directory(context: FileContext): CredentialError {
  return fail(
    context,
    'source_unavailable',
    `The key file ${context.source} is a directory.`,
    'Point to the file inside it that holds the key.',
  );
}

function tooLarge(context: FileContext, size: number): CredentialError {
  return fail(
    context,
    'source_unavailable',
    `The key file ${context.source} is ${size} bytes; a key file must be at most ${MAX_KEY_FILE_BYTES} bytes.`,
    'Point to a file that holds only the key, or a small JSON or dotenv file with { field }.',
  );
}

/** Reads the file after checking what it is, its size and its mode; returns its text and mtime. */
async function readKeyFile(
  context: FileContext,
  allowInsecure: boolean,
): Promise<{ text: string; modifiedAt: Date }> {
  const absolute = resolvePath(expandHome(context.path));
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(absolute);
  } catch (error) {
    throw unavailable(context, error);
  }
  if (stats.isDirectory()) throw directory(context);
  if (!stats.isFile()) {
    // A FIFO or device could block forever or never end.
    throw fail(
      context,
      'source_unavailable',
      `The key file ${context.source} is not a regular file.`,
      'Point to a regular file that holds the key.',
    );
  }
  if (stats.size > MAX_KEY_FILE_BYTES) throw tooLarge(context, stats.size);
  if (!allowInsecure && process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw fail(
      context,
      'insecure_source',
      `The key file ${context.source} can be read or written by group or others (mode ${mode}).`,
      `Run chmod 600 ${shellPath(context.path)} (or set defaultMode: 0400 on a Kubernetes secret volume)${forAudience(', or pass { allowInsecure: true } if others are meant to read it', '')}.`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (error) {
    throw unavailable(context, error);
  }
  // The file may have grown between stat and read.
  if (bytes.length > MAX_KEY_FILE_BYTES) throw tooLarge(context, bytes.length);
  const text = decode(bytes);
  if (text === undefined) {
    throw fail(
      context,
      'malformed',
      `The key file ${context.source} is not text (it is not valid UTF-8).`,
      'Save the file as plain UTF-8 text that holds only the key.',
    );
  }
  return { text, modifiedAt: stats.mtime };
}
