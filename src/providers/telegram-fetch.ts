/**
 * telegraf calls node-fetch 2 with a hard-coded 500 s `timeout`, for which node-fetch starts two
 * timers per call; the one for the answer's body is never cleared when the body fails (keycard's
 * time limit, the caller's signal, a connection cut mid-body), and it keeps the process alive for
 * up to 500 s after the call failed. keycard enforces its own limit on every call
 * ({@link CallDeadline}), so for keycard's calls that `timeout` has nothing left to do:
 * {@link telegrafAgent} marks a call (through the `agent` option telegraf passes on to node-fetch)
 * and the `fetch` telegraf calls, once {@link useKeycardFetchFor} has wrapped it, sets `timeout: 0`
 * for marked calls only. Every other use of node-fetch goes through unchanged.
 *
 * telegraf calls node-fetch as `require('node-fetch').default(url, init)`, reading `default` at
 * each call: that property of the node-fetch that telegraf resolves is what is wrapped. A telegraf
 * bundled with its node-fetch (the `sdk` option, in a bundle) cannot be reached this way; its calls
 * run under `withTelegrafTimers` instead (`telegram-timers.ts`).
 * @module
 */
import { createRequire } from 'node:module';

/** telegraf's `timeout` for node-fetch, in milliseconds. */
export const TELEGRAF_FETCH_TIMEOUT_MS = 500_000;

/** The agent functions of keycard's calls (node-fetch calls an `agent` function with the URL). */
const marked = new WeakSet<object>();

type NodeFetch = ((url: unknown, init?: Record<string, unknown>) => Promise<unknown>) & {
  default?: unknown;
};

/**
 * The `agent` to give telegraf for one keycard call: a function node-fetch calls with the URL,
 * answering with `agent` (the caller's or telegraf's own agent, or none), and that marks the call
 * as keycard's.
 */
export function telegrafAgent(agent: unknown): (url: URL) => unknown {
  const pick =
    typeof agent === 'function' ? (url: URL) => (agent as (url: URL) => unknown)(url) : () => agent;
  marked.add(pick);
  return pick;
}

/** The telegraf module (CommonJS exports) whose node-fetch is wrapped, once known. */
let wrappedFor: { Telegram: unknown } | null | undefined;

/**
 * Wraps the node-fetch that the installed telegraf calls (once per process), and says whether
 * `Telegram` (the class a client is built from) is that telegraf's: `false` for a bundled copy.
 */
export function useKeycardFetchFor(Telegram: unknown): boolean {
  if (wrappedFor === undefined) wrappedFor = wrapInstalled();
  return wrappedFor !== null && wrappedFor.Telegram === Telegram;
}

function wrapInstalled(): { Telegram: unknown } | null {
  try {
    // The CommonJS build gets `import.meta.url` from tsup's shims.
    const entry = createRequire(import.meta.url).resolve('telegraf');
    const fromTelegraf = createRequire(entry);
    const nodeFetch = fromTelegraf('node-fetch') as NodeFetch;
    const original = nodeFetch.default;
    if (typeof original !== 'function') return null;
    const fetch = original as NodeFetch;
    const wrapped = function keycardNodeFetch(this: unknown, url: unknown, init?: Record<string, unknown>) {
      if (init !== undefined && init !== null && marked.has(init['agent'] as object)) init['timeout'] = 0;
      return fetch.call(this, url, init);
    };
    // `require('node-fetch').default.Headers` and the like still answer.
    Object.setPrototypeOf(wrapped, fetch);
    nodeFetch.default = wrapped;
    return fromTelegraf(entry) as { Telegram: unknown };
  } catch {
    return null;
  }
}
