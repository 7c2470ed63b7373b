/**
 * A 1Password Connect server for tests and demos, written from the Connect server's public API
 * reference, so that `@1password/connect` runs unchanged against it over real HTTP: vaults and
 * items found by title (`?filter=title eq "…"`) or id, items with sections and fields, Bearer
 * tokens limited to some vaults, and faults on demand. Its request log never holds a token or a
 * field value.
 *
 * @example
 * const connect = await startOnePasswordConnectSimulator();
 * connect.putItem('Production', { title: 'OpenAI', fields: [{ label: 'credential', value: key }] });
 * const source = keys.onePassword('op://Production/OpenAI/credential', {
 *   host: connect.url,
 *   token: connect.createToken(),
 * });
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  type CommonStoreFault,
  faultTimes,
  type QueuedFault,
  type StoreReply,
  type StoreRequest,
  startStoreServer,
} from './store-server.js';

/** Options of `startOnePasswordConnectSimulator()`. */
export interface OnePasswordConnectSimulatorOptions {
  /**
   * Port on 127.0.0.1.
   * @default 0 (a free port chosen by the system; read it from `url`)
   */
  port?: number | undefined;
  /** A PEM private key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
}

/**
 * A fault for the next request(s), queued by `fail()`:
 * - `{ status }`: that status with Connect's `{"status", "message"}` body: 401 (token refused),
 *   403 (access to the vault denied), 429 (throttled), 500, 503…;
 * - `{ hang: true }`: no answer at all; `{ garbage: true }`: a 200 that is not JSON;
 * - `{ delayMs }`: the normal answer, that much later.
 */
export type OnePasswordConnectFault = {
  /** A prefix of the request path (`/v1/vaults`) it applies to. @default every request */
  path?: string | undefined;
  /** How many matching requests take it (`Infinity`: all of them). @default 1 */
  times?: number | undefined;
} & (
  | CommonStoreFault
  | {
      status: number;
      /** @default Connect's text for the status */
      message?: string | undefined;
    }
);

/** One request the simulator received. It never holds the token or a field value. */
export interface OnePasswordConnectRequestRecord {
  readonly method: string;
  /** The path, e.g. `/v1/vaults/…/items/…`. */
  readonly path: string;
  /** The `filter` query parameter, e.g. `title eq "OpenAI"`. */
  readonly filter: string | undefined;
  /** Whether a token the simulator issued (and not revoked) was sent. */
  readonly knownToken: boolean;
  readonly fault: string | null;
  /** The status answered; `null` while unanswered, and for a hang. */
  readonly status: number | null;
}

/** A field of a simulated item. */
export interface SimulatedOnePasswordField {
  label: string;
  value: string;
  /** The label of the section it is in. */
  section?: string | undefined;
  /** @default a random id */
  id?: string | undefined;
  /** @default 'CONCEALED' */
  type?: string | undefined;
}

/** A simulated item: its title and fields. */
export interface SimulatedOnePasswordItem {
  title: string;
  fields: SimulatedOnePasswordField[];
  /** @default 'API_CREDENTIAL' */
  category?: string | undefined;
}

/** A running 1Password Connect simulator. */
export interface OnePasswordConnectSimulator {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`): what `OP_CONNECT_HOST` would hold. */
  readonly url: string;
  /** Creates a vault (or returns the id of the one with that name). */
  addVault(name: string): string;
  /**
   * Writes an item in `vault` (created when missing): a new one, or, for a title already there,
   * a new version of it (same id, `version` + 1, `updatedAt` now). Returns the item id.
   */
  putItem(vault: string, item: SimulatedOnePasswordItem, options?: { updatedAt?: Date | undefined }): string;
  /** Removes the item with that title. */
  deleteItem(vault: string, title: string): void;
  /** A new access token, for every vault or only `vaults` (names). */
  createToken(options?: { vaults?: string[] | undefined }): string;
  /** Makes a token invalid at once (401). */
  revokeToken(token: string): void;
  /** Queues a fault for the next matching request(s). */
  fail(fault: OnePasswordConnectFault): void;
  /** Every request received, oldest first (a copy). */
  readonly requests: readonly OnePasswordConnectRequestRecord[];
  /** How many requests match: a path prefix or RegExp, and a method. */
  count(filter?: { path?: string | RegExp | undefined; method?: string | undefined }): number;
  /** Clears the request log. */
  resetRequests(): void;
  /** Stops the server and ends every connection, hanging requests included. */
  close(): Promise<void>;
}

interface StoredItem {
  id: string;
  title: string;
  category: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  sections: { id: string; label: string }[];
  fields: { id: string; label: string; value: string; type: string; section: string | undefined }[];
}

interface StoredVault {
  id: string;
  name: string;
  createdAt: Date;
  items: Map<string, StoredItem>;
}

type MutableRecord = {
  -readonly [K in keyof OnePasswordConnectRequestRecord]: OnePasswordConnectRequestRecord[K];
};

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request',
  429: 'Too many requests',
  401: 'Invalid token signature',
  403: 'Authorization: token does not have access to this vault',
  404: 'Not found',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable: 1Password is unreachable',
};

function newId(): string {
  let text = '';
  for (const byte of randomBytes(26)) text += ID_ALPHABET[byte % ID_ALPHABET.length];
  return text;
}

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** Starts a 1Password Connect simulator on 127.0.0.1. */
export async function startOnePasswordConnectSimulator(
  options: OnePasswordConnectSimulatorOptions = {},
): Promise<OnePasswordConnectSimulator> {
  const vaults = new Map<string, StoredVault>();
  const tokens = new Map<string, Set<string> | undefined>();
  const faults: QueuedFault<OnePasswordConnectFault>[] = [];
  const log: MutableRecord[] = [];
  const records = new WeakMap<StoreRequest, MutableRecord>();

  const reply = (status: number, body: unknown): StoreReply => ({
    status,
    headers: { 'content-type': 'application/json' },
    text: JSON.stringify(body),
  });
  const error = (status: number, message?: string) =>
    reply(status, { status, message: message ?? STATUS_TEXT[status] ?? 'Error' });

  function tokenOf(request: StoreRequest): string | undefined {
    return /^Bearer\s+(.+)$/i.exec(request.header('authorization') ?? '')?.[1];
  }

  function recordOf(request: StoreRequest): MutableRecord {
    const known = records.get(request);
    if (known !== undefined) return known;
    const token = tokenOf(request);
    const record: MutableRecord = {
      method: request.method,
      path: token === undefined ? request.url.pathname : request.url.pathname.split(token).join('[token]'),
      filter: request.url.searchParams.get('filter') ?? undefined,
      knownToken: token !== undefined && tokens.has(token),
      fault: null,
      status: null,
    };
    records.set(request, record);
    log.push(record);
    return record;
  }

  /** The title in `title eq "…"` (or `name eq "…"` for vaults), or `undefined` for no filter. */
  function titleFilter(filter: string | null): string | null | undefined {
    if (filter === null) return undefined;
    const match = /^\s*(?:title|name)\s+eq\s+"(.*)"\s*$/.exec(filter);
    return match === null ? null : (match[1] ?? '');
  }

  const vaultJson = (vault: StoredVault) => ({
    id: vault.id,
    name: vault.name,
    attributeVersion: 1,
    contentVersion: vault.items.size + 1,
    items: vault.items.size,
    type: 'USER_CREATED',
    createdAt: vault.createdAt.toISOString(),
    updatedAt: vault.createdAt.toISOString(),
  });
  const itemSummary = (vault: StoredVault, item: StoredItem) => ({
    id: item.id,
    title: item.title,
    vault: { id: vault.id },
    category: item.category,
    version: item.version,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
  });
  const itemJson = (vault: StoredVault, item: StoredItem) => ({
    ...itemSummary(vault, item),
    sections: item.sections.map((section) => ({ id: section.id, label: section.label })),
    fields: item.fields.map((field) => ({
      id: field.id,
      type: field.type,
      label: field.label,
      value: field.value,
      ...(field.section === undefined ? {} : { section: { id: field.section } }),
    })),
  });

  function route(request: StoreRequest): StoreReply {
    const token = tokenOf(request);
    if (token === undefined || !tokens.has(token)) return error(401);
    const allowed = tokens.get(token);
    const may = (vault: StoredVault) => allowed === undefined || allowed.has(vault.name);
    if (request.method !== 'GET') return error(405, 'Method not allowed');
    const parts = request.url.pathname.replace(/\/+$/, '').split('/').slice(1);
    if (parts[0] !== 'v1' || parts[1] !== 'vaults') return error(404);
    const filter = request.url.searchParams.get('filter');
    if (parts.length === 2) {
      const title = titleFilter(filter);
      if (title === null) return error(400, 'Invalid filter');
      return reply(
        200,
        [...vaults.values()]
          .filter((vault) => may(vault) && (title === undefined || vault.name === title))
          .map(vaultJson),
      );
    }
    const vault = vaults.get(parts[2] ?? '');
    if (vault === undefined) return error(404, `vault ${parts[2] ?? ''} not found`);
    if (!may(vault)) return error(403);
    if (parts.length === 3) return reply(200, vaultJson(vault));
    if (parts[3] !== 'items') return error(404);
    if (parts.length === 4) {
      const title = titleFilter(filter);
      if (title === null) return error(400, 'Invalid filter');
      return reply(
        200,
        [...vault.items.values()]
          .filter((item) => title === undefined || item.title === title)
          .map((item) => itemSummary(vault, item)),
      );
    }
    if (parts.length === 5) {
      const item = vault.items.get(parts[4] ?? '');
      if (item === undefined) return error(404, `item ${parts[4] ?? ''} not found`);
      return reply(200, itemJson(vault, item));
    }
    return error(404);
  }

  function vaultNamed(name: string): StoredVault {
    for (const vault of vaults.values()) if (vault.name === name) return vault;
    const vault: StoredVault = { id: newId(), name, createdAt: new Date(), items: new Map() };
    vaults.set(vault.id, vault);
    return vault;
  }

  const server = await startStoreServer<OnePasswordConnectFault>({
    port: options.port,
    tls: options.tls,
    faults,
    tookFault(request, kind) {
      recordOf(request).fault = kind;
    },
    onFault(fault, request) {
      if (!('status' in fault)) return undefined;
      recordOf(request).fault = 'status';
      return error(fault.status, fault.message);
    },
    garbage: { status: 200, headers: { 'content-type': 'application/json' }, text: '{"id":"' },
    route(request) {
      recordOf(request);
      return route(request);
    },
    answered(request, answer) {
      recordOf(request).status = answer.status;
    },
  });

  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${server.port}`,
    addVault: (name) => vaultNamed(name).id,
    putItem(vaultName, item, putOptions = {}) {
      const vault = vaultNamed(vaultName);
      const existing = [...vault.items.values()].find((candidate) => candidate.title === item.title);
      const now = putOptions.updatedAt ?? new Date();
      const sections = new Map<string, string>();
      for (const field of item.fields) {
        if (field.section !== undefined && !sections.has(field.section)) sections.set(field.section, newId());
      }
      const stored: StoredItem = {
        id: existing?.id ?? newId(),
        title: item.title,
        category: item.category ?? 'API_CREDENTIAL',
        version: (existing?.version ?? 0) + 1,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        sections: [...sections].map(([label, id]) => ({ id, label })),
        fields: item.fields.map((field) => ({
          id: field.id ?? newId(),
          label: field.label,
          value: field.value,
          type: field.type ?? 'CONCEALED',
          section: field.section === undefined ? undefined : sections.get(field.section),
        })),
      };
      vault.items.set(stored.id, stored);
      return stored.id;
    },
    deleteItem(vaultName, title) {
      const vault = vaultNamed(vaultName);
      for (const [id, item] of vault.items) if (item.title === title) vault.items.delete(id);
    },
    createToken(tokenOptions = {}) {
      const header = base64url(JSON.stringify({ alg: 'ES256', kid: newId(), typ: 'JWT' }));
      const token = `${header}.${base64url(randomBytes(48))}.${base64url(randomBytes(64))}`;
      tokens.set(token, tokenOptions.vaults === undefined ? undefined : new Set(tokenOptions.vaults));
      return token;
    },
    revokeToken(token) {
      tokens.delete(token);
    },
    fail(fault) {
      const times = faultTimes('startOnePasswordConnectSimulator', fault.times);
      if (
        'status' in fault &&
        !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)
      ) {
        throw new Error('startOnePasswordConnectSimulator: fail() needs an HTTP status from 400 to 599');
      }
      faults.push({
        fault,
        left: times,
        matches: (request) => fault.path === undefined || request.url.pathname.startsWith(fault.path),
      });
    },
    get requests() {
      return log.map((record) => ({ ...record }));
    },
    count(filter = {}) {
      const method = filter.method?.toUpperCase();
      return log.filter((record) => {
        const path = filter.path;
        const pathMatches =
          path === undefined ||
          (typeof path === 'string' ? record.path.startsWith(path) : path.test(record.path));
        return pathMatches && (method === undefined || record.method === method);
      }).length;
    },
    resetRequests() {
      log.length = 0;
    },
    close: () => server.close(),
  };
}
