/**
 * `keys.vault()`: a key read from HashiCorp Vault or OpenBao (KV v1 or v2) over its HTTP API,
 * cached for a while, read once however many callers ask at the same moment, and served from
 * the cache for a grace period when Vault is briefly down.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { forAudience } from '../../audience.js';
import { CredentialError } from '../../errors.js';
import type { ProviderId } from '../../providers/ids.js';
import { cleanKeyValue } from '../clean.js';
import {
  cachedRemoteSource,
  DEFAULT_REMOTE_GRACE_MS,
  DEFAULT_REMOTE_TIMEOUT_MS,
  DEFAULT_REMOTE_TTL_MS,
  milliseconds,
} from '../remote/cached-source.js';
import type { KeySource } from '../types.js';
import { type AppRoleOptions, parseObject, VaultAuth, type VaultToken, vaultErrorsText } from './auth.js';
import { addressFromEnvironment, readVaultVariable, vaultVariableName } from './environment.js';
import { isLoopback, type VaultHttpResponse, VaultTransportError, vaultRequest } from './http.js';
import { apiPath, type KvMount, mountFromFirstSegment, readMountAnswer, readSecretAnswer } from './kv.js';
import { normaliseNamespace, parseVaultSpec, type VaultLocation } from './location.js';

/** Options of `keys.vault()`. */
export interface VaultSourceOptions {
  /**
   * The Vault token: the token itself, or a `KeySource` such as `keys.file('/run/vault/token')`
   * (read again when Vault refuses the token, so a renewed sink file is picked up).
   * @default `VAULT_TOKEN` (`BAO_TOKEN`), else AppRole from `VAULT_ROLE_ID` and `VAULT_SECRET_ID`,
   *   else `~/.vault-token`, else none when `VAULT_AGENT_ADDR` is set
   */
  token?: string | KeySource | undefined;
  /** Log in with AppRole; a new login is made before the token expires and after Vault refuses it. */
  appRole?: AppRoleOptions | undefined;
  /**
   * The namespace (Vault Enterprise, HCP Vault, OpenBao 2.3+), sent as `X-Vault-Namespace`.
   * @default `?namespace=` of the URL, else `VAULT_NAMESPACE` (`BAO_NAMESPACE`)
   */
  namespace?: string | undefined;
  /** The field that holds the key, instead of `#field` in the URL. */
  field?: string | undefined;
  /**
   * The KV engine version; given, keycard does not ask Vault (the mount is then the first
   * segment of the path).
   * @default `?kv=` of the URL, else asked once from `sys/internal/ui/mounts`
   */
  kv?: 1 | 2 | undefined;
  /** Read this KV v2 version instead of the latest. @default `?version=` of the URL */
  version?: number | undefined;
  /**
   * The CA certificate(s) that signed Vault's TLS certificate, in PEM.
   * @default the file named by `VAULT_CACERT` (`BAO_CACERT`), else the system's CAs
   */
  ca?: string | Buffer | undefined;
  /**
   * How long a key read from Vault is used before it is read again, in milliseconds. A KV v1
   * secret's `ttl` shortens it.
   * @default 300000 (5 minutes)
   */
  cacheTtlMs?: number | undefined;
  /**
   * How long past `cacheTtlMs` a cached key is still served, with a warning, when Vault cannot be
   * reached (network error, timeout, 5xx). Never used after the provider rejected the key.
   * @default 600000 (10 minutes)
   */
  staleGraceMs?: number | undefined;
  /**
   * How long one request to Vault may take, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number | undefined;
  /**
   * Allow plain `http://` to a host that is not this machine. The token and the key would
   * cross the network in clear; keep it for networks you trust completely.
   * @default false
   */
  dangerouslyAllowPlainHttp?: boolean | undefined;
}

interface Target {
  base: URL;
  namespace: string | undefined;
  ca: string | Buffer | undefined;
}

interface ReadResult {
  value: string;
  changedAt: Date | undefined;
  leaseSeconds: number | undefined;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/**
 * A key from Vault or OpenBao. `url` is `vault://HOST[:PORT]/MOUNT/PATH#field` (HTTPS, port 8200
 * by default), `vault:///MOUNT/PATH#field` (the address from `VAULT_ADDR`), or an API URL such as
 * `https://vault.internal:8200/v1/secret/data/openai#api_key`; `?kv=1|2`, `?version=N` and
 * `?namespace=NS` may follow the path. Plain `http://` is accepted only to this machine.
 * `describe()` prints the URL without credentials, e.g. `vault://vault.internal/secret/openai#api_key`.
 *
 * The key is cached for `cacheTtlMs`; concurrent resolves share one request; `fresh` resolves
 * (after the provider rejected the key) always ask Vault. A resolve's `signal` ends that
 * resolve's wait only: the shared request goes on for the others, and is stopped only when every
 * caller waiting for it has given up (or after `timeoutMs`).
 *
 * @example
 * const source = keys.vault('vault://vault.internal/secret/openai#api_key');
 * const openai = await createClient('openai', source);
 * // or, with AppRole and a namespace:
 * keys.vault('vault://vault.internal/secret/openai#api_key', {
 *   appRole: { roleId: keys.env('VAULT_ROLE_ID'), secretId: keys.file('/run/secrets/secret-id') },
 *   namespace: 'team-a/',
 * });
 */
export function vault(url: string, options: VaultSourceOptions = {}): KeySource {
  const parsed = parseVaultSpec(url);
  if (options.field !== undefined && (typeof options.field !== 'string' || options.field.trim() === '')) {
    throw new TypeError('keys.vault(): field must be a non-empty string');
  }
  if (options.version !== undefined && (!Number.isSafeInteger(options.version) || options.version < 1)) {
    throw new TypeError('keys.vault(): version must be a positive whole number');
  }
  if (options.kv !== undefined && options.kv !== 1 && options.kv !== 2) {
    throw new TypeError('keys.vault(): kv must be 1 or 2');
  }
  const location: VaultLocation = {
    ...parsed,
    field: options.field?.trim() ?? parsed.field,
    kv: options.kv ?? parsed.kv,
    version: options.version ?? parsed.version,
    namespace: normaliseNamespace(options.namespace) ?? parsed.namespace,
  };
  const ttlMs = milliseconds('keys.vault()', 'cacheTtlMs', options.cacheTtlMs, DEFAULT_REMOTE_TTL_MS);
  const graceMs = milliseconds('keys.vault()', 'staleGraceMs', options.staleGraceMs, DEFAULT_REMOTE_GRACE_MS);
  const timeoutMs = milliseconds('keys.vault()', 'timeoutMs', options.timeoutMs, DEFAULT_REMOTE_TIMEOUT_MS);
  const described = location.describe;

  let target: Target | undefined;
  let mount: KvMount | undefined;

  const fail = (
    reason: 'missing' | 'malformed' | 'source_unavailable' | 'insecure_source',
    message: string,
    hint: string,
    extra: { provider?: ProviderId | undefined; status?: number; retryable?: boolean; cause?: unknown } = {},
  ) => new CredentialError({ reason, message, hint, source: described, ...extra });

  async function resolveTarget(provider: ProviderId | undefined): Promise<Target> {
    if (target !== undefined) return target;
    let address = location.address;
    let from = 'the URL';
    if (address === undefined) {
      const configured = addressFromEnvironment();
      address = configured.address;
      from = configured.from;
    }
    let base: URL;
    try {
      base = new URL(address);
      if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('not http');
    } catch {
      throw fail(
        'source_unavailable',
        `The Vault address in ${from} is not an http(s) URL.`,
        `Set ${from === 'the URL' ? 'the URL' : from} to an address such as https://vault.internal:8200.`,
        { provider },
      );
    }
    if (
      base.protocol === 'http:' &&
      !isLoopback(base.hostname) &&
      options.dangerouslyAllowPlainHttp !== true
    ) {
      throw fail(
        'insecure_source',
        `${described} would send the Vault token and the key in clear over the network (plain http:// to ${base.host}).`,
        'Use https:// (with { ca } or VAULT_CACERT for a private CA); plain http:// is accepted only to this machine, or with { dangerouslyAllowPlainHttp: true }.',
        { provider },
      );
    }
    let ca = options.ca;
    const caFile = readVaultVariable('CACERT');
    if (ca === undefined && caFile !== undefined) {
      try {
        ca = await readFile(caFile);
      } catch (error) {
        throw fail(
          'source_unavailable',
          `The CA file named by ${vaultVariableName('CACERT')} cannot be read.`,
          `Fix the path in VAULT_CACERT${forAudience(', or pass { ca } to keys.vault()', '')}.`,
          { provider, cause: error },
        );
      }
    }
    const namespace = location.namespace ?? normaliseNamespace(readVaultVariable('NAMESPACE'));
    target = { base, namespace, ca };
    return target;
  }

  const auth = new VaultAuth(options, described, async (path, body) => {
    const current = target ?? (await resolveTarget(undefined));
    return send(
      current,
      'POST',
      path,
      { secret: undefined, origin: 'login' },
      JSON.stringify(body),
      undefined,
      undefined,
    );
  });

  async function send(
    current: Target,
    method: 'GET' | 'POST',
    path: string,
    token: VaultToken,
    body: string | undefined,
    signal: AbortSignal | undefined,
    provider: ProviderId | undefined,
  ): Promise<VaultHttpResponse> {
    const url = new URL(`/v1/${path}`, current.base);
    const headers: Record<string, string> = { 'x-vault-request': 'true', accept: 'application/json' };
    if (token.secret !== undefined) headers['x-vault-token'] = token.secret.reveal();
    if (current.namespace !== undefined) headers['x-vault-namespace'] = current.namespace;
    try {
      return await vaultRequest({ method, url, headers, body, ca: current.ca, timeoutMs, signal });
    } catch (error) {
      if (!(error instanceof VaultTransportError)) throw error;
      if (TLS_CODES.has(error.code)) {
        throw fail(
          'source_unavailable',
          `The TLS certificate of Vault at ${current.base.host} was not accepted (${error.code}) while reading ${described}.`,
          'Pass the CA that signed it with { ca } or VAULT_CACERT, or fix the address so that it matches the certificate.',
          { provider, cause: error },
        );
      }
      throw fail(
        'source_unavailable',
        error.code === 'timeout'
          ? `Vault at ${current.base.host} did not answer within ${timeoutMs} ms while reading ${described}.`
          : `Vault at ${current.base.host} could not be reached (${error.code}) while reading ${described}.`,
        'Check that Vault is up and reachable from here (VAULT_ADDR), then try again.',
        { provider, retryable: true, cause: error },
      );
    }
  }

  /** A GET that logs in again (or re-reads the token) once when Vault refuses the token. */
  async function authorizedGet(
    current: Target,
    path: string,
    signal: AbortSignal | undefined,
    provider: ProviderId | undefined,
  ): Promise<{ response: VaultHttpResponse; token: VaultToken }> {
    let token = await auth.token();
    let response = await send(current, 'GET', path, token, undefined, signal, provider);
    if (response.status === 403 && (await auth.renew(token))) {
      token = await auth.token();
      response = await send(current, 'GET', path, token, undefined, signal, provider);
    }
    return { response, token };
  }

  function refused(
    path: string,
    token: VaultToken,
    body: Record<string, unknown> | undefined,
    provider: ProviderId | undefined,
  ): CredentialError {
    return fail(
      'source_unavailable',
      `Vault refused the token from ${token.origin} for ${path}${vaultErrorsText(body)}.`,
      `Check that the token is valid and not expired (vault token lookup) and that its policy grants read on ${path}.`,
      { provider, status: 403 },
    );
  }

  function vaultDown(
    path: string,
    response: VaultHttpResponse,
    body: Record<string, unknown> | undefined,
    provider: ProviderId | undefined,
  ): CredentialError {
    const transient =
      response.status >= 500 || response.status === 429 || response.status === 412 || response.status === 408;
    return fail(
      'source_unavailable',
      `Vault answered HTTP ${response.status} for ${path} while reading ${described}${vaultErrorsText(body)}.`,
      transient
        ? 'Vault is unavailable or sealed for now; try again shortly.'
        : 'Check the URL and the Vault server configuration.',
      { provider, status: response.status, retryable: transient },
    );
  }

  async function detectMount(
    current: Target,
    signal: AbortSignal | undefined,
    provider: ProviderId | undefined,
  ): Promise<KvMount | undefined> {
    if (location.kind === 'raw') return undefined;
    if (location.kv !== undefined) return mountFromFirstSegment(location, location.kv);
    if (mount !== undefined) return mount;
    const path = `sys/internal/ui/mounts/${location.path}`;
    const { response, token } = await authorizedGet(current, path, signal, provider);
    const body = parseObject(response.text);
    if (response.status === 403) {
      // Vault answers a path under no mount with the same 403 as a mount the token may not
      // reach (it does not tell which mounts exist): say both.
      throw fail(
        'source_unavailable',
        `Vault refused to describe the mount of ${location.path} to the token from ${token.origin}${vaultErrorsText(body)}: no secrets engine is mounted there, or the token's policy does not reach it.`,
        `Check the mount name at the start of the path (vault secrets list), and that the token's policy grants read on ${location.path}.`,
        { provider, status: 403 },
      );
    }
    if (response.status === 400 || response.status === 404) {
      throw fail(
        'missing',
        `No secrets engine is mounted at ${location.path} in Vault${current.namespace === undefined ? '' : ` (namespace ${current.namespace})`}.`,
        'Check the mount name at the start of the path (vault secrets list).',
        { provider, status: response.status },
      );
    }
    if (response.status >= 300) throw vaultDown(path, response, body, provider);
    const answer = readMountAnswer(body);
    if (answer === undefined) {
      throw fail(
        'source_unavailable',
        `Vault's answer about the mount of ${described} is not what Vault sends.`,
        'Check that the address is a Vault or OpenBao server, or give the KV version with ?kv=1 or ?kv=2.',
        { provider, retryable: true },
      );
    }
    if ('notKv' in answer) {
      throw fail(
        'source_unavailable',
        `The mount of ${described} is a ${answer.notKv} engine, not KV.`,
        'Point to a secret in a KV (v1 or v2) secrets engine.',
        { provider },
      );
    }
    mount = answer;
    return mount;
  }

  async function readFromVault(
    provider: ProviderId | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ReadResult> {
    const current = await resolveTarget(provider);
    const kvMount = await detectMount(current, signal, provider);
    const path = apiPath(location, kvMount);
    const query = location.version === undefined ? '' : `?version=${location.version}`;
    const { response, token } = await authorizedGet(current, `${path}${query}`, signal, provider);
    const body = parseObject(response.text);
    const where = `${path}${current.namespace === undefined ? '' : ` (namespace ${current.namespace})`}`;
    if (response.status === 403) throw refused(path, token, body, provider);
    const kv = kvMount?.version ?? location.kv;
    if (response.status === 404) {
      const read = readSecretAnswer(body, kv);
      if (read.kind === 'deleted') {
        const which = read.version === undefined ? 'The latest version' : `Version ${read.version}`;
        throw fail(
          'missing',
          `${which} of ${where} was ${read.destroyed ? 'destroyed' : 'deleted'} in Vault.`,
          read.destroyed
            ? 'Write the key again as a new version (vault kv put), or pin a version that still exists with ?version=N.'
            : 'Undelete it (vault kv undelete) or write the key again as a new version.',
          { provider, status: 404 },
        );
      }
      throw fail(
        'missing',
        `Vault has no secret at ${where}${location.version === undefined ? '' : ` version ${location.version}`}.`,
        'Check the mount and path (vault kv get), or write the key there.',
        { provider, status: 404 },
      );
    }
    if (response.status >= 300 || response.status < 200) throw vaultDown(path, response, body, provider);
    if (body === undefined) {
      throw fail(
        'source_unavailable',
        `Vault's answer for ${where} is not valid JSON.`,
        'Check that the address is a Vault or OpenBao server (not a proxy page), then try again.',
        { provider, status: response.status, retryable: true },
      );
    }
    const read = readSecretAnswer(body, kv);
    if (read.kind !== 'data') {
      throw fail(
        'source_unavailable',
        `Vault's answer for ${where} holds no secret data.`,
        'Check that the path is a KV secret (for KV v2 an API path has data/ after the mount).',
        { provider, status: response.status },
      );
    }
    const names = Object.keys(read.data);
    let field = location.field;
    if (field === undefined) {
      if (names.length !== 1) {
        throw fail(
          'missing',
          `The Vault secret at ${where} has ${names.length === 0 ? 'no fields' : `several fields (${listNames(names)})`}, and the spec names none.`,
          'Name the field that holds the key after #, e.g. #api_key.',
          { provider },
        );
      }
      field = names[0] as string;
    }
    if (!Object.hasOwn(read.data, field)) {
      throw fail(
        'missing',
        `The Vault secret at ${where} has no field "${field}"${names.length === 0 ? '' : ` (it has ${listNames(names)})`}.`,
        'Fix the field after # in the spec, or write the key under that field.',
        { provider },
      );
    }
    const raw = read.data[field];
    if (typeof raw !== 'string') {
      throw fail(
        'malformed',
        `The field "${field}" of the Vault secret at ${where} is not a string.`,
        'Store the key as a string value.',
        { provider },
      );
    }
    const value = cleanKeyValue(raw, { source: described, provider });
    return { value, changedAt: read.createdAt, leaseSeconds: read.leaseSeconds };
  }

  return cachedRemoteSource({
    describe: described,
    store: 'Vault',
    ttlMs,
    graceMs,
    async read(provider, signal) {
      const read = await readFromVault(provider, signal);
      return {
        value: read.value,
        changedAt: read.changedAt,
        ttlMs: read.leaseSeconds === undefined ? undefined : read.leaseSeconds * 1000,
      };
    },
  });
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((name) => JSON.stringify(name.slice(0, 40)));
  return names.length > 8 ? `${shown.join(', ')}, …` : shown.join(', ');
}
