/**
 * A proxy on 127.0.0.1 (HTTP, or HTTPS with a test certificate) in front of another server that
 * holds every request until the test releases it: a call is then in flight, at the server, for as
 * long as the test needs to look at the client.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCertificates } from './tls.js';

export interface HoldingProxy {
  /** `http(s)://127.0.0.1:PORT`. */
  readonly url: string;
  /** Resolves when a request has arrived and is being held. */
  arrived(): Promise<void>;
  /** Forwards the held requests, and every later one at once. */
  release(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`http://127.0.0.1:PORT`); HTTPS when `tls` is given. */
export async function startHoldingProxy(target: string, tls?: TestCertificates): Promise<HoldingProxy> {
  const upstream = new URL(target);
  let released = false;
  const held: Array<() => void> = [];
  let signalArrival: () => void = () => {};
  let arrival = new Promise<void>((resolve) => {
    signalArrival = resolve;
  });

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const go = () => forward(req, res, Buffer.concat(chunks));
      if (released) go();
      else {
        held.push(go);
        signalArrival();
      }
    });
  };
  const server =
    tls === undefined
      ? createHttpServer(handle)
      : createHttpsServer({ key: tls.key, cert: tls.cert }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    arrived: () => arrival,
    release() {
      released = true;
      for (const go of held.splice(0)) go();
    },
    close() {
      arrival = new Promise<void>((resolve) => {
        signalArrival = resolve;
      });
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
