/**
 * What the command prints must not drive the terminal or a spreadsheet: values that came from a
 * provider, a gateway or a shared ledger (model and workflow names, masked ids, identity fields)
 * may hold escape sequences (a title change, a cleared screen, an OSC 8 link, an OSC 52 clipboard
 * write) or spreadsheet formulas.
 * @module
 */

/**
 * C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidirectional overrides and
 * isolates (which reorder what a reader sees).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it finds.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** keycard's own colours: SGR sequences only (`ESC [ digits ; … m`), nothing else. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character starts an SGR.
const SGR = /\u001b\[[0-9;]*m/y;

const visible = (char: string) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

/**
 * Escapes every control character visibly (`\u001b`), keeping tab and newline. With
 * `keepColors`, SGR colour sequences are kept (keycard's own, when printing to a terminal). The
 * `\uXXXX` form is also JSON's, so JSON text stays exact.
 */
export function escapeControls(text: string, options: { keepColors?: boolean } = {}): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  CONTROL.lastIndex = 0;
  if (options.keepColors !== true) return text.replace(CONTROL, visible);
  return text.replace(CONTROL, (char: string, offset: number) => {
    if (char !== '\u001b') return visible(char);
    SGR.lastIndex = offset;
    return SGR.test(text) ? char : visible(char);
  });
}

/** A value from data (a ledger, a provider's answer) for the terminal: every control escaped, colours too. */
export function plain(value: string): string {
  return escapeControls(value);
}

/**
 * A CSV cell: quoted when needed, and a text that a spreadsheet would run as a formula (starting
 * with `=`, `+`, `-`, `@`, tab or carriage return) prefixed with `'`, as OWASP advises. Numbers
 * are written as they are.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}
