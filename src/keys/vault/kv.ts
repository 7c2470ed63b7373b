/**
 * Vault's KV engines: which version a mount is (asked once, or given with `?kv=`), the API path
 * of a secret, and what a read answer means (a value, a deleted version, no such field).
 * @module
 */
import type { VaultLocation } from './location.js';

/** What a mount lookup found: the mount's path (`secret/`) and its KV version. */
export interface KvMount {
  mount: string;
  version: 1 | 2;
}

/** `GET sys/internal/ui/mounts/<path>`: the mount's path and KV version, or why not. */
export function readMountAnswer(
  body: Record<string, unknown> | undefined,
): KvMount | { notKv: string } | undefined {
  const data = body?.['data'] as Record<string, unknown> | undefined;
  const path = data?.['path'];
  if (typeof path !== 'string' || path === '') return undefined;
  const type = data?.['type'];
  if (type !== 'kv' && type !== 'generic') return { notKv: typeof type === 'string' ? type : 'unknown' };
  const options = data?.['options'] as Record<string, unknown> | null | undefined;
  const version = options?.['version'] === '2' ? 2 : 1;
  return { mount: path.replace(/^\/+/, '').replace(/\/?$/, '/'), version };
}

/** The API path (after `/v1/`) that reads `location`, given its mount. */
export function apiPath(location: VaultLocation, mount: KvMount | undefined): string {
  if (location.kind === 'raw' || mount === undefined) return location.path;
  const rest = location.path.slice(mount.mount.length);
  return mount.version === 2 ? `${mount.mount}data/${rest}` : `${mount.mount}${rest}`;
}

/** The mount when `?kv=` gave the version: the first segment of the path. */
export function mountFromFirstSegment(location: VaultLocation, version: 1 | 2): KvMount {
  const first = location.path.split('/')[0] ?? '';
  return { mount: `${first}/`, version };
}

/** What a read answer holds. */
export type KvRead =
  | {
      kind: 'data';
      data: Record<string, unknown>;
      version: number | undefined;
      createdAt: Date | undefined;
      leaseSeconds: number | undefined;
    }
  | { kind: 'deleted'; version: number | undefined; destroyed: boolean }
  | { kind: 'unreadable' };

/**
 * Reads a KV answer. KV v2 wraps the secret in `data.data` with `data.metadata`; KV v1 has it in
 * `data`. A v2 answer is told by its shape unless the version is known.
 */
export function readSecretAnswer(body: Record<string, unknown> | undefined, kv: 1 | 2 | undefined): KvRead {
  const outer = body?.['data'];
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer)) return { kind: 'unreadable' };
  const data = outer as Record<string, unknown>;
  const metadata = data['metadata'];
  const looksV2 =
    'data' in data && typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata);
  if (kv === 2 || (kv === undefined && looksV2)) {
    const meta = (metadata ?? {}) as Record<string, unknown>;
    const version = typeof meta['version'] === 'number' ? meta['version'] : undefined;
    const inner = data['data'];
    const destroyed = meta['destroyed'] === true;
    const deleted = typeof meta['deletion_time'] === 'string' && meta['deletion_time'] !== '';
    if (inner === null || destroyed || deleted) return { kind: 'deleted', version, destroyed };
    if (typeof inner !== 'object' || Array.isArray(inner)) return { kind: 'unreadable' };
    const created = typeof meta['created_time'] === 'string' ? new Date(meta['created_time']) : undefined;
    return {
      kind: 'data',
      data: inner as Record<string, unknown>,
      version,
      createdAt: created !== undefined && !Number.isNaN(created.getTime()) ? created : undefined,
      leaseSeconds: undefined,
    };
  }
  const lease = body?.['lease_duration'];
  return {
    kind: 'data',
    data,
    version: undefined,
    createdAt: undefined,
    leaseSeconds: typeof lease === 'number' && lease > 0 ? lease : undefined,
  };
}
