/**
 * The Vault simulator's routes: which part of the API a request is for, the token and policy
 * checks in front of it, and where a namespace given as a path prefix ends.
 * @module
 */
import type { VaultKvStore } from './vault-kv.js';
import { refusal, type VaultTokens } from './vault-tokens.js';
import {
  errorReply,
  NO_TOKEN,
  okReply,
  PERMISSION_DENIED,
  policiesAllow,
  policiesReachMount,
  trimSlashes,
  type VaultReply,
} from './vault-wire.js';

/** A request, once its namespace is known. */
export interface VaultApiRequest {
  /** Upper case; `LIST` is a method of its own, as in Vault. */
  readonly method: string;
  /** After `/v1/` and after the namespace: `secret/data/openai`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** `''` for the root namespace, else `ns1/` or `ns1/ns2/`. */
  readonly namespace: string;
  readonly token: string | undefined;
  readonly body: Record<string, unknown>;
}

/**
 * Splits a namespace given as a path prefix off `path`: `ns1/secret/data/x` is `secret/data/x`
 * in `ns1/` (after any `X-Vault-Namespace`, which it extends). The longest known namespace wins.
 */
export function splitNamespace(
  header: string,
  path: string,
  known: Iterable<string>,
): { namespace: string; path: string } {
  let best = '';
  for (const namespace of known) {
    if (!namespace.startsWith(header) || namespace.length <= header.length) continue;
    const rest = namespace.slice(header.length);
    if (path.startsWith(rest) && rest.length > best.length) best = rest;
  }
  return { namespace: `${header}${best}`, path: path.slice(best.length) };
}

const SEALED_NEVER = {
  initialized: true,
  sealed: false,
  standby: false,
  performance_standby: false,
  replication_performance_mode: 'disabled',
  replication_dr_mode: 'disabled',
  version: '1.17.0+keycard-simulator',
  enterprise: false,
};

/** Answers one API request. */
export function routeVaultRequest(
  request: VaultApiRequest,
  kv: VaultKvStore,
  tokens: VaultTokens,
): VaultReply {
  const { method, path, namespace } = request;
  const write = method === 'POST' || method === 'PUT';

  if (path === 'sys/health' && (method === 'GET' || method === 'HEAD')) {
    return { status: 200, body: { ...SEALED_NEVER, server_time_utc: Math.floor(Date.now() / 1000) } };
  }

  const login = /^auth\/(.+)\/login$/.exec(path);
  if (login !== null && login[1] !== 'token') {
    if (!write) return errorReply(405, ['unsupported operation']);
    return tokens.login(login[1] ?? '', namespace, request.body);
  }

  const check = tokens.check(request.token, namespace);

  const ui = /^sys\/internal\/ui\/mounts\/(.+)$/.exec(path);
  if (ui !== null) {
    if (method !== 'GET') return errorReply(405, ['unsupported operation']);
    // The path is unauthenticated, but its handler looks the token up itself and refuses any it
    // cannot find with a bare "permission denied".
    if (check.kind !== 'valid') return errorReply(403, [NO_TOKEN]);
    const target = trimSlashes(ui[1] ?? '');
    const mount = kv.find(namespace, target);
    const relative = `${namespace.slice(check.entry.namespace.length)}${mount?.prefix ?? ''}`;
    // A path under no mount gets the same 403 as a mount the token may not reach, as Vault does
    // on purpose (this path must not tell which mounts exist): 403, never 400 or 404.
    if (mount === undefined || !policiesReachMount(check.entry.policies, relative)) {
      return errorReply(403, [
        `preflight capability check returned 403, please ensure client's policies grant access to path "${target}/"`,
      ]);
    }
    return okReply({ data: kv.describe(mount) });
  }

  if (check.kind !== 'valid') return refusal(check);

  // Every token has Vault's `default` policy, which grants its own endpoints.
  if (path === 'auth/token/lookup-self') {
    return method === 'GET'
      ? tokens.lookupSelf(check.token, check.entry)
      : errorReply(405, ['unsupported operation']);
  }
  if (path === 'auth/token/renew-self') {
    return write
      ? tokens.renewSelf(check.token, check.entry, request.body)
      : errorReply(405, ['unsupported operation']);
  }
  if (path === 'auth/token/revoke-self') {
    return write ? tokens.revokeSelf(check.token) : errorReply(405, ['unsupported operation']);
  }

  // Policies name paths relative to the token's namespace: a parent's token reaches a child
  // namespace through paths that start with the child's name.
  const relative = `${namespace.slice(check.entry.namespace.length)}${path}`;
  if (!policiesAllow(check.entry.policies, relative)) return errorReply(403, [PERMISSION_DENIED]);
  if (path.startsWith('auth/') || path.startsWith('sys/')) {
    return errorReply(404, [`no handler for route "${path}". route entry not found.`]);
  }
  return kv.read(namespace, path, method, request.query);
}
