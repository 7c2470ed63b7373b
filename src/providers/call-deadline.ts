/**
 * A call's time limit as an `AbortSignal`, for the adapters whose SDK takes a signal but no
 * timeout of keycard's choosing (Gemini, Telegram). `AbortSignal.timeout` costs about 13 µs and
 * leaves its timer in place for its whole delay after the call has ended (a minute of timers at
 * thousands of calls a second), and `AbortSignal.any` costs about 28 µs; a {@link CallDeadline}
 * is one controller and one timer, cleared when the call ends.
 * @module
 */

/** A call's time limit: `signal` aborts when it passes or when the caller's signal aborts. */
export class CallDeadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  #expired = false;

  /**
   * @param ms - the limit in milliseconds (at most 2^31 − 1, as for any Node timer)
   * @param caller - the caller's own signal, if any: it aborts this one too, with its reason
   */
  constructor(
    readonly ms: number,
    caller?: AbortSignal,
  ) {
    this.#timer = setTimeout(this.#expire, ms);
    // Like `AbortSignal.timeout`: the limit alone does not keep the process alive.
    this.#timer.unref();
    this.#caller = caller;
    if (caller === undefined) return;
    if (caller.aborted) this.#controller.abort(caller.reason);
    else caller.addEventListener('abort', this.#callerAborted, { once: true });
  }

  /** The signal to give the SDK. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the limit passed (rather than the caller aborting) before {@link end}. */
  get expired(): boolean {
    return this.#expired;
  }

  /** The call has ended: stops the timer and lets go of the caller's signal. */
  end(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#callerAborted);
  }

  readonly #expire = (): void => {
    if (this.#controller.signal.aborted) return;
    this.#expired = true;
    this.#controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  };

  readonly #callerAborted = (): void => {
    clearTimeout(this.#timer);
    this.#controller.abort(this.#caller?.reason);
  };
}
