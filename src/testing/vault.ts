/**
 * A Vault-compatible HTTP server for tests and demos, written from Vault's documented API (no
 * Vault or OpenBao binary is needed): KV v1 and v2 with versions, soft deletes and destroys,
 * mount detection, tokens with policies and expiry, AppRole login, namespaces, faults on demand,
 * and a log of every request that never holds a token or a secret value.
 *
 * Its parts: the public types (`vault-types.ts`), the KV engines (`vault-kv.ts`), tokens and
 * AppRoles (`vault-tokens.ts`), the routes (`vault-routes.ts`) and Vault's wire format
 * (`vault-wire.ts`).
 *
 * @example
 * const vault = await startVaultSimulator();
 * vault.mount('secret', { version: 2 });
 * vault.put('secret', 'openai', { api_key: key });
 * const token = vault.createToken({ policies: ['secret/data/openai'] });
 * const source = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token });
 * @module
 */
import { setMaxListeners } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { VaultKvStore } from './vault-kv.js';
import { routeVaultRequest, splitNamespace } from './vault-routes.js';
import { VaultTokens } from './vault-tokens.js';
import type { VaultFault, VaultRequestRecord, VaultSimulator, VaultSimulatorOptions } from './vault-types.js';
import {
  errorReply,
  faultErrors,
  normaliseNamespace,
  okReply,
  pathMatches,
  type VaultReply,
} from './vault-wire.js';

export type { VaultFault, VaultRequestRecord, VaultSimulator, VaultSimulatorOptions } from './vault-types.js';

/** Vault's default `max_request_size`. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

type QueuedFault = VaultFault & { left: number };
type MutableRecord = { -readonly [K in keyof VaultRequestRecord]: VaultRequestRecord[K] };

/** `ns1/ns2/` and every parent of it: `ns1/`, `ns1/ns2/`. */
function withParents(namespace: string): string[] {
  const parts = namespace.split('/').filter((part) => part !== '');
  return parts.map((_, index) => `${parts.slice(0, index + 1).join('/')}/`);
}

/** Starts a Vault simulator on 127.0.0.1. */
export async function startVaultSimulator(options: VaultSimulatorOptions = {}): Promise<VaultSimulator> {
  const kv = new VaultKvStore();
  const tokens = new VaultTokens();
  const faults: QueuedFault[] = [];
  const log: MutableRecord[] = [];
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  // Every delayed request listens for close(); there may be many at once.
  setMaxListeners(0, closing.signal);

  const knownNamespaces = () => new Set([...kv.namespaces(), ...tokens.namespaces()].flatMap(withParents));

  function takeFault(paths: readonly string[]): QueuedFault | undefined {
    const index = faults.findIndex((fault) => paths.some((path) => pathMatches(fault.path, path)));
    const fault = faults[index];
    if (fault === undefined) return undefined;
    fault.left -= 1;
    if (fault.left <= 0) faults.splice(index, 1);
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const authorization = header('authorization');
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
    const token = header('x-vault-token') || bearer || undefined;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headerNamespace = normaliseNamespace(header('x-vault-namespace'));
    let apiPath: string | undefined;
    try {
      apiPath = url.pathname.startsWith('/v1/')
        ? decodeURIComponent(url.pathname.slice(4)).replace(/^\/+/, '')
        : undefined;
    } catch {
      apiPath = undefined;
    }
    const split = splitNamespace(headerNamespace, apiPath ?? '', knownNamespaces());
    const namespace = split.namespace;
    const fromPath = namespace.length > headerNamespace.length;
    // A client that puts its token in the URL by mistake does not get it into the log.
    const scrub = (text: string) => (token === undefined ? text : text.split(token).join('[token]'));
    const record: MutableRecord = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: scrub(apiPath === undefined ? url.pathname.replace(/^\/+/, '') : split.path),
      query: scrub(url.search),
      namespace: namespace === '' ? undefined : namespace,
      namespaceFrom:
        namespace === '' ? undefined : headerNamespace === '' ? 'path' : fromPath ? 'header+path' : 'header',
      tokenSent: token !== undefined,
      requestHeader: header('x-vault-request') === 'true',
      fault: null,
      status: null,
    };
    log.push(record);
    const send = (reply: VaultReply | { status: number; text: string }) => {
      record.status = reply.status;
      const text = 'text' in reply ? reply.text : reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'cache-control': 'no-store',
        ...(text === '' ? {} : { 'content-type': 'application/json' }),
      });
      res.end(text);
    };

    if (options.requireRequestHeader === true && !record.requestHeader) {
      send(errorReply(412, ["missing 'X-Vault-Request' header"]));
      return;
    }
    const fault = takeFault(apiPath === undefined ? [record.path] : [split.path, apiPath]);
    if (fault !== undefined) {
      if ('hang' in fault) {
        record.fault = 'hang';
        return; // Never answered; close() ends the connection.
      }
      if ('malformed' in fault) {
        record.fault = 'malformed';
        send({ status: 200, text: '{"request_id":"00000000-0000-0000-0000-000000000000","data":{"data":' });
        return;
      }
      if ('status' in fault) {
        record.fault = 'status';
        const errors = fault.errors ?? faultErrors(fault.status, record.path);
        if (fault.status >= 400) send(errorReply(fault.status, errors));
        else send(fault.status === 204 ? { status: 204, body: undefined } : okReply({}, fault.status));
        return;
      }
      record.fault = 'delay';
      try {
        await sleep(fault.delayMs, undefined, { signal: closing.signal });
      } catch {
        return; // Closing: the connection is destroyed.
      }
    }

    if (apiPath === undefined) {
      send(errorReply(404, []));
      return;
    }
    if (size > MAX_BODY_BYTES) {
      send(errorReply(413, ['http: request body too large']));
      return;
    }
    let body: Record<string, unknown> = {};
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        send(errorReply(400, ['failed to parse JSON input']));
        return;
      }
      body = parsed as Record<string, unknown>;
    }
    send(
      routeVaultRequest(
        { method: record.method, path: split.path, query: url.searchParams, namespace, token, body },
        kv,
        tokens,
      ),
    );
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      // Never the error itself: it could quote a request.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":["internal error"]}');
      }
    });
  };
  const server =
    options.tls === undefined
      ? createHttpServer(listener)
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
    address: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    mount(path, mountOptions) {
      kv.mount(normaliseNamespace(mountOptions.namespace), path, mountOptions.version);
    },
    put(mount, path, data, putOptions = {}) {
      return kv.put(normaliseNamespace(putOptions.namespace), mount, path, data, {
        ttl: putOptions.ttl,
        customMetadata: putOptions.customMetadata,
      });
    },
    softDelete(mount, path, deleteOptions = {}) {
      kv.softDelete(normaliseNamespace(deleteOptions.namespace), mount, path, deleteOptions.version);
    },
    destroy(mount, path, version, destroyOptions = {}) {
      kv.destroy(normaliseNamespace(destroyOptions.namespace), mount, path, version);
    },
    createToken: (tokenOptions) => tokens.create(tokenOptions),
    expireToken: (token) => tokens.expire(token),
    expireAllTokens: () => tokens.expireAll(),
    addAppRole: (roleOptions) => tokens.addAppRole(roleOptions),
    fail(fault) {
      const times = fault.times ?? 1;
      if (!(times >= 1)) throw new Error('startVaultSimulator: fail() needs times of 1 or more');
      if (
        'status' in fault &&
        !(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)
      ) {
        throw new Error('startVaultSimulator: fail() needs an HTTP status from 200 to 599');
      }
      faults.push({ ...fault, left: times });
    },
    get requests() {
      return log.map((record) => ({ ...record }));
    },
    count(filter = {}) {
      const method = filter.method?.toUpperCase();
      return log.filter(
        (record) =>
          pathMatches(filter.path, record.path) && (method === undefined || record.method === method),
      ).length;
    },
    resetRequests() {
      log.length = 0;
    },
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
