/**
 * The HTTP server under the secret store simulators (AWS Secrets Manager, 1Password Connect): one
 * listener on 127.0.0.1, the request body read in full, queued faults (hang, garbage, delay,
 * a status), and a `close()` that ends every connection, hanging ones included.
 * @module
 */
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The largest request body a store simulator reads. */
const MAX_BODY_BYTES = 1024 * 1024;

/** What a store simulator answers. */
export interface StoreReply {
  status: number;
  headers?: Record<string, string> | undefined;
  /** Sent as is. */
  text: string;
}

/** A request as the simulator's router sees it. */
export interface StoreRequest {
  method: string;
  url: URL;
  header(name: string): string | undefined;
  body: string;
}

/** A fault shared by the store simulators; a simulator adds its own kinds. */
export type CommonStoreFault =
  | {
      /** Never answer, until the client gives up or `close()`. */
      hang: true;
    }
  | {
      /** Answer 200 with a body that is not the store's JSON. */
      garbage: true;
    }
  | {
      /** Answer normally after this many milliseconds. */
      delayMs: number;
    };

/** A queued fault: how many more requests take it, and which requests it applies to. */
export interface QueuedFault<Fault> {
  fault: Fault;
  left: number;
  matches: (request: StoreRequest) => boolean;
}

/** A running store simulator's server. */
export interface StoreServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the server: `route` answers each request, unless a queued fault takes it first
 * (`onFault` answers the simulator's own kinds; hang, garbage and delay are handled here).
 */
export async function startStoreServer<Fault extends object>(options: {
  port?: number | undefined;
  /** A PEM private key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  faults: QueuedFault<Fault>[];
  /** Called when a fault is taken, with its kind (for the request log). */
  tookFault(request: StoreRequest, kind: string): void;
  /** The simulator's own fault kinds. */
  onFault(fault: Fault, request: StoreRequest): StoreReply | undefined;
  garbage: StoreReply;
  route(request: StoreRequest): StoreReply;
  answered(request: StoreRequest, reply: StoreReply): void;
}): Promise<StoreServer> {
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  setMaxListeners(0, closing.signal);

  function takeFault(request: StoreRequest): Fault | undefined {
    const index = options.faults.findIndex((queued) => queued.matches(request));
    const queued = options.faults[index];
    if (queued === undefined) return undefined;
    queued.left -= 1;
    if (queued.left <= 0) options.faults.splice(index, 1);
    return queued.fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    const request: StoreRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      header(name) {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      },
      body: Buffer.concat(chunks).toString('utf8'),
    };
    const send = (reply: StoreReply) => {
      options.answered(request, reply);
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.text);
    };
    const fault = takeFault(request);
    if (fault !== undefined) {
      if ('hang' in fault) {
        options.tookFault(request, 'hang');
        return; // Never answered; close() ends the connection.
      }
      if ('garbage' in fault) {
        options.tookFault(request, 'garbage');
        send(options.garbage);
        return;
      }
      if ('delayMs' in fault && typeof fault.delayMs === 'number') {
        options.tookFault(request, 'delay');
        try {
          await sleep(fault.delayMs, undefined, { signal: closing.signal });
        } catch {
          return; // Closing: the connection is destroyed.
        }
      } else {
        const reply = options.onFault(fault, request);
        if (reply !== undefined) {
          send(reply);
          return;
        }
      }
    }
    send(options.route(request));
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      // Never the error itself: it could quote a request.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"internal error"}');
      }
    });
  };
  const server =
    options.tls === undefined
      ? createServer(listener)
      : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

/** `times` of a fault, checked: 1 or more (`Infinity`: every matching request). */
export function faultTimes(where: string, times: number | undefined): number {
  const value = times ?? 1;
  if (!(value >= 1)) throw new Error(`${where}: fail() needs times of 1 or more`);
  return value;
}
