/**
 * A Vault-compatible HTTP server for tests and demos, written from Vault's documented API (no
 * Vault or OpenBao binary is needed): KV v1 and v2 with versions, soft deletes and destroys,
 * mount detection, tokens with policies and expiry, AppRole login, namespaces, faults on demand,
 * and a log of every request that never holds a token or a secret value.
 *
 * Its parts: the KV engines (`vault-kv.ts`), tokens and AppRoles (`vault-tokens.ts`), the routes
 * (`vault-routes.ts`) and Vault's wire format (`vault-wire.ts`).
 *
 * @example
 * const vault = await startVaultSimulator();
 * vault.mount('secret', { version: 2 });
 * vault.put('secret', 'openai', { api_key: key });
 * const token = vault.createToken({ policies: ['secret/data/openai'] });
 * const source = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token });
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { VaultKvStore } from './vault-kv.js';
import { routeVaultRequest, splitNamespace } from './vault-routes.js';
import { VaultTokens } from './vault-tokens.js';
import {
  errorReply,
  faultErrors,
  normaliseNamespace,
  okReply,
  pathMatches,
  type VaultReply,
} from './vault-wire.js';

/** Options of {@link startVaultSimulator}. */
export interface VaultSimulatorOptions {
  /** A PEM private key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /**
   * Port on 127.0.0.1.
   * @default 0 (a free port chosen by the system; read it from `address`)
   */
  port?: number | undefined;
  /**
   * Refuse requests without `X-Vault-Request: true` with 412 `missing 'X-Vault-Request' header`,
   * as a Vault Agent or Proxy listener with `require_request_header` does.
   * @default false
   */
  requireRequestHeader?: boolean | undefined;
}

/**
 * A fault for the next request(s) whose API path matches, queued by `fail()`. Faults are taken in
 * the order they were queued, after the `requireRequestHeader` check:
 * - `{ status }`: that status with Vault's `{"errors": [...]}` (503: `Vault is sealed`);
 * - `{ hang: true }`: no answer at all, until the client gives up or `close()`;
 * - `{ malformed: true }`: a 200 whose JSON body is cut short;
 * - `{ delayMs }`: the normal answer, that much later.
 */
export type VaultFault = {
  /**
   * API paths it applies to: a prefix or a RegExp, matched against the path after `/v1/`, with and
   * without a namespace prefix (`secret/data/openai`, `ns1/secret/data/openai`).
   * @default every path
   */
  path?: string | RegExp | undefined;
  /**
   * How many matching requests take it (`Infinity`: all of them).
   * @default 1
   */
  times?: number | undefined;
} & (
  | {
      /** The HTTP status to answer with. */
      status: number;
      /** The `errors` of the body. @default Vault's text for the status */
      errors?: string[] | undefined;
    }
  | {
      /** Never answer. */
      hang: true;
    }
  | {
      /** Answer 200 with broken JSON. */
      malformed: true;
    }
  | {
      /** Answer normally after this many milliseconds. */
      delayMs: number;
    }
);

/** One request the simulator received. It never holds the token or a secret value. */
export interface VaultRequestRecord {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The API path after `/v1/` and after any namespace prefix, without the query: `secret/data/openai`. */
  readonly path: string;
  /** The query string with its `?` (`?version=2`), or `''`. */
  readonly query: string;
  /** The namespace (`ns1/`), from `X-Vault-Namespace`, the path or both; `undefined` for the root. */
  readonly namespace: string | undefined;
  /** Where the namespace came from; `undefined` for the root namespace. */
  readonly namespaceFrom: 'header' | 'path' | 'header+path' | undefined;
  /** Whether a token was sent, in `X-Vault-Token` or `Authorization: Bearer`. Never the token. */
  readonly tokenSent: boolean;
  /** Whether `X-Vault-Request: true` was sent. */
  readonly requestHeader: boolean;
  /** The fault the request took, if any. */
  readonly fault: 'status' | 'hang' | 'malformed' | 'delay' | null;
  /** The status answered; `null` while unanswered, and for a hang. */
  readonly status: number | null;
}

/** A running Vault simulator. */
export interface VaultSimulator {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`: what `VAULT_ADDR` would hold. */
  readonly address: string;
  /**
   * Enables a KV engine at `path` (`secret`, `kv1`, `team/apps`), in the root namespace or in
   * `namespace` (`ns1/`, `ns1/ns2/`). Mounting again at the same path starts it empty.
   */
  mount(
    path: string,
    options: {
      /** The KV engine version. */
      version: 1 | 2;
      /** The namespace; the root when absent. */
      namespace?: string | undefined;
    },
  ): void;
  /**
   * Writes a secret at `path` under mount `mount`: KV v2 makes a new version and returns its
   * number; KV v1 replaces the secret and returns 1. Throws when no such mount exists.
   */
  put(
    mount: string,
    path: string,
    data: Record<string, unknown>,
    options?: {
      /** The mount's namespace; the root when absent. */
      namespace?: string | undefined;
      /**
       * KV v1: the advisory `lease_duration` of reads, as Vault's `ttl` key (`'1h'`: 3600). A
       * `ttl` field of `data` does the same. KV v2 ignores it (its reads say 0).
       * @default 768 h (2764800 s), the mount default
       */
      ttl?: string | undefined;
      /** KV v2: the secret's `custom_metadata`. @default null */
      customMetadata?: Record<string, string> | undefined;
    },
  ): number;
  /**
   * KV v2: soft-deletes the latest version, or `version`; reads of it then answer 404 with
   * `data: null` and `deletion_time` set. On a KV v1 mount, removes the secret.
   */
  softDelete(
    mount: string,
    path: string,
    options?: {
      /** The version; the latest when absent. */
      version?: number | undefined;
      /** The mount's namespace; the root when absent. */
      namespace?: string | undefined;
    },
  ): void;
  /** KV v2: destroys `version`; reads of it then answer 404 with `data: null` and `destroyed: true`. */
  destroy(
    mount: string,
    path: string,
    version: number,
    options?: {
      /** The mount's namespace; the root when absent. */
      namespace?: string | undefined;
    },
  ): void;
  /** A new service token (`hvs.` and 91 random url-safe characters, unless `id` is given). */
  createToken(options: {
    /**
     * API-path globs the token may read, relative to its namespace: `secret/data/openai`,
     * `secret/*` (`*` at the end: a prefix), `secret/+/openai` (`+`: one segment), or `root`.
     */
    policies: string[];
    /** Seconds until it expires; 0 or absent: never. */
    ttlSeconds?: number | undefined;
    /** Seconds past which `renew-self` cannot extend it; 0 or absent: unbounded. */
    maxTtlSeconds?: number | undefined;
    /** Whether `renew-self` works (only for a token with a TTL, as in Vault). @default true */
    renewable?: boolean | undefined;
    /** The namespace it belongs to; it works there and below, nowhere else. @default the root */
    namespace?: string | undefined;
    /** The token itself, as Vault's root-only `id` parameter allows. @default random */
    id?: string | undefined;
  }): string;
  /** Makes a token invalid at once, as if it expired or was revoked. */
  expireToken(token: string): void;
  /** Makes every token issued so far invalid, AppRole logins included. */
  expireAllTokens(): void;
  /**
   * An AppRole: `POST /v1/auth/<mount>/login` with `{role_id, secret_id}` gives a token with
   * these policies (and Vault's `default`). Returns the ids, generated when not given.
   */
  addAppRole(options: {
    /** Policies of the tokens it gives, as for `createToken()`. */
    policies: string[];
    /** TTL of those tokens in seconds; 0: never expire. @default 2764800 (Vault's 768 h) */
    tokenTtlSeconds?: number | undefined;
    /** Max TTL of those tokens in seconds; 0 or absent: unbounded. */
    tokenMaxTtlSeconds?: number | undefined;
    /** The auth mount. @default 'approle' */
    mount?: string | undefined;
    /** The role id. @default a random UUID */
    roleId?: string | undefined;
    /** The secret id. @default a random UUID */
    secretId?: string | undefined;
    /** The role's name, in the token's `metadata.role_name`. @default 'keycard' */
    roleName?: string | undefined;
    /** The namespace of the auth mount (and of its tokens). @default the root */
    namespace?: string | undefined;
  }): { roleId: string; secretId: string };
  /** Queues a fault for the next matching request(s). */
  fail(fault: VaultFault): void;
  /** Every request received, oldest first (a copy). */
  readonly requests: readonly VaultRequestRecord[];
  /** How many requests match: an API path prefix or RegExp (see `requests`), and a method. */
  count(filter?: {
    /** A prefix of, or a RegExp for, the record's `path`. */
    path?: string | RegExp | undefined;
    /** The HTTP method, any case. */
    method?: string | undefined;
  }): number;
  /** Clears the request log. */
  resetRequests(): void;
  /** Stops the server and ends every connection, hanging requests included. */
  close(): Promise<void>;
}

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
      apiPath = url.pathname.startsWith('/v1/') ? decodeURIComponent(url.pathname.slice(4)).replace(/^\/+/, '') : undefined;
    } catch {
      apiPath = undefined;
    }
    const split = splitNamespace(headerNamespace, apiPath ?? '', knownNamespaces());
    const namespace = split.namespace;
    const fromPath = namespace.length > headerNamespace.length;
    const record: MutableRecord = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: apiPath === undefined ? url.pathname.replace(/^\/+/, '') : split.path,
      query: url.search,
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
      if ('status' in fault && !(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)) {
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
        (record) => pathMatches(filter.path, record.path) && (method === undefined || record.method === method),
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
