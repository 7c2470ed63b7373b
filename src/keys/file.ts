/**
 * `keys.file()`: a key read from a file on every resolve: the whole file, one line of
 * `NAME=value`, or one field of a JSON or dotenv file. The file must not be readable by group
 * or others, and nothing of its content ever appears in an error.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { CredentialError, type CredentialReason } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';
import { Secret } from '../secret.js';
import { cleanKeyValue, misplacedKeyError } from './clean.js';
import { keyLabel, keyOrigin, looksLikeKey } from './shapes.js';
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

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;

/**
 * A key from the file at `path` (a leading `~/` is the home directory; a relative path is
 * resolved from the working directory), read again on every resolve so that rewriting the file
 * rotates the key; an unchanged value gives the same `Secret` instance. `describe()`:
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

  return {
    describe: () => described,
    async resolve(resolveOptions: ResolveOptions = {}): Promise<Secret> {
      const { signal, provider } = resolveOptions;
      signal?.throwIfAborted();
      const context: FileContext = { path, source: described, provider };
      const text = await readKeyFile(context, allowInsecure);
      signal?.throwIfAborted();
      const raw = field === undefined ? wholeFileValue(text, context) : fieldValue(text, field, context);
      const value = cleanKeyValue(raw, { source: described, provider });
      // `fresh` needs no special case: the file is read and checked on every resolve anyway.
      if (last !== undefined && last.value === value && last.provider === provider) return last.secret;
      const secret = new Secret(value, { provider, source: described });
      last = { value, provider, secret };
      return secret;
    },
  };
}

interface FileContext {
  path: string;
  source: string;
  provider: ProviderId | undefined;
}

function fail(
  context: FileContext,
  reason: CredentialReason,
  message: string,
  hint: string,
  extra: { cause?: unknown; retryable?: boolean } = {},
): CredentialError {
  return new CredentialError({
    reason,
    message,
    hint,
    provider: context.provider,
    source: context.source,
    cause: extra.cause,
    retryable: extra.retryable,
  });
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

/** Reads the file after checking what it is, its size and its mode; returns its text. */
async function readKeyFile(context: FileContext, allowInsecure: boolean): Promise<string> {
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
      `Run chmod 600 ${shellPath(context.path)} (or set defaultMode: 0400 on a Kubernetes secret volume), or pass { allowInsecure: true } if others are meant to read it.`,
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
  return text;
}

/** UTF-8 (a BOM is dropped), or UTF-16 with a BOM as Windows editors save it; `undefined` if neither. */
function decode(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    if (bytes.length % 2 !== 0) return undefined;
    return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Lines that hold something: not blank, not a `#` comment. */
function meaningfulLines(text: string): { line: string; number: number }[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.trim().startsWith('#'));
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Up to 10 names, for messages: field and variable names, never values. */
function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${shown}, …` : shown;
}

/**
 * The whole file as the key: comment and blank lines are ignored, and a single `NAME=value` or
 * `export NAME=value` line yields its value. Several values need `{ field }`.
 */
function wholeFileValue(text: string, context: FileContext): string {
  const lines = meaningfulLines(text);
  const object = parseJsonObject(text);
  const only = lines[0];
  if (lines.length === 0) return '';
  if (object === undefined && lines.length === 1 && only !== undefined) {
    const assignment = ASSIGNMENT.exec(only.line);
    return assignment === null ? only.line : dotenvValue(assignment[2] ?? '', only.number, context);
  }
  const names =
    object !== undefined
      ? Object.keys(object)
      : lines.every(({ line }) => ASSIGNMENT.test(line))
        ? lines.map(({ line }) => ASSIGNMENT.exec(line)?.[1] ?? '')
        : undefined;
  if (object !== undefined && names?.length === 0) {
    throw fail(
      context,
      'missing',
      `The key file ${context.source} is an empty JSON object.`,
      `Put ${keyOrigin(context.provider)} in ${context.path}, alone or as a JSON field read with { field }.`,
    );
  }
  if (names !== undefined && names.length > 0) {
    const first = names[0] ?? 'NAME';
    throw fail(
      context,
      'malformed',
      `The key file ${context.source} is a ${object === undefined ? 'dotenv' : 'JSON'} file with named values (${listNames(names)}), not a single key.`,
      `Choose one with keys.file('${context.path}', { field: '${first}' }) or 'file:${context.path}#${first}'.`,
    );
  }
  // Several lines of something else: cleanKeyValue reports the line break and where it is.
  return text;
}

/** The value of `field`, from a JSON object or a dotenv file. */
function fieldValue(text: string, field: string, context: FileContext): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const object = parseJsonObject(text);
    if (object === undefined) throw jsonError(text, context);
    return jsonField(object, field, context);
  }
  return dotenvField(text, field, context);
}

/**
 * A JSON parse error without its message: V8's messages quote the text around the error, which
 * would put the key in the error. Only a line and column are given, when V8 names a position.
 */
function jsonError(text: string, context: FileContext): CredentialError {
  let where = '';
  try {
    JSON.parse(text.trim());
    // Parsed: valid JSON, but not an object.
    return fail(
      context,
      'malformed',
      `The key file ${context.source} is JSON but not an object, so it has no fields.`,
      'Store the key in a JSON object, e.g. {"api_key": "…"}, or drop { field } if the file holds only the key.',
    );
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    if (position !== undefined) {
      const before = text
        .trim()
        .slice(0, Number(position))
        .split(/\r\n|\r|\n/);
      where = ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
    }
  }
  // No `cause`: the SyntaxError's message contains the file's text.
  return fail(
    context,
    'malformed',
    `The key file ${context.source} looks like JSON but is not valid JSON${where}.`,
    'Fix the JSON syntax of the file (a JSON linter shows the error), or save it as a dotenv file.',
  );
}

function jsonField(object: Record<string, unknown>, field: string, context: FileContext): string {
  // A top-level key first (it may contain dots), then a dotted path.
  let value: unknown;
  let found = false;
  if (Object.hasOwn(object, field)) {
    value = object[field];
    found = true;
  } else if (field.includes('.')) {
    let current: unknown = object;
    found = true;
    for (const part of field.split('.')) {
      if (
        typeof current !== 'object' ||
        current === null ||
        Array.isArray(current) ||
        !Object.hasOwn(current, part)
      ) {
        found = false;
        break;
      }
      current = (current as Record<string, unknown>)[part];
    }
    value = current;
  }
  if (!found || value === undefined || value === null) {
    throw fail(
      context,
      'missing',
      `The key file ${context.source} has no field "${field}"${value === null ? ' (it is null)' : ''}.`,
      `Add "${field}" with ${keyOrigin(context.provider)} to ${context.path}, or fix the field name (top-level fields: ${listNames(Object.keys(object)) || 'none'}).`,
    );
  }
  if (typeof value !== 'string') {
    const kind = Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;
    throw fail(
      context,
      'malformed',
      `The field "${field}" of the key file ${context.source} is ${kind}, not a string.`,
      kind === 'an object'
        ? `Name the field inside it, e.g. { field: '${field}.${Object.keys(value as object)[0] ?? 'api_key'}' }.`
        : `Store the ${keyLabel(context.provider)} in "${field}" as a JSON string.`,
    );
  }
  return value;
}

class DotenvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

function dotenvField(text: string, field: string, context: FileContext): string {
  const values = new Map<string, string>();
  for (const { line, number } of meaningfulLines(text)) {
    const assignment = ASSIGNMENT.exec(line);
    if (assignment === null) {
      throw fail(
        context,
        'malformed',
        `The key file ${context.source} is neither a JSON object nor a dotenv file: line ${number} is not a NAME=value line.`,
        `Fix line ${number} of ${context.path}, or drop { field } if the file holds only the key.`,
      );
    }
    // Later lines win, as in dotenv.
    values.set(assignment[1] ?? '', dotenvValue(assignment[2] ?? '', number, context));
  }
  const value = values.get(field);
  if (value === undefined) {
    throw fail(
      context,
      'missing',
      `The key file ${context.source} has no variable ${field}.`,
      `Add ${field}=… with ${keyOrigin(context.provider)} to ${context.path}, or fix the name (variables: ${listNames([...values.keys()]) || 'none'}).`,
    );
  }
  return value;
}

/** The value part of a dotenv line: quoted ('…', "…" with \n, \" and \\ escapes, `…`) or bare with an inline ` # comment`. */
function dotenvValue(rest: string, line: number, context: FileContext): string {
  try {
    return parseDotenvValue(rest, line);
  } catch (error) {
    if (!(error instanceof DotenvSyntaxError)) throw error;
    // The problem and the line number only: never the line's text.
    throw fail(
      context,
      'malformed',
      `The key file ${context.source} cannot be parsed: on line ${error.line}, ${error.problem}.`,
      `Fix line ${error.line} of ${context.path}: NAME=value, with the value on one line and quotes closed.`,
    );
  }
}

function parseDotenvValue(rest: string, line: number): string {
  const value = rest.trim();
  const quote = value[0];
  if (quote === '"' || quote === "'" || quote === '`') {
    let end = -1;
    for (let index = 1; index < value.length; index += 1) {
      if (quote === '"' && value[index] === '\\') {
        index += 1;
        continue;
      }
      if (value[index] === quote) {
        end = index;
        break;
      }
    }
    if (end < 0)
      throw new DotenvSyntaxError(line, 'a quote is not closed (values on several lines are not supported)');
    const after = value.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#'))
      throw new DotenvSyntaxError(line, 'there is text after the closing quote');
    const inner = value.slice(1, end);
    if (quote !== '"') return inner;
    return inner.replace(/\\([nr"\\])/g, (_match, escaped: string) =>
      escaped === 'n' ? '\n' : escaped === 'r' ? '\r' : escaped,
    );
  }
  const comment = value.search(/\s#/);
  return (comment < 0 ? value : value.slice(0, comment)).trim();
}
