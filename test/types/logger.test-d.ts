/**
 * `logger` takes the loggers people already have, as they are: console, pino, winston, bunyan and
 * n8n's `this.logger` (its type as n8n-workflow declares it). No casts.
 */
import bunyan from 'bunyan';
import pino from 'pino';
import { describe, expectTypeOf, it } from 'vitest';
import winston from 'winston';
import { createClient, type LoggerLike, redactingLogger } from '../../src/index.js';

/** n8n-workflow's `Logger` (packages/workflow/src/interfaces.ts), as a node sees `this.logger`. */
type LogMetadata = { [key: string]: unknown; scopes?: string[]; file?: string; function?: string };
type N8nLogger = Record<
  'error' | 'warn' | 'info' | 'debug',
  (message: string, metadata?: LogMetadata) => void
>;
declare const n8nLogger: N8nLogger;

describe('LoggerLike', () => {
  it('accepts console, pino, winston, bunyan and n8n loggers as they are', () => {
    expectTypeOf(console).toMatchTypeOf<LoggerLike>();
    expectTypeOf(pino()).toMatchTypeOf<LoggerLike>();
    expectTypeOf(winston.createLogger()).toMatchTypeOf<LoggerLike>();
    expectTypeOf(bunyan.createLogger({ name: 'keycard' })).toMatchTypeOf<LoggerLike>();
    expectTypeOf(n8nLogger).toMatchTypeOf<LoggerLike>();
    createClient('openai', 'env:OPENAI_API_KEY', { logger: n8nLogger });
    createClient('openai', 'env:OPENAI_API_KEY', { logger: winston.createLogger() });
    createClient('openai', 'env:OPENAI_API_KEY', { logger: bunyan.createLogger({ name: 'keycard' }) });
    createClient('openai', 'env:OPENAI_API_KEY', { logger: pino() });
    createClient('openai', 'env:OPENAI_API_KEY', { logger: console });
  });

  it('keeps the logger type through redactingLogger', () => {
    expectTypeOf(redactingLogger(n8nLogger)).toEqualTypeOf<N8nLogger>();
  });

  it('still refuses what is not a logger', () => {
    // @ts-expect-error a string is not a logger
    createClient('openai', 'env:OPENAI_API_KEY', { logger: 'console' });
    // @ts-expect-error a method that is not a function
    createClient('openai', 'env:OPENAI_API_KEY', { logger: { info: 42 } });
  });
});
