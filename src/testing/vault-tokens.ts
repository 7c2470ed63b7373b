/**
 * The Vault simulator's tokens and AppRoles: issuing, checking (expiry, namespace, policies),
 * AppRole login, and the token's own endpoints (lookup-self, renew-self, revoke-self).
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  errorReply,
  INVALID_TOKEN,
  NO_TOKEN,
  normaliseNamespace,
  okReply,
  PERMISSION_DENIED,
  parseDuration,
  trimSlashes,
  type VaultReply,
  vaultTime,
} from './vault-wire.js';

/** What `createToken()` takes (see `VaultSimulator.createToken`). */
export interface TokenOptions {
  id?: string | undefined;
  policies: readonly string[];
  ttlSeconds?: number | undefined;
  maxTtlSeconds?: number | undefined;
  renewable?: boolean | undefined;
  namespace?: string | undefined;
}

/** What `addAppRole()` takes (see `VaultSimulator.addAppRole`). */
export interface AppRoleOptions {
  policies: readonly string[];
  tokenTtlSeconds?: number | undefined;
  tokenMaxTtlSeconds?: number | undefined;
  mount?: string | undefined;
  roleId?: string | undefined;
  secretId?: string | undefined;
  roleName?: string | undefined;
  namespace?: string | undefined;
}

/** Vault's default token TTL (the system max, 768 h), for AppRole logins. */
const DEFAULT_TOKEN_TTL_SECONDS = 2_764_800;

interface TokenEntry {
  readonly policies: readonly string[];
  readonly namespace: string;
  readonly accessor: string;
  readonly issuedAt: number;
  readonly ttlSeconds: number;
  /** Epoch ms; `Infinity` for a token without a TTL. */
  expiresAt: number;
  /** Epoch ms past which renewals cannot go; `Infinity` when unbounded. */
  readonly maxExpiresAt: number;
  readonly renewable: boolean;
  readonly path: string;
  readonly displayName: string;
  readonly meta: Record<string, string> | null;
  readonly entityId: string;
}

interface AppRoleEntry {
  readonly mount: string;
  readonly namespace: string;
  readonly roleId: string;
  readonly secretId: string;
  readonly roleName: string;
  readonly policies: readonly string[];
  readonly ttlSeconds: number;
  readonly maxTtlSeconds: number;
}

/** A token checked against a request's namespace. */
export type TokenCheck =
  | { readonly kind: 'absent' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'elsewhere' }
  | { readonly kind: 'valid'; readonly token: string; readonly entry: TokenEntry };

/** The 403 a failed check answers with. */
export function refusal(check: Exclude<TokenCheck, { kind: 'valid' }>): VaultReply {
  const text =
    check.kind === 'absent' ? NO_TOKEN : check.kind === 'invalid' ? INVALID_TOKEN : PERMISSION_DENIED;
  return errorReply(403, [text]);
}

function seconds(value: number | undefined, name: string): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0) throw new Error(`startVaultSimulator: ${name} must be 0 or more`);
  return Math.floor(value);
}

/** Tokens by value, and AppRoles. */
export class VaultTokens {
  readonly #tokens = new Map<string, TokenEntry>();
  readonly #appRoles: AppRoleEntry[] = [];

  /** Every namespace a token or an AppRole lives in. */
  namespaces(): string[] {
    return [...this.#tokens.values(), ...this.#appRoles].map((item) => item.namespace);
  }

  create(options: TokenOptions): string {
    return this.#issue(options, {})[0];
  }

  #issue(
    options: TokenOptions,
    origin: Partial<Pick<TokenEntry, 'path' | 'displayName' | 'meta'>>,
  ): [string, TokenEntry] {
    const ttlSeconds = seconds(options.ttlSeconds, 'ttlSeconds');
    const maxTtlSeconds = seconds(options.maxTtlSeconds, 'maxTtlSeconds');
    // A service token: `hvs.` and 91 url-safe characters, as secretlint's hashicorp-vault rule expects.
    const token = options.id ?? `hvs.${randomBytes(68).toString('base64url')}`;
    if (this.#tokens.has(token)) throw new Error('startVaultSimulator: that token id is already in use');
    const now = Date.now();
    const entry: TokenEntry = {
      policies: [...options.policies],
      namespace: normaliseNamespace(options.namespace),
      accessor: randomBytes(18).toString('base64url'),
      issuedAt: now,
      ttlSeconds,
      expiresAt: ttlSeconds > 0 ? now + ttlSeconds * 1000 : Number.POSITIVE_INFINITY,
      maxExpiresAt: maxTtlSeconds > 0 ? now + maxTtlSeconds * 1000 : Number.POSITIVE_INFINITY,
      // Vault never renews a token without a TTL (a root token, say).
      renewable: (options.renewable ?? true) && ttlSeconds > 0,
      path: origin.path ?? 'auth/token/create',
      displayName: origin.displayName ?? 'token',
      meta: origin.meta ?? null,
      entityId: '',
    };
    this.#tokens.set(token, entry);
    return [token, entry];
  }

  expire(token: string): void {
    this.#tokens.delete(token);
  }

  expireAll(): void {
    this.#tokens.clear();
  }

  addAppRole(options: AppRoleOptions): { roleId: string; secretId: string } {
    const role: AppRoleEntry = {
      mount: trimSlashes(options.mount ?? 'approle'),
      namespace: normaliseNamespace(options.namespace),
      roleId: options.roleId ?? randomUUID(),
      secretId: options.secretId ?? randomUUID(),
      roleName: options.roleName ?? 'keycard',
      policies: [...options.policies],
      ttlSeconds:
        options.tokenTtlSeconds === undefined
          ? DEFAULT_TOKEN_TTL_SECONDS
          : seconds(options.tokenTtlSeconds, 'tokenTtlSeconds'),
      maxTtlSeconds: seconds(options.tokenMaxTtlSeconds, 'tokenMaxTtlSeconds'),
    };
    this.#appRoles.push(role);
    return { roleId: role.roleId, secretId: role.secretId };
  }

  /**
   * Whether `token` may be used in `namespace`: known, not expired, and issued in that namespace
   * or a parent of it.
   */
  check(token: string | undefined, namespace: string): TokenCheck {
    if (token === undefined || token === '') return { kind: 'absent' };
    const entry = this.#tokens.get(token);
    if (entry === undefined) return { kind: 'invalid' };
    if (Date.now() >= entry.expiresAt) {
      this.#tokens.delete(token);
      return { kind: 'invalid' };
    }
    if (!namespace.startsWith(entry.namespace)) return { kind: 'elsewhere' };
    return { kind: 'valid', token, entry };
  }

  /** `POST auth/<mount>/login` with `{role_id, secret_id}`. */
  login(mount: string, namespace: string, body: Record<string, unknown>): VaultReply {
    const roleId = body['role_id'];
    if (typeof roleId !== 'string' || roleId === '') return errorReply(400, ['missing role_id']);
    const role = this.#appRoles.find(
      (candidate) =>
        candidate.mount === mount &&
        candidate.namespace === namespace &&
        candidate.roleId === roleId &&
        candidate.secretId === body['secret_id'],
    );
    // Vault says the same for a wrong role id and a wrong secret id.
    if (role === undefined) return errorReply(400, ['invalid role or secret ID']);
    const policies = ['default', ...role.policies];
    const [token, entry] = this.#issue(
      { policies, ttlSeconds: role.ttlSeconds, maxTtlSeconds: role.maxTtlSeconds, namespace },
      { path: `auth/${mount}/login`, displayName: mount, meta: { role_name: role.roleName } },
    );
    return okReply({ auth: authOf(token, entry, role.ttlSeconds) });
  }

  /** `GET auth/token/lookup-self`. Like Vault, it returns the token itself as `id`. */
  lookupSelf(token: string, entry: TokenEntry): VaultReply {
    const bounded = Number.isFinite(entry.expiresAt);
    return okReply({
      data: {
        accessor: entry.accessor,
        creation_time: Math.floor(entry.issuedAt / 1000),
        creation_ttl: entry.ttlSeconds,
        display_name: entry.displayName,
        entity_id: entry.entityId,
        expire_time: bounded ? vaultTime(entry.expiresAt) : null,
        explicit_max_ttl: Number.isFinite(entry.maxExpiresAt)
          ? Math.round((entry.maxExpiresAt - entry.issuedAt) / 1000)
          : 0,
        id: token,
        issue_time: vaultTime(entry.issuedAt),
        meta: entry.meta === null ? null : { ...entry.meta },
        ...(entry.namespace === '' ? {} : { namespace_path: entry.namespace }),
        num_uses: 0,
        orphan: true,
        path: entry.path,
        policies: [...entry.policies],
        renewable: entry.renewable,
        ttl: bounded ? Math.max(0, Math.floor((entry.expiresAt - Date.now()) / 1000)) : 0,
        type: 'service',
      },
    });
  }

  /**
   * `POST auth/token/renew-self`, with an optional `increment` (seconds or `'1h'`): the token's
   * own TTL by default, capped by its max TTL with Vault's warning.
   */
  renewSelf(token: string, entry: TokenEntry, body: Record<string, unknown>): VaultReply {
    if (!entry.renewable) return errorReply(400, ['lease is not renewable']);
    const increment = body['increment'] === undefined ? entry.ttlSeconds : parseDuration(body['increment']);
    if (increment === undefined) return errorReply(400, ['invalid increment']);
    const wanted = increment > 0 ? increment : entry.ttlSeconds;
    const left = Math.floor((entry.maxExpiresAt - Date.now()) / 1000);
    const granted = Math.max(0, Math.min(wanted, left));
    entry.expiresAt = Date.now() + granted * 1000;
    const warnings =
      granted < wanted
        ? [
            `TTL of "${wanted}s" exceeded the effective max_ttl of "${granted}s"; TTL value is capped accordingly`,
          ]
        : null;
    return okReply({ auth: authOf(token, entry, granted), warnings });
  }

  /** `POST auth/token/revoke-self`: 204. */
  revokeSelf(token: string): VaultReply {
    this.#tokens.delete(token);
    return { status: 204, body: undefined };
  }
}

function authOf(token: string, entry: TokenEntry, leaseSeconds: number): Record<string, unknown> {
  return {
    client_token: token,
    accessor: entry.accessor,
    policies: [...entry.policies],
    token_policies: [...entry.policies],
    metadata: entry.meta === null ? null : { ...entry.meta },
    lease_duration: leaseSeconds,
    renewable: entry.renewable,
    entity_id: entry.entityId,
    token_type: 'service',
    orphan: true,
    mfa_requirement: null,
    num_uses: 0,
  };
}
