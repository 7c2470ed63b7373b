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

/** Writes to stderr, redacted, control characters escaped. */
export function err(text = ''): void {
  process.stderr.write(`${escapeControls(redactText(text), { keepColors: colors.isColorSupported })}\n`);
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
