/**
 * The Vault simulator's KV engines: mounts per namespace, secrets with their versions, and the
 * read side of the KV v1 and v2 HTTP APIs (data, metadata, subkeys, list, mount description).
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  errorReply,
  INVALID_V2_PATH,
  okReply,
  parseDuration,
  trimSlashes,
  type VaultReply,
  vaultTime,
} from './vault-wire.js';

/** KV v1's advisory lease: the mount default, 768 h. */
const KV_V1_LEASE_SECONDS = 2_764_800;

interface KvVersion {
  data: Record<string, unknown> | null;
  readonly createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

interface KvSecret {
  versions: KvVersion[];
  /** KV v1: the `ttl` given to `put()`. */
  ttl: string | undefined;
  customMetadata: Record<string, string> | null;
  readonly createdTime: string;
  updatedTime: string;
}

/** One KV engine. */
export interface KvMount {
  readonly version: 1 | 2;
  /** The mount path with a trailing slash, relative to its namespace: `secret/`, `team/apps/`. */
  readonly prefix: string;
  readonly accessor: string;
  readonly uuid: string;
  readonly secrets: Map<string, KvSecret>;
}

/** Options of a KV write. */
export interface KvPutOptions {
  ttl?: string | undefined;
  customMetadata?: Record<string, string> | undefined;
}

function where(mount: string, namespace: string): string {
  return `"${mount}"${namespace === '' ? '' : ` in namespace "${namespace}"`}`;
}

/** The KV engines of every namespace (`''` is the root namespace). */
export class VaultKvStore {
  readonly #namespaces = new Map<string, Map<string, KvMount>>();

  /** Every namespace with a mount. */
  namespaces(): Iterable<string> {
    return this.#namespaces.keys();
  }

  mount(namespace: string, path: string, version: 1 | 2): void {
    const prefix = `${trimSlashes(path)}/`;
    if (prefix === '/') throw new Error('startVaultSimulator: a mount needs a path, e.g. "secret"');
    const table = this.#namespaces.get(namespace) ?? new Map<string, KvMount>();
    table.set(prefix, {
      version,
      prefix,
      accessor: `kv_${randomBytes(4).toString('hex')}`,
      uuid: randomUUID(),
      secrets: new Map(),
    });
    this.#namespaces.set(namespace, table);
  }

  /** The mount serving `path` (longest prefix), if any. */
  find(namespace: string, path: string): KvMount | undefined {
    let best: KvMount | undefined;
    for (const mount of this.#namespaces.get(namespace)?.values() ?? []) {
      if (
        `${path}/`.startsWith(mount.prefix) &&
        (best === undefined || mount.prefix.length > best.prefix.length)
      ) {
        best = mount;
      }
    }
    return best;
  }

  #require(namespace: string, mount: string): KvMount {
    const found = this.#namespaces.get(namespace)?.get(`${trimSlashes(mount)}/`);
    if (found === undefined) {
      throw new Error(`startVaultSimulator: no KV mount at ${where(mount, namespace)}; call mount() first`);
    }
    return found;
  }

  #secret(namespace: string, mount: string, path: string): { target: KvMount; secret: KvSecret } {
    const target = this.#require(namespace, mount);
    const secret = target.secrets.get(trimSlashes(path));
    if (secret === undefined) {
      throw new Error(
        `startVaultSimulator: no secret at "${trimSlashes(path)}" under ${where(mount, namespace)}`,
      );
    }
    return { target, secret };
  }

  put(
    namespace: string,
    mount: string,
    path: string,
    data: Record<string, unknown>,
    options: KvPutOptions,
  ): number {
    const target = this.#require(namespace, mount);
    const key = trimSlashes(path);
    if (key === '') throw new Error('startVaultSimulator: a secret needs a path under its mount');
    const now = vaultTime();
    const version: KvVersion = {
      data: structuredClone(data),
      createdTime: now,
      deletionTime: '',
      destroyed: false,
    };
    const existing = target.secrets.get(key);
    if (target.version === 1 || existing === undefined) {
      target.secrets.set(key, {
        versions: [version],
        ttl: options.ttl,
        customMetadata: options.customMetadata ?? null,
        createdTime: now,
        updatedTime: now,
      });
      return 1;
    }
    existing.versions.push(version);
    existing.updatedTime = now;
    if (options.customMetadata !== undefined) existing.customMetadata = options.customMetadata;
    return existing.versions.length;
  }

  softDelete(namespace: string, mount: string, path: string, number: number | undefined): void {
    const { target, secret } = this.#secret(namespace, mount, path);
    if (target.version === 1) {
      // KV v1 has no versions: its DELETE removes the secret.
      target.secrets.delete(trimSlashes(path));
      return;
    }
    const version = secret.versions[(number ?? secret.versions.length) - 1];
    if (version === undefined)
      throw new Error(`startVaultSimulator: no version ${number} of "${trimSlashes(path)}"`);
    version.deletionTime = vaultTime();
  }

  destroy(namespace: string, mount: string, path: string, number: number): void {
    const { target, secret } = this.#secret(namespace, mount, path);
    if (target.version === 1) throw new Error('startVaultSimulator: destroy() is for KV v2 mounts');
    const version = secret.versions[number - 1];
    if (version === undefined)
      throw new Error(`startVaultSimulator: no version ${number} of "${trimSlashes(path)}"`);
    version.destroyed = true;
    version.data = null;
  }

  /** `sys/internal/ui/mounts/<path>`'s `data` for the mount serving `path`. */
  describe(mount: KvMount): Record<string, unknown> {
    return {
      accessor: mount.accessor,
      config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
      description: 'key/value secret storage',
      external_entropy_access: false,
      local: false,
      options: { version: String(mount.version) },
      path: mount.prefix,
      plugin_version: '',
      seal_wrap: false,
      type: 'kv',
      uuid: mount.uuid,
    };
  }

  /**
   * A read (`GET`, or `LIST` / `?list=true`) of `path` in `namespace`, once the token is known
   * to be allowed: 404 `no handler for route` when no mount serves it.
   */
  read(namespace: string, path: string, method: string, query: URLSearchParams): VaultReply {
    const mount = this.find(namespace, trimSlashes(path));
    if (mount === undefined)
      return errorReply(404, [`no handler for route "${path}". route entry not found.`]);
    const list = method === 'LIST' || (method === 'GET' && query.get('list') === 'true');
    if (!list && method !== 'GET') return errorReply(405, ['unsupported operation']);
    const rest = path.slice(mount.prefix.length);
    if (mount.version === 1) {
      if (list) return listKeys(mount, rest);
      const secret = mount.secrets.get(trimSlashes(rest));
      const data = secret?.versions[0]?.data;
      if (secret === undefined || data == null) return errorReply(404, []);
      const lease = parseDuration(secret.ttl ?? data['ttl']) ?? KV_V1_LEASE_SECONDS;
      return okReply({ lease_duration: lease, data: structuredClone(data) });
    }
    if (rest.startsWith('metadata/') || rest === 'metadata') {
      const key = trimSlashes(rest.slice('metadata'.length));
      if (list) return listKeys(mount, key);
      const secret = mount.secrets.get(key);
      return secret === undefined ? errorReply(404, []) : okReply({ data: metadataOf(secret) });
    }
    if (list) return errorReply(405, ['unsupported operation']);
    const section = /^(data|subkeys)\/(.+)$/.exec(rest);
    // Vault answers a KV v2 read without data/ with a 404 whose body is a normal one plus a warning.
    if (section === null) return okReply({ warnings: [INVALID_V2_PATH] }, 404);
    const secret = mount.secrets.get(trimSlashes(section[2] ?? ''));
    if (secret === undefined) return errorReply(404, []);
    const wanted = query.get('version');
    if (wanted !== null && !/^\d+$/.test(wanted)) return errorReply(400, [`invalid version "${wanted}"`]);
    const number = wanted === null || wanted === '0' ? secret.versions.length : Number(wanted);
    const version = secret.versions[number - 1];
    if (version === undefined) return errorReply(404, []);
    const metadata = {
      created_time: version.createdTime,
      custom_metadata: secret.customMetadata === null ? null : { ...secret.customMetadata },
      deletion_time: version.deletionTime,
      destroyed: version.destroyed,
      version: number,
    };
    const gone = version.destroyed || version.deletionTime !== '' || version.data === null;
    if (section[1] === 'subkeys') {
      // A deleted or destroyed version: 404 with a normal body (hvac#906), as for data/.
      const subkeys = gone || version.data === null ? null : subkeysOf(version.data);
      return okReply({ data: { subkeys, metadata } }, gone ? 404 : 200);
    }
    if (gone) return okReply({ data: { data: null, metadata } }, 404);
    return okReply({ data: { data: structuredClone(version.data), metadata } });
  }
}

function metadataOf(secret: KvSecret): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  secret.versions.forEach((version, index) => {
    versions[String(index + 1)] = {
      created_time: version.createdTime,
      deletion_time: version.deletionTime,
      destroyed: version.destroyed,
    };
  });
  return {
    cas_required: false,
    created_time: secret.createdTime,
    current_version: secret.versions.length,
    custom_metadata: secret.customMetadata === null ? null : { ...secret.customMetadata },
    delete_version_after: '0s',
    max_versions: 0,
    oldest_version: 0,
    updated_time: secret.updatedTime,
    versions,
  };
}

/** The keys of `data`, nested objects as objects and every leaf `null`, as KV v2's subkeys. */
function subkeysOf(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    out[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? subkeysOf(value as Record<string, unknown>)
        : null;
  }
  return out;
}

/** `LIST` of a folder: its secrets and sub-folders (`name/`), or 404 `{"errors":[]}` when empty. */
function listKeys(mount: KvMount, folder: string): VaultReply {
  const prefix = trimSlashes(folder) === '' ? '' : `${trimSlashes(folder)}/`;
  const keys = new Set<string>();
  for (const key of mount.secrets.keys()) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  if (keys.size === 0) return errorReply(404, []);
  return okReply({ data: { keys: [...keys].sort() } });
}
