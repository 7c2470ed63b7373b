/**
 * Who reads keycard's hints: code that uses the library (it can pass an option) or a person at
 * the `keycard` command (a flag, a variable or a shell command). The command sets `cli` when it
 * starts; a hint that names a JavaScript option is only given to the library's users.
 * @module
 */

/** Who the hints are written for. */
export type Audience = 'library' | 'cli';

let audience: Audience = 'library';

/** Sets who reads the hints; the `keycard` command calls it with `'cli'`. */
export function setAudience(value: Audience): void {
  audience = value;
}

/** `library` for the library's users, `cli` at the command line. */
export function forAudience(library: string, cli: string): string {
  return audience === 'cli' ? cli : library;
}
