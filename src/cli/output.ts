/**
 * What every command prints with: colours (off with NO_COLOR or when not a terminal), tables
 * (cli-table3), JSON for machines, and user errors that print one line and no stack.
 * @module
 */
import Table from 'cli-table3';
import pc from 'picocolors';
import { redactText } from '../redact/redactor.js';
import { escapeControls } from './sanitize.js';

/** Colours that respect NO_COLOR, FORCE_COLOR and whether stdout is a terminal. */
export const colors = pc.createColors(
  process.env['NO_COLOR'] === undefined &&
    (process.env['FORCE_COLOR'] !== undefined || (process.stdout.isTTY ?? false)),
);

/** A mistake of the user's (bad argument, missing file): one line on stderr, exit code `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Writes to stdout, redacted: nothing a command prints can hold a key. Control characters are
 * escaped visibly; only keycard's colours pass, and only when colours are on.
 */
export function out(text = ''): void {
  process.stdout.write(`${escapeControls(redactText(text), { keepColors: colors.isColorSupported })}\n`);
}

/**
 * Writes to stderr, redacted, with URL passwords hidden (`postgres://user:***@host`) and control
 * characters escaped.
 */
export function err(text = ''): void {
  process.stderr.write(
    `${escapeControls(hideUrlPasswords(redactText(text)), { keepColors: colors.isColorSupported })}\n`,
  );
}

/** `scheme://user:password@host` → `scheme://user:***@host`. */
export function hideUrlPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#@]+@/gi, '$1***@');
}

/**
 * An error as one line: its message, then each cause's (and a system error's `code`, such as
 * `ECONNREFUSED`), joined with `: `. No stack: that is for `KEYCARD_DEBUG=1`.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth += 1) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    const inner = current instanceof AggregateError ? current.errors : [];
    let message = current.message.trim();
    // Node's connection attempts to each address of a host: an AggregateError with no message.
    if (message === '' && inner.length > 0) message = inner.map((item) => describeError(item)).join('; ');
    if (message === '') message = current.name;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && !message.includes(code) && !parts.some((part) => part.includes(code))) {
      message = `${message} (${code})`;
    }
    if (!parts.some((part) => part.includes(message))) parts.push(message);
    current = current.cause;
  }
  return parts.join(': ').replace(/\s*\n\s*/g, ' ');
}

/** JSON on stdout, redacted. */
export function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** A table of `rows` under `head`. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const rendered = new Table({
    head: head.map((title) => colors.bold(title)),
    style: { head: [], border: [] },
  });
  for (const row of rows) rendered.push(row.map((cell) => String(cell)));
  return rendered.toString();
}

/** `$0.0123`, or `–` when unknown. */
export function usd(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined ? '–' : `$${value.toFixed(digits)}`;
}

/** A date as `YYYY-MM-DD`. */
export function day(date: Date | undefined): string {
  return date === undefined ? '–' : date.toISOString().slice(0, 10);
}
