/**
 * What a key file may hold: the whole file, one `NAME=value` line, a JSON object's field (a
 * dotted path) or a dotenv variable; text in UTF-8 or UTF-16 with a BOM. Parse errors never
 * echo the file's content.
 * @module
 */
import { CredentialError, type CredentialReason } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';
import { keyLabel, keyOrigin } from './shapes.js';

export const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;

export interface FileContext {
  path: string;
  source: string;
  provider: ProviderId | undefined;
}

export function fail(
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

/** UTF-8 (a BOM is dropped), or UTF-16 with a BOM as Windows editors save it; `undefined` if neither. */
export function decode(bytes: Buffer): string | undefined {
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
export function meaningfulLines(text: string): { line: string; number: number }[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.trim().startsWith('#'));
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
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
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${shown}, …` : shown;
}

/**
 * The whole file as the key: comment and blank lines are ignored, and a single `NAME=value` or
 * `export NAME=value` line yields its value. Several values need `{ field }`.
 */
export function wholeFileValue(text: string, context: FileContext): string {
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
export function fieldValue(text: string, field: string, context: FileContext): string {
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
export function jsonError(text: string, context: FileContext): CredentialError {
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

export function jsonField(object: Record<string, unknown>, field: string, context: FileContext): string {
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

export function dotenvField(text: string, field: string, context: FileContext): string {
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
export function dotenvValue(rest: string, line: number, context: FileContext): string {
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

export function parseDotenvValue(rest: string, line: number): string {
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
