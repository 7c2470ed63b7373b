/**
 * For a telegraf bundled with its node-fetch, which `telegram-fetch.ts` cannot reach (the `sdk`
 * option, in a bundle). telegraf calls node-fetch 2 with a hard-coded 500 s timeout. When a call
 * ends before its answer body is complete (keycard's timeout, the caller's signal, a connection cut mid-body), node-fetch
 * never clears the body timer it started, and that timer keeps the process alive for up to
 * 500 s after the call failed. keycard runs each call in `withTelegrafTimers`, which notes the
 * timers of that length made during the call and clears them once it settles: by then they have
 * nothing left to do.
 * @module
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { TELEGRAF_FETCH_TIMEOUT_MS } from './telegram-fetch.js';

const calls = new AsyncLocalStorage<Set<NodeJS.Timeout>>();
let running = 0;

// Enabled only while a call runs: other code pays nothing the rest of the time. (The storage's own
// hook, once it has run, stays on in Node 20: the reason this is the fallback.)
const hook = createHook({
  init(_id, type, _trigger, resource) {
    if (type !== 'Timeout') return;
    const timer = resource as NodeJS.Timeout & { _idleTimeout?: number };
    if (timer._idleTimeout !== TELEGRAF_FETCH_TIMEOUT_MS) return;
    calls.getStore()?.add(timer);
  },
});

/** Runs `call`, then clears the 500 s node-fetch timers it left behind. */
export async function withTelegrafTimers<T>(call: () => Promise<T>): Promise<T> {
  const timers = new Set<NodeJS.Timeout>();
  if (running === 0) hook.enable();
  running += 1;
  try {
    return await calls.run(timers, call);
  } finally {
    running -= 1;
    if (running === 0) hook.disable();
    for (const timer of timers) clearTimeout(timer);
  }
}
