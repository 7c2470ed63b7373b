/**
 * A Vault-compatible HTTP server for tests and demos, written from Vault's documented API (no
 * Vault or OpenBao binary is needed): KV v1 and v2 with versions, soft deletes and destroys,
 * mount detection, tokens with policies and expiry, AppRole login, namespaces, faults on demand,
 * and a log of every request that never holds a token or a secret value.
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** Options of `startVaultSimulator()`. */
export interface VaultSimulatorOptions {
  /** A PEM key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /**
   * Port on 127.0.0.1.
   * @default 0 (a free port)
   */
  port?: number | undefined;
  /**
   * Refuse requests without `X-Vault-Request: true` (HTTP 412), as a Vault agent listener with
   * `require_request_header` does.
   * @default false
   */
  requireRequestHeader?: boolean | undefined;
}

/** A fault for the next matching request(s). */
export type VaultFault = {
  /** API paths (after `/v1/`) it applies to: a prefix or a RegExp. Default: every path. */
  path?: string | RegExp | undefined;
  /** How many requests it applies to. @default 1 */
  times?: number | undefined;
} & (
  | { status: number; errors?: string[] | undefined }
  | { hang: true }
  | { malformed: true }
  | { delayMs: number }
);

/** One request the simulator served. Never the token, never a secret value. */
export interface VaultRequestRecord {
  method: string;
  /** The API path after `/v1/` (and after a namespace prefix), without the query. */
  path: string;
  query: string;
  /** The namespace, from `X-Vault-Namespace` or the path, e.g. `team-a/`. */
  namespace: string | undefined;
  tokenSent: boolean;
  /** `null` for a hang. */
  status: number | null;
}

/** A running Vault simulator. */
export interface VaultSimulator {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`: what `VAULT_ADDR` would hold. */
  readonly address: string;
  /** Enables a KV engine at `path` (`secret`, `team/apps`), optionally in a namespace (`ns1/`). */
  mount(path: string, options: { version: 1 | 2; namespace?: string | undefined }): void;
  /** Writes a secret; KV v2 makes a new version and returns it, KV v1 replaces it and returns 1. */
  put(
    mount: string,
    path: string,
    data: Record<string, unknown>,
    options?: { namespace?: string | undefined; ttl?: string | undefined },
  ): number;
  /** KV v2: soft-deletes the latest version (or `version`). */
  softDelete(mount: string, path: string, options?: { version?: number; namespace?: string }): void;
  /** KV v2: destroys `version`. */
  destroy(mount: string, path: string, version: number, options?: { namespace?: string }): void;
  /**
   * A new token (`hvs.` and random characters). `policies` are API-path globs it may read
   * (`secret/data/openai`, `secret/*`) or `root`; `ttlSeconds` 0 or absent: no expiry.
   */
  createToken(options: {
    /** The token itself, as Vault's root-only `id` parameter allows; default: random. */
    id?: string | undefined;
    policies: string[];
    ttlSeconds?: number | undefined;
    renewable?: boolean | undefined;
    namespace?: string | undefined;
  }): string;
  /** Makes a token invalid at once, as if it expired or was revoked. */
  expireToken(token: string): void;
  /** Makes every token issued so far invalid (AppRole logins included). */
  expireAllTokens(): void;
  /** An AppRole whose login gives a token with these policies and TTL. */
  addAppRole(options: {
    policies: string[];
    tokenTtlSeconds?: number | undefined;
    mount?: string | undefined;
    roleId?: string | undefined;
    secretId?: string | undefined;
    namespace?: string | undefined;
  }): { roleId: string; secretId: string };
  /** Queues a fault for the next matching requests. */
  fail(fault: VaultFault): void;
  /** Every request served, oldest first (a copy). */
  readonly requests: readonly VaultRequestRecord[];
  /** How many requests match: a path prefix or RegExp, and a method. */
  count(filter?: { path?: string | RegExp | undefined; method?: string | undefined }): number;
  /** Clears the request log. */
  resetRequests(): void;
  /** Stops the server, ending hanging requests too. */
  close(): Promise<void>;
}

interface Version {
  data: Record<string, unknown> | null;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

interface Secret {
  versions: Version[];
  ttl: string | undefined;
}

interface Mount {
  version: 1 | 2;
  secrets: Map<string, Secret>;
}

interface Token {
  policies: string[];
  namespace: string | undefined;
  expiresAt: number;
  ttlSeconds: number;
  renewable: boolean;
  issuedAt: number;
  accessor: string;
}

interface AppRole {
  mount: string;
  namespace: string | undefined;
  roleId: string;
  secretId: string;
  policies: string[];
  ttlSeconds: number;
}

const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';

function namespaceOf(value: string | undefined): string | undefined {
  const trimmed = value?.trim().replace(/^\/+|\/+$/g, '');
  return trimmed === undefined || trimmed === '' ? undefined : `${trimmed}/`;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/** `2026-11-28T18:31:19.123456789Z`: Vault's RFC 3339 with nanoseconds. */
function vaultTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

function parseTtl(ttl: string | undefined): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(ttl ?? '');
  if (match === null) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

function newToken(): string {
  return `hvs.${randomBytes(68).toString('base64url')}`;
}

function allows(policies: readonly string[], path: string): boolean {
  return policies.some(
    (policy) =>
      policy === 'root' || policy === path || (policy.endsWith('*') && path.startsWith(policy.slice(0, -1))),
  );
}

function matches(filter: string | RegExp | undefined, path: string): boolean {
  if (filter === undefined) return true;
  return typeof filter === 'string' ? path.startsWith(filter) : filter.test(path);
}

/**
 * Starts a Vault simulator on 127.0.0.1.
 *
 * @example
 * const vault = await startVaultSimulator();
 * vault.mount('secret', { version: 2 });
 * vault.put('secret', 'openai', { api_key: key });
 * const token = vault.createToken({ policies: ['secret/*'] });
 * const source = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token });
 */
export async function startVaultSimulator(options: VaultSimulatorOptions = {}): Promise<VaultSimulator> {
  /** Mounts per namespace ('' for the root), each keyed by its path with a trailing slash. */
  const mounts = new Map<string, Map<string, Mount>>();
  const tokens = new Map<string, Token>();
  const appRoles: AppRole[] = [];
  const faults: Array<VaultFault & { left: number }> = [];
  const log: VaultRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const closing = new AbortController();

  function findMount(
    namespace: string | undefined,
    path: string,
  ): { prefix: string; mount: Mount } | undefined {
    let best: { prefix: string; mount: Mount } | undefined;
    for (const [prefix, mount] of mounts.get(namespace ?? '') ?? []) {
      if (`${path}/`.startsWith(prefix) && (best === undefined || prefix.length > best.prefix.length)) {
        best = { prefix, mount };
      }
    }
    return best;
  }

  function mountFor(mount: string, namespace: string | undefined): Mount {
    const found = mounts.get(namespaceOf(namespace) ?? '')?.get(`${trimSlashes(mount)}/`);
    if (found === undefined) throw new Error(`startVaultSimulator: no mount at ${mount}`);
    return found;
  }

  function issueToken(
    policies: string[],
    ttlSeconds: number,
    renewable: boolean,
    namespace: string | undefined,
    id?: string,
  ) {
    const token = id ?? newToken();
    tokens.set(token, {
      policies,
      namespace,
      ttlSeconds,
      renewable,
      issuedAt: Date.now(),
      expiresAt: ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY,
      accessor: randomBytes(12).toString('base64url'),
    });
    return token;
  }

  function validToken(token: string | undefined, namespace: string | undefined): Token | undefined {
    if (token === undefined) return undefined;
    const found = tokens.get(token);
    if (found === undefined || Date.now() >= found.expiresAt) return undefined;
    // A namespaced token works in its namespace (and below); a root-namespace token everywhere.
    if (found.namespace !== undefined && !(namespace ?? '').startsWith(found.namespace)) return undefined;
    return found;
  }

  type Reply = { status: number; body: unknown };
  const errors = (status: number, list: string[]): Reply => ({ status, body: { errors: list } });
  const ok = (body: Record<string, unknown>): Reply => ({
    status: 200,
    body: {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: null,
      ...body,
    },
  });

  function readSecret(
    method: string,
    path: string,
    query: URLSearchParams,
    namespace: string | undefined,
    token: Token | undefined,
  ): Reply {
    if (token === undefined || !allows(token.policies, path)) return errors(403, [PERMISSION_DENIED]);
    if (method !== 'GET') return errors(405, ['unsupported operation']);
    const found = findMount(namespace, path);
    if (found === undefined) return errors(404, [`no handler for route "${path}". route entry not found.`]);
    const rest = path.slice(found.prefix.length);
    if (found.mount.version === 1) {
      const secret = found.mount.secrets.get(rest);
      const current = secret?.versions.at(-1);
      if (secret === undefined || current?.data == null) return errors(404, []);
      return ok({ lease_duration: parseTtl(secret.ttl) ?? 2_764_800, data: current.data });
    }
    if (rest.startsWith('metadata/')) {
      const secret = found.mount.secrets.get(rest.slice('metadata/'.length));
      if (secret === undefined) return errors(404, []);
      const versions: Record<string, unknown> = {};
      secret.versions.forEach((version, index) => {
        versions[String(index + 1)] = {
          created_time: version.createdTime,
          deletion_time: version.deletionTime,
          destroyed: version.destroyed,
        };
      });
      return ok({ data: { current_version: secret.versions.length, oldest_version: 1, versions } });
    }
    if (!rest.startsWith('data/')) return errors(404, []);
    const secret = found.mount.secrets.get(rest.slice('data/'.length));
    if (secret === undefined) return errors(404, []);
    const wanted = query.get('version');
    const number = wanted === null || wanted === '0' ? secret.versions.length : Number(wanted);
    const version = secret.versions[number - 1];
    if (version === undefined) return errors(404, []);
    const metadata = {
      created_time: version.createdTime,
      custom_metadata: null,
      deletion_time: version.deletionTime,
      destroyed: version.destroyed,
      version: number,
    };
    // A deleted or destroyed version: 404 with a normal body (hvac#906).
    if (version.destroyed || version.deletionTime !== '') {
      return { status: 404, body: ok({ data: { data: null, metadata } }).body };
    }
    return ok({ data: { data: version.data, metadata } });
  }

  function route(
    method: string,
    path: string,
    query: URLSearchParams,
    namespace: string | undefined,
    rawToken: string | undefined,
    body: Record<string, unknown>,
  ): Reply {
    const token = validToken(rawToken, namespace);
    const login = /^auth\/(.+)\/login$/.exec(path);
    if (login !== null && method === 'POST') {
      const mount = login[1] ?? '';
      const role = appRoles.find(
        (candidate) =>
          candidate.mount === mount &&
          candidate.namespace === namespace &&
          candidate.roleId === body['role_id'] &&
          candidate.secretId === body['secret_id'],
      );
      if (role === undefined) return errors(400, ['invalid role or secret ID']);
      const issued = issueToken(role.policies, role.ttlSeconds, true, namespace);
      return ok({
        auth: {
          client_token: issued,
          accessor: tokens.get(issued)?.accessor,
          policies: ['default', ...role.policies],
          token_policies: ['default', ...role.policies],
          metadata: { role_name: 'keycard' },
          lease_duration: role.ttlSeconds,
          renewable: true,
          entity_id: randomUUID(),
          token_type: 'service',
          orphan: true,
        },
      });
    }
    if (path === 'auth/token/lookup-self' && method === 'GET') {
      if (token === undefined) return errors(403, [PERMISSION_DENIED]);
      const ttl = Number.isFinite(token.expiresAt)
        ? Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000))
        : 0;
      return ok({
        data: {
          accessor: token.accessor,
          creation_time: Math.floor(token.issuedAt / 1000),
          creation_ttl: token.ttlSeconds,
          display_name: 'token',
          expire_time: Number.isFinite(token.expiresAt) ? vaultTime(new Date(token.expiresAt)) : null,
          id: rawToken,
          policies: token.policies,
          renewable: token.renewable,
          ttl,
        },
      });
    }
    if (path === 'auth/token/renew-self' && (method === 'POST' || method === 'PUT')) {
      if (token === undefined || rawToken === undefined) return errors(403, [PERMISSION_DENIED]);
      if (!token.renewable) return errors(400, ['lease is not renewable']);
      if (token.ttlSeconds > 0) token.expiresAt = Date.now() + token.ttlSeconds * 1000;
      return ok({
        auth: {
          client_token: rawToken,
          policies: token.policies,
          lease_duration: token.ttlSeconds,
          renewable: true,
        },
      });
    }
    const ui = /^sys\/internal\/ui\/mounts\/(.+)$/.exec(path);
    if (ui !== null && method === 'GET') {
      // Vault runs a preflight capability check: an unknown or invalid token gets 403.
      if (token === undefined) {
        return errors(403, [
          "preflight capability check returned 403, please ensure client's policies grant access to path",
        ]);
      }
      const target = trimSlashes(ui[1] ?? '');
      const found = findMount(namespace, target);
      // Vault answers 400 for a path under no mount.
      if (found === undefined) return errors(400, [`no mount found for path "${target}"`]);
      return ok({
        data: {
          accessor: `kv_${randomBytes(4).toString('hex')}`,
          config: { default_lease_ttl: 0, max_lease_ttl: 0 },
          description: 'key/value secret storage',
          external_entropy_access: false,
          local: false,
          options: { version: String(found.mount.version) },
          path: found.prefix,
          seal_wrap: false,
          type: 'kv',
          uuid: randomUUID(),
        },
      });
    }
    return readSecret(method, path, query, namespace, token);
  }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://vault.local');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const authorization = header('authorization');
    const rawToken =
      header('x-vault-token') ?? (authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined);
    let namespace = namespaceOf(header('x-vault-namespace'));
    let path = trimSlashes(decodeURIComponent(url.pathname)).replace(/^v1\//, '');
    // A namespace may also lead the path: /v1/ns1/secret/… is /v1/secret/… in namespace ns1/.
    if (namespace === undefined) {
      for (const candidate of mounts.keys()) {
        if (candidate !== '' && path.startsWith(candidate) && candidate.length > (namespace ?? '').length) {
          namespace = candidate;
        }
      }
      if (namespace !== undefined) path = path.slice(namespace.length);
    }
    const record: VaultRequestRecord = {
      method: req.method ?? 'GET',
      path,
      query: url.search,
      namespace,
      tokenSent: rawToken !== undefined && rawToken !== '',
      status: null,
    };
    log.push(record);
    const send = (status: number, text: string) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(text);
    };

    const faultIndex = faults.findIndex((fault) => matches(fault.path, path));
    const fault = faultIndex < 0 ? undefined : faults[faultIndex];
    if (fault !== undefined) {
      fault.left -= 1;
      if (fault.left <= 0) faults.splice(faultIndex, 1);
      if ('hang' in fault) return; // Never answered; close() ends the connection.
      if ('malformed' in fault) {
        send(200, '{"request_id": "broken", "data": {');
        return;
      }
      if ('status' in fault) {
        const text =
          fault.errors ??
          (fault.status === 503
            ? ['Vault is sealed']
            : fault.status === 429
              ? ['rate limit quota exceeded']
              : ['internal error']);
        send(fault.status, JSON.stringify({ errors: text }));
        return;
      }
      if ('delayMs' in fault) {
        try {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, fault.delayMs);
            closing.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(new Error('closing'));
            });
          });
        } catch {
          return;
        }
      }
    }
    if (options.requireRequestHeader === true && header('x-vault-request') !== 'true') {
      send(412, JSON.stringify({ errors: ["missing 'X-Vault-Request' header"] }));
      return;
    }
    let body: Record<string, unknown> = {};
    if (chunks.length > 0) {
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
      } catch {
        send(400, JSON.stringify({ errors: ['failed to parse JSON input'] }));
        return;
      }
    }
    const reply = route(record.method, path, url.searchParams, namespace, rawToken, body);
    send(reply.status, JSON.stringify(reply.body));
  };

  const server =
    options.tls === undefined
      ? createHttpServer((req, res) => void handler(req, res))
      : createHttpsServer(
          { key: options.tls.key, cert: options.tls.cert },
          (req, res) => void handler(req, res),
        );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const address = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;

  return {
    address,
    mount(path, mountOptions) {
      const namespace = namespaceOf(mountOptions.namespace) ?? '';
      const table = mounts.get(namespace) ?? new Map<string, Mount>();
      table.set(`${trimSlashes(path)}/`, { version: mountOptions.version, secrets: new Map() });
      mounts.set(namespace, table);
    },
    put(mount, path, data, putOptions = {}) {
      const target = mountFor(mount, putOptions.namespace);
      const key = trimSlashes(path);
      const version: Version = {
        data: { ...data },
        createdTime: vaultTime(),
        deletionTime: '',
        destroyed: false,
      };
      if (target.version === 1) {
        target.secrets.set(key, { versions: [version], ttl: putOptions.ttl });
        return 1;
      }
      const secret = target.secrets.get(key) ?? { versions: [], ttl: undefined };
      secret.versions.push(version);
      target.secrets.set(key, secret);
      return secret.versions.length;
    },
    softDelete(mount, path, deleteOptions = {}) {
      const secret = mountFor(mount, deleteOptions.namespace).secrets.get(trimSlashes(path));
      const version = secret?.versions[(deleteOptions.version ?? secret.versions.length) - 1];
      if (version === undefined) throw new Error('startVaultSimulator: no such version');
      version.deletionTime = vaultTime();
    },
    destroy(mount, path, number, destroyOptions = {}) {
      const secret = mountFor(mount, destroyOptions.namespace).secrets.get(trimSlashes(path));
      const version = secret?.versions[number - 1];
      if (version === undefined) throw new Error('startVaultSimulator: no such version');
      version.destroyed = true;
      version.data = null;
    },
    createToken(tokenOptions) {
      return issueToken(
        tokenOptions.policies,
        tokenOptions.ttlSeconds ?? 0,
        tokenOptions.renewable ?? true,
        namespaceOf(tokenOptions.namespace),
        tokenOptions.id,
      );
    },
    expireToken(token) {
      tokens.delete(token);
    },
    expireAllTokens() {
      tokens.clear();
    },
    addAppRole(roleOptions) {
      const role: AppRole = {
        mount: trimSlashes(roleOptions.mount ?? 'approle'),
        namespace: namespaceOf(roleOptions.namespace),
        roleId: roleOptions.roleId ?? randomUUID(),
        secretId: roleOptions.secretId ?? randomUUID(),
        policies: roleOptions.policies,
        ttlSeconds: roleOptions.tokenTtlSeconds ?? 0,
      };
      appRoles.push(role);
      return { roleId: role.roleId, secretId: role.secretId };
    },
    fail(fault) {
      faults.push({ ...fault, left: Math.max(1, fault.times ?? 1) });
    },
    get requests() {
      return log.map((record) => ({ ...record }));
    },
    count(filter = {}) {
      return log.filter(
        (record) =>
          matches(filter.path, record.path) &&
          (filter.method === undefined || record.method === filter.method),
      ).length;
    },
    resetRequests() {
      log.length = 0;
    },
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
