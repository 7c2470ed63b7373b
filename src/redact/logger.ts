/**
 * Loggers whose output is redacted: console-like loggers (`console`, winston, bunyan-style) and
 * pino, which takes the fields object first.
 * @module
 */
import { redactError, redactText, redactValue } from './redactor.js';

/**
 * The console-like shape keycard accepts: any subset of these methods. Declared as methods, so
 * that loggers whose methods take narrower arguments fit as they are: `console`, pino, winston,
 * bunyan, and n8n's `this.logger` (`(message: string, metadata?) => void`). keycard calls them with
 * a message string first (pino: the fields object first, as pino wants).
 */
export interface LoggerLike {
  error?(...args: unknown[]): unknown;
  warn?(...args: unknown[]): unknown;
  info?(...args: unknown[]): unknown;
  debug?(...args: unknown[]): unknown;
  trace?(...args: unknown[]): unknown;
  log?(...args: unknown[]): unknown;
}

/** The levels keycard writes at. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** What keycard writes to: a message and structured fields, already redacted. */
export interface KeycardLogger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /**
   * Whether a debug line would be written anywhere: `false` without a logger, or when the logger
   * says its debug level is off (pino's `isLevelEnabled`, winston's `isDebugEnabled`), so that a
   * caller can skip building one per request.
   */
  debugEnabled?(): boolean;
}

function redactArgument(argument: unknown): unknown {
  if (typeof argument === 'string') return redactText(argument);
  if (argument instanceof Error) return redactError(argument);
  return redactValue(argument);
}

/** pino and its kin take `(fields, message)`; console takes `(message, ...rest)`. */
function isPinoLike(logger: LoggerLike): boolean {
  const candidate = logger as { child?: unknown; levels?: unknown };
  return (
    typeof candidate.child === 'function' && typeof candidate.levels === 'object' && candidate.levels !== null
  );
}

function methodFor(logger: LoggerLike, level: LogLevel): ((...args: unknown[]) => unknown) | undefined {
  return logger[level] ?? (level === 'debug' ? (logger.trace ?? logger.log) : logger.log);
}

/**
 * Wraps `logger` so that every argument of every call is redacted: registered secrets are
 * replaced by their masked labels in strings, in errors (message, stack, cause, properties) and
 * in objects (deeply, without changing them).
 *
 * @example
 * const log = redactingLogger(console);
 * log.info(`calling with ${process.env.OPENAI_API_KEY}`); // calling with [REDACTED openai sk-proj-****wxyz]
 */
export function redactingLogger<T extends LoggerLike>(logger: T): T {
  return new Proxy(logger, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (!['error', 'warn', 'info', 'debug', 'trace', 'log', 'fatal'].includes(property)) return value;
      return (...args: unknown[]) =>
        (value as (...args: unknown[]) => unknown).apply(target, args.map(redactArgument));
    },
  });
}

/** keycard's own logger over the user's: redacted, pino-aware, and silent when none is given. */
export function toKeycardLogger(logger: LoggerLike | undefined): KeycardLogger {
  const write = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (logger === undefined) return;
    const method = methodFor(logger, level);
    if (method === undefined) return;
    const text = redactText(message);
    if (isPinoLike(logger)) {
      method.call(logger, fields === undefined ? {} : redactValue(fields), text);
    } else if (fields === undefined) method.call(logger, text);
    else method.call(logger, text, redactValue(fields));
  };
  const debugEnabled = (): boolean => {
    if (logger === undefined || methodFor(logger, 'debug') === undefined) return false;
    const levels = logger as { isLevelEnabled?: unknown; isDebugEnabled?: unknown };
    try {
      if (typeof levels.isLevelEnabled === 'function')
        return levels.isLevelEnabled.call(logger, 'debug') !== false;
      if (typeof levels.isDebugEnabled === 'function') return levels.isDebugEnabled.call(logger) !== false;
    } catch {
      // A logger that cannot answer gets every line.
    }
    return true;
  };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    debugEnabled,
  };
}
