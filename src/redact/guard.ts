/**
 * The process guard (opt-in): `console.*` and writes to `process.stdout` and `process.stderr`
 * pass through the redactor, so that a stray print of an SDK object, a key a dependency logs, or
 * an error printed by your own handler is caught.
 * @module
 */
import { format } from 'node:util';
import { redactText } from './redactor.js';

/** Options of `installRedaction()`. */
export interface RedactionGuardOptions {
  /**
   * Patch `console.log`, `info`, `warn`, `error`, `debug` and `trace`: their arguments are
   * formatted as console would, then redacted.
   * @default true
   */
  console?: boolean | undefined;
  /**
   * Patch `process.stdout.write` and `process.stderr.write`: text (and bytes that decode as
   * UTF-8 text) is redacted before it reaches the stream.
   * @default true
   */
  streams?: boolean | undefined;
  /**
   * Print uncaught exceptions and unhandled rejections redacted and exit with code 1, instead of
   * Node's own printing (which writes to the file descriptor directly, past any patched stream).
   * @default false
   */
  fatalErrors?: boolean | undefined;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
const INSTALLED = Symbol.for('keycard.redact.guard.v1');

type Write = typeof process.stdout.write;

function redactChunk(chunk: unknown): unknown {
  if (typeof chunk === 'string') return redactText(chunk);
  if (chunk instanceof Uint8Array) {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    const redacted = redactText(text);
    return redacted === text ? chunk : Buffer.from(redacted, 'utf8');
  }
  return chunk;
}

function patchStream(stream: NodeJS.WriteStream): () => void {
  const original = stream.write;
  const patched = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    return (original as (...args: unknown[]) => boolean).call(this, redactChunk(chunk), ...rest);
  } as Write;
  stream.write = patched;
  return () => {
    if (stream.write === patched) stream.write = original;
  };
}

/**
 * Routes `console.*`, `process.stdout` and `process.stderr` through the redactor until the
 * returned function is called. Installing twice is a no-op that returns the same uninstaller.
 *
 * Costs and limits: every write is scanned (a fraction of a microsecond for a short line with
 * nothing to redact); a key split across two separate writes is not seen whole; writes to other
 * streams, files and sockets, and `fs.writeSync(1, …)`, are not covered; without `fatalErrors`,
 * Node prints a fatal error itself, past this guard (keycard's own errors are redacted when
 * created, so this concerns errors of other code that carry a key).
 *
 * @example
 * import { installRedaction } from 'keycard';
 * installRedaction();
 * console.log(openai.sdk); // the SDK's options, key included, print redacted
 */
export function installRedaction(options: RedactionGuardOptions = {}): () => void {
  const holder = globalThis as { [INSTALLED]?: () => void };
  const existing = holder[INSTALLED];
  if (existing !== undefined) return existing;
  const undo: Array<() => void> = [];
  if (options.console !== false) {
    for (const method of CONSOLE_METHODS) {
      const original = console[method];
      const patched = (...args: unknown[]) => original.call(console, redactText(format(...args)));
      console[method] = patched;
      undo.push(() => {
        if (console[method] === patched) console[method] = original;
      });
    }
  }
  if (options.streams !== false) {
    undo.push(patchStream(process.stdout), patchStream(process.stderr));
  }
  if (options.fatalErrors === true) {
    const onFatal = (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? String(error)) : format(error);
      process.stderr.write(`${redactText(text)}\n`);
      process.exit(1);
    };
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);
    undo.push(() => {
      process.off('uncaughtException', onFatal);
      process.off('unhandledRejection', onFatal);
    });
  }
  const uninstall = () => {
    for (const step of undo.reverse()) step();
    undo.length = 0;
    if (holder[INSTALLED] === uninstall) delete holder[INSTALLED];
  };
  holder[INSTALLED] = uninstall;
  return uninstall;
}
