/** The shape of a provider's exercise for the canary invariant test. */
import type { Simulator } from '../../../src/testing/index.js';

/** Where an exercise puts what it saw. */
export interface Capture {
  /** Records a value (a result, an event, an object) as util.inspect and JSON would print it. */
  value(value: unknown): void;
  /** Runs `call`, expects it to fail, and records the error (message, stack, causes, fields). */
  failure(call: () => Promise<unknown>): Promise<unknown>;
}

/**
 * Runs every call style of a client and every failure its simulator can inject (the simulator
 * accepts the client's key; faults are queued with `simulator.failNext`).
 */
export type Exercise<Client> = (client: Client, simulator: Simulator, capture: Capture) => Promise<void>;

/** Every fault a simulator can inject that ends (everything but `hang`). */
export const FAULTS = [
  'unauthorized',
  'forbidden',
  'quota',
  'rate_limit',
  'server_error',
  'reset',
  'bad_json',
] as const;

/** For each fault: queues it before each of `calls` and records the failure of that call. */
export async function failEachFault(
  simulator: Simulator,
  capture: Capture,
  calls: readonly (() => Promise<unknown>)[],
): Promise<void> {
  for (const fault of FAULTS) {
    for (const call of calls) {
      simulator.failNext(fault);
      await capture.failure(call);
    }
  }
}
