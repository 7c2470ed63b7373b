/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL), for outage tests: kill it
 * (every connection is reset and the port closes), start it again on the same port, make it
 * swallow traffic (a server that accepts and never answers), or cut every connection right after
 * a chosen client message has gone through (the server got it; its answer never comes back).
 */
import net from 'node:net';

export type ProxyMode = 'forward' | 'blackhole';

export interface TcpProxy {
  /** The port it listens on; the same after `restart()`. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Resets every connection and closes the port: the server is gone. */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** `blackhole`: connections, new and open, are accepted and nothing passes either way. */
  setMode(mode: ProxyMode): void;
  /**
   * Once: after forwarding a client packet that contains `marker`, reset that connection before
   * the server's answer can come back. Resolves when it has.
   */
  cutAfter(marker: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy to `target` on a free port of 127.0.0.1. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let mode: ProxyMode = 'forward';
  let accepted = 0;
  let cut: { marker: Buffer; done: () => void } | undefined;

  const resetAll = () => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };

  const onConnection = (client: net.Socket) => {
    accepted += 1;
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    if (mode === 'blackhole') {
      client.on('data', () => undefined);
      return;
    }
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'forward') client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (mode === 'blackhole') return;
      const armed = cut;
      if (armed !== undefined && chunk.includes(armed.marker)) {
        cut = undefined;
        upstream.write(chunk, () => {
          // The server has the message; nothing it answers reaches the client.
          client.resetAndDestroy();
          armed.done();
        });
        upstream.pause();
        return;
      }
      upstream.write(chunk);
    });
  };

  let server = net.createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  let listening = true;

  const stop = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    resetAll();
    await closed;
  };

  return {
    port,
    get accepted() {
      return accepted;
    },
    kill: stop,
    async restart() {
      if (listening) return;
      server = net.createServer(onConnection);
      await listen(port);
      listening = true;
    },
    setMode(next) {
      mode = next;
    },
    cutAfter(marker) {
      return new Promise<void>((resolve) => {
        cut = { marker: Buffer.from(marker), done: resolve };
      });
    },
    close: stop,
  };
}

/** `url` (postgres://…) with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
