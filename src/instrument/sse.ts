/**
 * A pass-through for server-sent event streams: it hands events to a reader (to pick up usage)
 * and forwards the bytes unchanged, unless the reader drops an event.
 *
 * The bytes are not decoded on the way: each chunk is handed on as it came, cut only at the end
 * of its last complete event (the rest waits for the next chunk, as the SDK's own parser would).
 * A reader that names `triggers` sees the first event and the events that contain a trigger;
 * only the chunks that hold one are decoded. A reader without triggers sees every event.
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

const EVENT_END = /\r?\n\r?\n/g;
const LF = 0x0a;
const CR = 0x0d;

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

/** A `Buffer` view of `bytes` (no copy), for its native `indexOf`. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The index just past the last blank line in `bytes` (the end of its last complete event), or
 * -1. Events end with `\n\n`, `\r\n\r\n` or a mix of the two.
 */
function lastEventEnd(bytes: Buffer): number {
  let at = bytes.lastIndexOf(LF);
  while (at > 0) {
    const before = bytes[at - 1];
    if (before === LF || (before === CR && at > 1 && bytes[at - 2] === LF)) return at + 1;
    at = bytes.lastIndexOf(LF, at - 1);
  }
  return -1;
}

function concat(first: Buffer | undefined, next: Uint8Array): Buffer {
  return first === undefined || first.length === 0 ? view(next) : Buffer.concat([first, next]);
}

/** One read of a stream. */
type Chunk = { done: false; value: Uint8Array } | { done: true; value: undefined };

const NATIVE_GET_READER = ReadableStream.prototype.getReader;

/** Reads a metered event stream one handed-on chunk at a time. */
interface MeteredSource {
  next(): Promise<Chunk>;
  cancel(reason?: unknown): Promise<void>;
}

function meteredSource(
  body: ReadableStream<Uint8Array>,
  reader: StreamUsageReader,
  onEnd: (end: StreamEnd, error?: unknown) => void,
  options: MeterStreamOptions,
): MeteredSource {
  const { idleTimeoutMs } = options;
  const idleLimit =
    idleTimeoutMs !== undefined && idleTimeoutMs > 0 && idleTimeoutMs <= MAX_TIMER_MS
      ? Math.ceil(idleTimeoutMs)
      : undefined;
  const triggers = reader.triggers?.map((trigger) => Buffer.from(trigger));
  const decoder = new TextDecoder();
  let first = true;
  let held: Buffer | undefined;
  let ended = false;
  // An event whose JSON data is broken fails the SDK's parse: the stream counts as failed. (Only
  // the events the reader sees are checked: the others are not decoded at all.)
  let broken = false;
  let source: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // The native `getReader`: `meterEventBody` puts its own on `body`.
  const open = () => {
    source ??= NATIVE_GET_READER.call(body) as ReadableStreamDefaultReader<Uint8Array>;
    return source;
  };

  // One timer for the whole stream, re-armed for each read: it fails the stream only while a read
  // waits. Unreferenced: the socket keeps the process alive while bytes are awaited.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting = false;
  let idle: DOMException | undefined;
  const finish = (end: StreamEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clearTimeout(timer);
    onEnd(broken ? 'failed' : end, error);
  };
  const read = (): Promise<{ done: boolean; value?: Uint8Array | undefined }> => {
    if (idleLimit !== undefined) {
      waiting = true;
      if (timer === undefined) {
        timer = setTimeout(() => {
          if (!waiting || ended) return;
          idle = idleError(idleLimit);
          // Ends the pending read; `next` then fails with the timeout.
          open()
            .cancel(idle)
            .catch(() => {});
        }, idleLimit);
        timer.unref?.();
      } else timer.refresh();
    }
    return open().read();
  };

  /** `data` parsed when it is JSON (`undefined` otherwise); broken JSON marks the stream failed. */
  const check = (data: string): unknown => {
    if (data === '[DONE]' || !(data.startsWith('{') || data.startsWith('['))) return undefined;
    try {
      return JSON.parse(data) as unknown;
    } catch {
      broken = true;
      return undefined;
    }
  };
  const deliver = (block: string): boolean => {
    // A chunk holding a trigger is decoded whole; of its events, the reader sees (and the check
    // parses) only the first of the stream and those with a trigger, as the contract says.
    if (
      !first &&
      reader.triggers !== undefined &&
      !reader.triggers.some((trigger) => block.includes(trigger))
    )
      return true;
    const { event, data } = parseEvent(block);
    if (data === '' && event === undefined) return true;
    first = false;
    return reader.onEvent(data, event, check(data));
  };
  /**
   * Hands the events of `text` to the reader; returns the text of the events it keeps, or
   * `undefined` when it keeps them all.
   */
  const readEvents = (text: string, final: boolean): string | undefined => {
    let kept = '';
    let dropped = false;
    let start = 0;
    EVENT_END.lastIndex = 0;
    for (let match = EVENT_END.exec(text); match !== null; match = EVENT_END.exec(text)) {
      const end = match.index + match[0].length;
      if (!deliver(text.slice(start, match.index))) dropped = true;
      else kept += text.slice(start, end);
      start = end;
    }
    if (start < text.length) {
      // The last event of a stream that ended without a blank line.
      if (final) deliver(text.slice(start));
      kept += text.slice(start);
    }
    return dropped ? kept : undefined;
  };
  /** Whether `bytes` (complete events) must be decoded for the reader. */
  const wanted = (bytes: Buffer): boolean => {
    if (triggers === undefined || first) return true;
    for (const trigger of triggers) if (bytes.indexOf(trigger) !== -1) return true;
    return false;
  };
  /** What to hand on of `bytes` (complete events); `undefined` when nothing. */
  const handOn = (bytes: Buffer, final: boolean): Buffer | undefined => {
    if (bytes.length === 0) return undefined;
    if (!wanted(bytes)) return bytes;
    const kept = readEvents(decoder.decode(bytes), final);
    if (kept === undefined) return bytes;
    return kept === '' ? undefined : Buffer.from(kept);
  };

  const DONE: Chunk = { done: true, value: undefined };
  return {
    async next() {
      if (ended && held === undefined) return DONE;
      try {
        // Read until something is handed on.
        for (;;) {
          const result = await read();
          waiting = false;
          if (idle !== undefined) throw idle;
          if (result.done || result.value === undefined) {
            const rest = held;
            held = undefined;
            const last = rest === undefined ? undefined : handOn(rest, true);
            finish('completed');
            return last === undefined ? DONE : { done: false, value: last };
          }
          const bytes = concat(held, result.value);
          const end = lastEventEnd(bytes);
          if (end === -1) {
            held = bytes;
            continue;
          }
          held = end < bytes.length ? bytes.subarray(end) : undefined;
          const out = handOn(end < bytes.length ? bytes.subarray(0, end) : bytes, false);
          if (out !== undefined) return { done: false, value: out };
        }
      } catch (error) {
        waiting = false;
        held = undefined;
        finish('failed', error);
        // An idle stream: close the connection too (a no-op for a body that already failed).
        open()
          .cancel(error)
          .catch(() => {});
        throw error;
      }
    },
    async cancel(reason) {
      held = undefined;
      finish('cancelled');
      await open().cancel(reason);
    },
  };
}

/** A `ReadableStream` over a metered source. */
function streamOf(source: MeteredSource): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await source.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => source.cancel(reason),
  });
}

/**
 * Wraps `body` so that `reader` sees its events. `onEnd` runs once, when the stream ends, fails
 * or is cancelled by the consumer.
 */
export function meterEventStream(
  body: ReadableStream<Uint8Array>,
  reader: StreamUsageReader,
  onEnd: (end: StreamEnd, error?: unknown) => void,
  options: MeterStreamOptions = {},
): ReadableStream<Uint8Array> {
  return streamOf(meteredSource(body, reader, onEnd, options));
}

/** The `ReadableStream` methods that read a stream, other than async iteration. */
const READING_METHODS = ['getReader', 'pipeTo', 'pipeThrough', 'tee', 'values', 'cancel'] as const;

/**
 * `body` itself, metered as {@link meterEventStream} meters it (and `stream`, the same source as
 * a new `ReadableStream`, for `Response` body readers), for the consumers that iterate
 * it with `for await` (the OpenAI and Anthropic SDKs do): its async iterator reads the metered
 * source directly, one promise per chunk, with no second stream in between. Its other reading
 * methods (`getReader()`, `pipeTo()`, …) go through a metered `ReadableStream`. (Node's own
 * helpers that read a stream from the inside, such as `Readable.fromWeb`, see the bytes
 * unmetered.)
 */
export function meterEventBody(
  body: ReadableStream<Uint8Array>,
  reader: StreamUsageReader,
  onEnd: (end: StreamEnd, error?: unknown) => void,
  options: MeterStreamOptions = {},
): { body: ReadableStream<Uint8Array>; stream: () => ReadableStream<Uint8Array> } {
  const source = meteredSource(body, reader, onEnd, options);
  let stream: ReadableStream<Uint8Array> | undefined;
  const through = () => {
    stream ??= streamOf(source);
    return stream;
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next: () => source.next(),
    async return() {
      await source.cancel();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  Object.defineProperty(body, Symbol.asyncIterator, { configurable: true, value: () => iterator });
  for (const name of READING_METHODS) {
    Object.defineProperty(body, name, {
      configurable: true,
      value: (...args: unknown[]) =>
        (through()[name] as (...rest: unknown[]) => unknown).apply(through(), args),
    });
  }
  return { body, stream: through };
}
