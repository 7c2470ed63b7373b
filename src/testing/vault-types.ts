/**
 * The Vault simulator's public types: its options, the {@link VaultSimulator} handle, the faults
 * it can be asked for, and what its request log holds.
 * @module
 */

/** Options of `startVaultSimulator()`. */
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

/**
 * A running Vault simulator. Over HTTP it serves (all under `/v1/`, a namespace as
 * `X-Vault-Namespace` or as a path prefix):
 * - KV v1 `GET <mount>/<path>`; KV v2 `GET <mount>/data/<path>[?version=N]`, `metadata/`,
 *   `subkeys/`; lists with `GET …?list=true` (Node's HTTP parser refuses the `LIST` method);
 * - `GET sys/internal/ui/mounts/<path>` (mount detection), `GET sys/health`;
 * - `POST auth/<mount>/login` (AppRole), `GET auth/token/lookup-self`,
 *   `POST auth/token/renew-self`, `POST auth/token/revoke-self`.
 *
 * Secrets are written with `put()`, not over HTTP.
 */
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
