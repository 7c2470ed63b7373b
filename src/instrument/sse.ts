/**
 * A pass-through for server-sent event streams: it hands each complete event to a reader (to
 * pick up usage) and forwards the bytes unchanged, unless the reader drops the event.
 * @module
 */
import type { StreamUsageReader } from '../providers/types.js';

/** Splits one raw event block into its `event:` name and joined `data:` lines. */
function parseEvent(block: string): { event: string | undefined; data: string } {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    else if (line.startsWith('event:')) event = line.slice(6).trim();
  }
  return { event, data: data.join('\n') };
}

const EVENT_END = /\r?\n\r?\n/;

/** How a metered stream ended: read to the end, stopped by its reader, or broken. */
export type StreamEnd = 'completed' | 'cancelled' | 'failed';

/** The longest delay a Node timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** The error a stream fails with when the server sent nothing for `idleTimeoutMs`. */
function idleError(idleTimeoutMs: number): DOMException {
  return new DOMException(
    `The event stream sent nothing for ${idleTimeoutMs} ms (keycard's timeout; set createClient's timeout option to change it).`,
    'TimeoutError',
  );
}

/** Options of {@link meterEventStream}. */
export interface MeterStreamOptions {
  /**
   * The longest wait for the next bytes while the consumer reads, in milliseconds: past it the
   * stream fails with a `TimeoutError` and the connection is closed. The SDKs' own timeouts end
   * when the headers arrive, so without it a server that stalls mid-stream hangs the consumer.
   * `undefined`, `0` or `Infinity`: no limit.
   */
  idleTimeoutMs?: number | undefined;
}

/**
 * Wraps `body` so that `reader` sees every event. `onEnd` runs once, when the stream ends, fails
 * or is cancelled by the consumer.
 */
export function meterEventStream(
  body: ReadableStream<Uint8Array>,
  reader: StreamUsageReader,
  onEnd: (end: StreamEnd, error?: unknown) => void,
  options: MeterStreamOptions = {},
): ReadableStream<Uint8Array> {
  const { idleTimeoutMs } = options;
  const idleLimit =
    idleTimeoutMs !== undefined && idleTimeoutMs > 0 && idleTimeoutMs <= MAX_TIMER_MS
      ? Math.ceil(idleTimeoutMs)
      : undefined;
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = '';
  let ended = false;
  // An event whose JSON data is broken fails the SDK's parse: the stream counts as failed.
  let broken = false;
  const finish = (end: StreamEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    onEnd(broken ? 'failed' : end, error);
  };
  const check = (data: string) => {
    if (broken || data === '[DONE]' || !(data.startsWith('{') || data.startsWith('['))) return;
    try {
      JSON.parse(data);
    } catch {
      broken = true;
    }
  };
  const source = body.getReader();

  /** The next chunk, or an idle `TimeoutError` when none comes within the limit. */
  const read = (): ReturnType<typeof source.read> => {
    if (idleLimit === undefined) return source.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(idleError(idleLimit)), idleLimit);
    });
    return Promise.race([source.read(), idle]).finally(() => clearTimeout(timer));
  };

  /** Hands on every complete event; returns whether anything was enqueued. */
  const emit = (controller: ReadableStreamDefaultController<Uint8Array>, final: boolean): boolean => {
    let enqueued = false;
    let match = EVENT_END.exec(pending);
    while (match !== null) {
      const block = pending.slice(0, match.index);
      const raw = pending.slice(0, match.index + match[0].length);
      pending = pending.slice(match.index + match[0].length);
      const { event, data } = parseEvent(block);
      check(data);
      const keep = data === '' && event === undefined ? true : reader.onEvent(data, event);
      if (keep) {
        controller.enqueue(encoder.encode(raw));
        enqueued = true;
      }
      match = EVENT_END.exec(pending);
    }
    if (final && pending !== '') {
      const { event, data } = parseEvent(pending);
      if (data !== '' || event !== undefined) reader.onEvent(data, event);
      controller.enqueue(encoder.encode(pending));
      pending = '';
      enqueued = true;
    }
    return enqueued;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        // Read until something is handed on: a pull that enqueues nothing is not called again.
        for (;;) {
          const { done, value } = await read();
          if (done) {
            pending += decoder.decode();
            emit(controller, true);
            controller.close();
            finish('completed');
            return;
          }
          pending += decoder.decode(value, { stream: true });
          if (emit(controller, false)) return;
        }
      } catch (error) {
        finish('failed', error);
        controller.error(error);
        // An idle stream: close the connection too (a no-op for a body that already failed).
        source.cancel(error).catch(() => {});
      }
    },
    async cancel(reason) {
      finish('cancelled');
      await source.cancel(reason);
    },
  });
}
