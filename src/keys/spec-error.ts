/**
 * `KeySpecError`: a key source spec string keycard cannot read.
 * @module
 */
import { KeycardError } from '../errors.js';

/**
 * A spec string keycard cannot read: unknown scheme, bad variable name, empty path. Its `hint`
 * lists the accepted forms. It never contains more of the spec than its scheme, or a name or
 * path that cannot be a key.
 */
export class KeySpecError extends KeycardError {
  /** What to do about it, in one sentence. */
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(`${message.trimEnd()} ${hint}`);
    this.hint = hint;
  }
}
Object.defineProperty(KeySpecError.prototype, 'name', {
  value: 'KeySpecError',
  writable: true,
  configurable: true,
});
