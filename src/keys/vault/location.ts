/**
 * Where a Vault secret is: the spec forms `keys.vault()` and `keys.from()` accept, parsed into
 * an address, a namespace, a path and a field. Parsing never echoes credentials: a URL with a
 * user name, password or token in it is refused without being shown.
 * @module
 */
import { KeySpecError } from '../spec-error.js';

/** The forms listed in hints. */
export const VAULT_FORMS = [
  'vault://HOST[:PORT]/MOUNT/PATH#field',
  'vault:///MOUNT/PATH#field (VAULT_ADDR)',
  'https://HOST:PORT/v1/MOUNT/data/PATH#field',
] as const;

/** A parsed Vault location. */
export interface VaultLocation {
  /**
   * `https://host:port`, or `undefined` for `vault:///…`: the address comes from `VAULT_ADDR`
   * (and its kin) when the key is read.
   */
  address: string | undefined;
  /**
   * `raw`: the URL's path is the API path itself (`/v1/secret/data/openai`); `logical`: the path
   * is `MOUNT/PATH` and the KV version decides where `data/` goes.
   */
  kind: 'raw' | 'logical';
  /** Without `/v1/` and without surrounding slashes: `secret/data/openai` or `secret/openai`. */
  path: string;
  /** The field of the secret that holds the key; `undefined`: the secret's only field. */
  field: string | undefined;
  /** `?kv=1|2`: the KV engine version, when given (no detection then). */
  kv: 1 | 2 | undefined;
  /** `?version=N`: a pinned KV v2 version. */
  version: number | undefined;
  /** `?namespace=ns1/`: the Vault Enterprise / OpenBao namespace. */
  namespace: string | undefined;
  /** What `describe()` prints: the spec, normalised, without credentials. */
  describe: string;
}

const DEFAULT_PORT = 8200;
const QUERY_KEYS = new Set(['kv', 'version', 'namespace']);

function formsHint(): string {
  return `Write ${VAULT_FORMS.join(', or ')}; options go in the query: ?kv=1|2, ?version=N, ?namespace=NS.`;
}

function specError(message: string): KeySpecError {
  return new KeySpecError(message, formsHint());
}

/** `ns1/ns2/`: trimmed, with one trailing slash, no leading slash; `undefined` when empty. */
export function normaliseNamespace(namespace: string | undefined): string | undefined {
  const trimmed = namespace?.trim().replace(/^\/+|\/+$/g, '');
  return trimmed === undefined || trimmed === '' ? undefined : `${trimmed}/`;
}

function cleanPath(path: string): string {
  return path
    .split('/')
    .filter((part) => part !== '')
    .join('/');
}

/**
 * Parses a Vault spec: `vault://HOST[:PORT]/MOUNT/PATH[?…]#field`, `vault:///MOUNT/PATH#field`,
 * `vault:https://HOST/v1/…#field`, or `https://HOST/v1/…#field` (`http://` too; whether plain
 * HTTP may be used is decided when the key is read).
 */
export function parseVaultSpec(spec: string): VaultLocation {
  if (typeof spec !== 'string' || spec.trim() === '') throw specError('The Vault URL is empty.');
  let text = spec.trim();
  if (/^vault:(?!\/\/)/i.test(text)) text = text.slice('vault:'.length);
  const hash = text.indexOf('#');
  const fieldText = hash < 0 ? undefined : decodeURIComponent(text.slice(hash + 1)).replace(/^\//, '');
  const field = fieldText === undefined || fieldText.trim() === '' ? undefined : fieldText.trim();
  const beforeHash = hash < 0 ? text : text.slice(0, hash);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(beforeHash)?.[1]?.toLowerCase();
  if (scheme !== 'vault' && scheme !== 'https' && scheme !== 'http') {
    throw specError('A Vault key source must be a vault:// or https:// URL (it is not shown here).');
  }
  // `vault:///path`: no host, the address comes from the environment.
  const hostless = scheme === 'vault' && /^vault:\/\/\//i.test(beforeHash);
  let url: URL;
  try {
    url = new URL(hostless ? `https://vault.invalid${beforeHash.slice('vault://'.length)}` : beforeHash);
  } catch {
    throw specError('A Vault URL could not be parsed (it is not shown here).');
  }
  if (url.username !== '' || url.password !== '') {
    throw new KeySpecError(
      'A Vault URL holds a user name or password; it is not shown here.',
      'Remove the credentials from the URL: give the token with VAULT_TOKEN, ~/.vault-token or the token option.',
    );
  }
  const query = readQuery(url.searchParams);
  const describeQuery = url.search;
  const fieldPart = field === undefined ? '' : `#${field}`;
  if (scheme === 'vault') {
    const path = cleanPath(decodeURIComponent(url.pathname));
    if (!path.includes('/')) {
      throw specError(
        'A vault:// URL needs a mount and a path, e.g. vault://vault.internal/secret/openai#api_key.',
      );
    }
    const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
    const address = hostless ? undefined : `https://${url.hostname}:${port}`;
    const host = hostless ? '' : `${url.hostname}${url.port === '' ? '' : `:${url.port}`}`;
    return {
      address,
      kind: 'logical',
      path,
      field,
      ...query,
      describe: `vault://${host}/${path}${describeQuery}${fieldPart}`,
    };
  }
  const pathname = decodeURIComponent(url.pathname);
  if (!/^\/v1\//.test(pathname)) {
    throw specError(
      'A Vault API URL has a path that starts with /v1/, e.g. https://vault.internal:8200/v1/secret/data/openai#api_key.',
    );
  }
  const path = cleanPath(pathname.slice('/v1/'.length));
  if (path === '') throw specError('A Vault API URL names no secret after /v1/.');
  return {
    address: url.origin,
    kind: 'raw',
    path,
    field,
    ...query,
    describe: `vault:${url.origin}/v1/${path}${describeQuery}${fieldPart}`,
  };
}

function readQuery(params: URLSearchParams): Pick<VaultLocation, 'kv' | 'version' | 'namespace'> {
  for (const key of params.keys()) {
    if (QUERY_KEYS.has(key)) continue;
    if (/token|secret|password|role_id/i.test(key)) {
      throw new KeySpecError(
        'A Vault URL carries a credential in its query; it is not shown here.',
        'Give the token with VAULT_TOKEN, ~/.vault-token or the token option, and AppRole ids with the appRole option.',
      );
    }
    throw specError(`A Vault URL has an unknown query parameter "${key.slice(0, 32)}".`);
  }
  const kvText = params.get('kv');
  let kv: 1 | 2 | undefined;
  if (kvText !== null) {
    if (kvText !== '1' && kvText !== '2') throw specError('?kv= must be 1 or 2.');
    kv = kvText === '1' ? 1 : 2;
  }
  const versionText = params.get('version');
  let version: number | undefined;
  if (versionText !== null) {
    version = Number(versionText);
    if (!/^\d+$/.test(versionText) || !Number.isSafeInteger(version) || version < 1) {
      throw specError('?version= must be a positive whole number.');
    }
  }
  return { kv, version, namespace: normaliseNamespace(params.get('namespace') ?? undefined) };
}
