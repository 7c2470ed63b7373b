/**
 * Servers that never finish an answer, for timeout and abort tests: one that accepts the TCP
 * connection and never writes a byte, one that sends `200` headers and stops in the middle of a
 * JSON body, and one that does the same in the middle of a server-sent event. Each counts the
 * connections that carried a request and how many of them the client has closed, so a test can
 * tell that nothing was left open. (Connections that carry no request are not counted: after an
 * abort, undici may open a spare one, which it does not keep the process alive for.)
 */
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';

/**
 * - `silent`: the connection is accepted and the request read, but nothing is ever sent back;
 * - `json`: `200` with `content-type: application/json` and the start of a body, then nothing;
 * - `sse`: `200` with `content-type: text/event-stream` and the start of an event, then nothing.
 */
export type StallMode = 'silent' | 'json' | 'sse';

export interface StallServer {
  /** `http://127.0.0.1:PORT`, with no trailing slash. */
  readonly url: string;
  readonly mode: StallMode;
  /** Connections that carried a request so far. */
  connections(): number;
  /** Resolves when the next request arrives (for `json` and `sse`: once its headers are sent). */
  nextRequest(): Promise<void>;
  /** Of those, the ones still open (the client has not closed them). */
  open(): number;
  /** Resolves once every connection that carried a request is closed, or rejects after `withinMs`. */
  drained(withinMs?: number): Promise<void>;
  /** Ends every connection and stops listening. */
  close(): Promise<void>;
}

/** The start of a JSON body: any parser waits for the rest. */
const PARTIAL_JSON = '{"id":"stalled","object":';
/** The start of an event, with no blank line after it: any SSE parser waits for the rest. */
const PARTIAL_EVENT = 'data: {"id":"stalled","choices":[';

function stall(response: ServerResponse, mode: 'json' | 'sse'): void {
  response.writeHead(200, {
    'content-type': mode === 'json' ? 'application/json' : 'text/event-stream',
    'cache-control': 'no-cache',
  });
  // Chunked: the client cannot know the body is incomplete until more bytes (or the end) come.
  response.write(mode === 'json' ? PARTIAL_JSON : PARTIAL_EVENT);
}

/** Starts a server on an ephemeral loopback port that answers every request per `mode`. */
export async function startStallServer(mode: StallMode): Promise<StallServer> {
  /** Every connection, to end them on close(). */
  const all = new Set<Socket>();
  /** Connections that carried a request and are still open. */
  const sockets = new Set<Socket>();
  const used = new WeakSet<Socket>();
  let accepted = 0;
  let waiters: Array<() => void> = [];
  const announce = () => {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  const track = (socket: Socket) => {
    all.add(socket);
    socket.on('close', () => {
      all.delete(socket);
      sockets.delete(socket);
    });
    // A client that gives up resets the connection: that is expected here.
    socket.on('error', () => {});
  };
  const carried = (socket: Socket) => {
    if (!used.has(socket)) {
      used.add(socket);
      accepted += 1;
      if (!socket.destroyed) sockets.add(socket);
    }
    announce();
  };

  let server: Server;
  if (mode === 'silent') {
    server = createNetServer((socket) => {
      track(socket);
      socket.once('data', () => carried(socket));
      socket.resume(); // read the request, answer nothing
    });
  } else {
    const http = createHttpServer((request, response) => {
      request.resume();
      stall(response, mode);
      carried(request.socket);
    });
    http.on('connection', track);
    // The stalled answers must not be ended by Node's own timeouts before the client's.
    http.requestTimeout = 0;
    http.headersTimeout = 0;
    http.keepAliveTimeout = 0;
    server = http;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('stall server: no port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    mode,
    connections: () => accepted,
    nextRequest: () => new Promise<void>((resolve) => waiters.push(resolve)),
    open: () => sockets.size,
    async drained(withinMs = 2_000) {
      const deadline = Date.now() + withinMs;
      while (sockets.size > 0) {
        if (Date.now() > deadline) {
          throw new Error(`stall server: ${sockets.size} connection(s) still open after ${withinMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      for (const socket of all) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
