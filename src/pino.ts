/**
 * `keycard/pino`: makes a pino logger redact every line it writes, its serialised errors
 * included, with the redactor keycard uses (registered secrets and every known key shape). It
 * hooks pino's `streamWrite`, which sees each finished JSON line just before it is written, so
 * nothing pino formats can slip past. pino itself is not imported: this works with the pino your
 * application already uses (8.15 or later).
 *
 * @example
 * import pino from 'pino';
 * import { pinoRedaction } from 'keycard/pino';
 *
 * const logger = pino(pinoRedaction({ level: 'debug' }));
 * logger.error({ err }, 'call failed'); // keys in err.message, err.stack, headers… are replaced
 * @module
 */
import { redactText } from './redact/redactor.js';

/** The part of pino's options this module sets. */
export interface PinoRedactionOptions {
  hooks?: {
    streamWrite?: ((line: string) => string) | undefined;
    [hook: string]: unknown;
  };
  [option: string]: unknown;
}

/**
 * Returns `options` (pino's options, unchanged otherwise) with a `hooks.streamWrite` that redacts
 * every line; a `streamWrite` you already set runs first.
 */
export function pinoRedaction<T extends PinoRedactionOptions>(
  options?: T,
): T & { hooks: { streamWrite(line: string): string } } {
  const given = options ?? ({} as T);
  const previous = given.hooks?.streamWrite;
  return {
    ...given,
    hooks: {
      ...given.hooks,
      streamWrite: (line: string) => redactText(previous === undefined ? line : previous(line)),
    },
  };
}

/** A redacting `streamWrite` hook on its own, for `pino({ hooks: { streamWrite: redactLine } })`. */
export function redactLine(line: string): string {
  return redactText(line);
}
