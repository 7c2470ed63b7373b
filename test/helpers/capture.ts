/** Capturing every output a test produces, and finding a canary in it without printing it. */
import { inspect } from 'node:util';
import { vi } from 'vitest';
import type { Capture } from './exercise/types.js';
import { CANARY_MARKER } from './keys.js';

/** JSON.stringify that tolerates cycles, as pino and winston serialise objects. */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) => {
        if (typeof item === 'object' && item !== null) {
          if (seen.has(item)) return '[Circular]';
          seen.add(item);
          if (item instanceof Error) {
            return { ...item, name: item.name, message: item.message, stack: item.stack, cause: item.cause };
          }
        }
        return item;
      }) ?? ''
    );
  } catch (error) {
    return String(error);
  }
}

/** A `Capture` that pushes util.inspect and cycle-safe JSON of everything into `into`. */
export function capturing(into: string[]): Capture {
  const value = (item: unknown) => {
    into.push(typeof item === 'string' ? item : inspect(item, { depth: Infinity, showHidden: true }));
    into.push(safeJson(item));
  };
  return {
    value,
    async failure(call) {
      try {
        await call();
      } catch (error) {
        value(error);
        let current: unknown = error;
        while (current instanceof Error) {
          into.push(current.message, String(current.stack));
          current = current.cause;
        }
        return error;
      }
      throw new Error('expected a failure');
    },
  };
}

/** Sends everything written to console, stdout and stderr into `into` (undo with vi.restoreAllMocks). */
export function captureProcessOutput(into: string[]): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      into.push(args.map((arg) => inspect(arg, { depth: Infinity })).join(' '));
    });
  }
  const write = (chunk: unknown) => {
    into.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(write);
  vi.spyOn(process.stderr, 'write').mockImplementation(write);
}

/** The outputs that contain the canary (its marker or its tail), with the marker blanked out. */
export function leaksOf(outputs: readonly string[], canary: string): string[] {
  return outputs
    .filter((output) => output.includes(CANARY_MARKER) || output.includes(canary.slice(-20)))
    .map((output) => output.replaceAll(CANARY_MARKER, '<CANARY>').slice(0, 300));
}
