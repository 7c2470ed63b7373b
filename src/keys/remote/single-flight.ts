/**
 * One read shared by every caller who asks while it runs, where each caller may give up on its
 * own: a caller's `AbortSignal` ends that caller's wait only. The read itself is aborted when the
 * last caller still waiting has given up (nobody wants its answer any more), and is then
 * forgotten, so the next caller starts a new one. A read that ends, however it ends, is forgotten
 * too.
 * @module
 */

interface Flight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  /** Callers still waiting for it; a caller without a signal never stops waiting. */
  waiting: number;
}

export class SingleFlight<T> {
  #flight: Flight<T> | undefined;

  /**
   * Joins the read in flight, or starts one with `start`. `start` gets a signal of its own that
   * aborts only when every caller has given up; `signal` is this caller's.
   */
  run(start: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const flight = this.#flight ?? this.#start(start);
    flight.waiting += 1;
    if (signal === undefined) return flight.promise;
    return untilAborted(flight.promise, signal, () => {
      flight.waiting -= 1;
      if (flight.waiting === 0) {
        // Nobody waits any more: stop the read, and let the next caller start afresh.
        if (this.#flight === flight) this.#flight = undefined;
        flight.controller.abort(signal.reason);
      }
    });
  }

  #start(start: (signal: AbortSignal) => Promise<T>): Flight<T> {
    const controller = new AbortController();
    let promise: Promise<T>;
    try {
      promise = start(controller.signal);
    } catch (error) {
      promise = Promise.reject(error);
    }
    const flight: Flight<T> = { promise, controller, waiting: 0 };
    const forget = () => {
      if (this.#flight === flight) this.#flight = undefined;
    };
    // Also handles the rejection of a read every caller gave up on.
    promise.then(forget, forget);
    this.#flight = flight;
    return flight;
  }
}

/**
 * `promise`, or a rejection with `signal`'s reason if it aborts first (after `onAbort`); `promise`
 * itself goes on. The listener is removed once either settles.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const aborted = () => {
      onAbort?.();
      reject(signal.reason);
    };
    signal.addEventListener('abort', aborted, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', aborted);
        reject(error);
      },
    );
  });
}
