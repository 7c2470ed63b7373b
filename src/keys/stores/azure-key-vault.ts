/**
 * `keys.azureKeyVault()`: a key read from Azure Key Vault through the official
 * `@azure/keyvault-secrets` client, with `DefaultAzureCredential` from `@azure/identity` unless a
 * credential is given (both optional peers, imported on the first read). Cached, read once for
 * many callers, served through a short outage and read again after the provider rejected the key,
 * as every remote source is (`../remote/cached-source.ts`).
 * @module
 */
import { CredentialError } from '../../errors.js';
import type { ProviderId } from '../../providers/ids.js';
import { redactText } from '../../redact/redactor.js';
import { registerSecret } from '../../redact/registry.js';
import { cleanKeyValue } from '../clean.js';
import { cachedRemoteSource } from '../remote/cached-source.js';
import { keyInSecret } from '../remote/field.js';
import { KeySpecError } from '../spec-error.js';
import type { KeySource } from '../types.js';
import { storeFailure, storeSettings } from './store-options.js';
import { loadStoreSdk } from './store-sdk.js';

const WHERE = 'keys.azureKeyVault()';

/** An Azure credential (`@azure/identity`'s classes, or any object with `getToken`). */
export interface AzureTokenCredential {
  getToken(
    scopes: string | string[],
    options?: object,
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** Options of `keys.azureKeyVault()`. */
export interface AzureKeyVaultOptions {
  /**
   * The credential to ask Key Vault with (`ManagedIdentityCredential`, `ClientSecretCredential`,
   * `WorkloadIdentityCredential`, …). Its tokens are registered with the redactor.
   * @default `new DefaultAzureCredential()`: environment (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`,
   *   `AZURE_CLIENT_SECRET` …), workload identity, managed identity, the Azure CLI's login
   */
  credential?: AzureTokenCredential | undefined;
  /**
   * The vault's URL, for another cloud (`https://NAME.vault.azure.cn`) or a test server.
   * @default https://VAULT_NAME.vault.azure.net
   */
  vaultUrl?: string | undefined;
  /** The field of a JSON secret that holds the key, instead of `#field` in the spec. */
  field?: string | undefined;
  /** CA certificate(s) in PEM that signed the vault's TLS certificate (a TLS-inspecting proxy). */
  ca?: string | Buffer | undefined;
  /**
   * Retries the client makes on throttling (429), 5xx and network errors, within `timeoutMs`.
   * @default 3
   */
  maxRetries?: number | undefined;
  /**
   * How long a key read is used before it is read again, in milliseconds.
   * @default 300000 (5 minutes)
   */
  cacheTtlMs?: number | undefined;
  /**
   * How long past `cacheTtlMs` a cached key is still served, with a warning, while Key Vault
   * cannot be reached.
   * @default 600000 (10 minutes)
   */
  staleGraceMs?: number | undefined;
  /**
   * How long one read may take, retries included, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number | undefined;
}

/** Where the key is: `azure-kv://VAULT_NAME/SECRET[/VERSION][#FIELD]`. */
export interface AzureSecretLocation {
  vault: string;
  secret: string;
  version: string | undefined;
  field: string | undefined;
  describe: string;
}

function specError(message: string): KeySpecError {
  return new KeySpecError(
    message,
    'Write azure-kv://VAULT_NAME/SECRET, azure-kv://VAULT_NAME/SECRET/VERSION, and #field for a field of a JSON secret.',
  );
}

/** Parses `azure-kv://VAULT_NAME/SECRET[/VERSION][#FIELD]`. */
export function parseAzureSecretSpec(spec: string): AzureSecretLocation {
  const match = /^azure-kv:\/\/([^/#?]*)\/([^/#?]*)(?:\/([^/#?]*))?(?:#(.*))?$/i.exec(spec.trim());
  if (match === null)
    throw specError('An azure-kv: spec must be azure-kv://VAULT_NAME/SECRET[/VERSION][#field].');
  const [, vault = '', secret = '', version, rawField] = match;
  // Key Vault names: 3 to 24 letters, digits and dashes; secret names: 1 to 127 of the same.
  if (!/^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/.test(vault)) {
    throw specError('The vault name in an azure-kv: spec must be 3 to 24 letters, digits and dashes.');
  }
  if (!/^[A-Za-z0-9-]{1,127}$/.test(secret)) {
    throw specError('The secret name in an azure-kv: spec may hold only letters, digits and dashes.');
  }
  if (version !== undefined && !/^[A-Za-z0-9]{1,64}$/.test(version)) {
    throw specError('The version in an azure-kv: spec must be a version id (32 hexadecimal digits).');
  }
  const field = rawField === undefined || rawField.trim() === '' ? undefined : rawField.trim();
  return {
    vault,
    secret,
    version,
    field,
    describe: `azure-kv://${vault}/${secret}${version === undefined ? '' : `/${version}`}${field === undefined ? '' : `#${field}`}`,
  };
}

interface KeyVaultSecret {
  value?: string | undefined;
  properties: { createdOn?: Date | undefined; updatedOn?: Date | undefined; version?: string | undefined };
}

interface SecretClient {
  getSecret(
    name: string,
    options: { version?: string | undefined; abortSignal?: AbortSignal | undefined },
  ): Promise<KeyVaultSecret>;
}

type SecretClientClass = new (
  vaultUrl: string,
  credential: AzureTokenCredential,
  options: object,
) => SecretClient;

/** Reads what a failure from the Azure SDK or the credential says, without keeping it (it may hold tokens). */
function describeFailure(error: unknown): {
  status: number | undefined;
  code: string;
  inner: string;
  said: string;
  name: string;
} {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const details = (fields['details'] ?? {}) as { error?: { innererror?: { code?: unknown } } };
  const message = typeof fields['message'] === 'string' ? fields['message'] : '';
  const line = redactText(message.split(/\r?\n/)[0] ?? '').trim();
  return {
    status: typeof fields['statusCode'] === 'number' ? fields['statusCode'] : undefined,
    code: typeof fields['code'] === 'string' ? fields['code'] : '',
    inner: typeof details.error?.innererror?.code === 'string' ? details.error.innererror.code : '',
    said: line.length > 200 ? `${line.slice(0, 200)}…` : line,
    name: typeof fields['name'] === 'string' ? fields['name'] : '',
  };
}

/**
 * A key from Azure Key Vault. `spec` is `azure-kv://VAULT_NAME/SECRET[/VERSION][#FIELD]` (the
 * current version by default; `#field` names a field of a JSON secret).
 *
 * The identity needs `get` on secrets: the **Key Vault Secrets User** role on the vault or the
 * secret (Azure RBAC), or a `Get` secret permission in the vault's access policy.
 *
 * @example
 * import { ManagedIdentityCredential } from '@azure/identity';
 * import { createClient, keys } from 'keycard';
 * const openai = await createClient('openai', 'azure-kv://team-vault/openai-key');
 * keys.azureKeyVault('azure-kv://team-vault/openai-key', { credential: new ManagedIdentityCredential() });
 */
export function azureKeyVault(spec: string, options: AzureKeyVaultOptions = {}): KeySource {
  const location = parseAzureSecretSpec(spec);
  if (options.credential !== undefined && typeof options.credential.getToken !== 'function') {
    throw new TypeError(`${WHERE}: credential must be an Azure credential (an object with getToken)`);
  }
  const maxRetries = options.maxRetries ?? 3;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    throw new TypeError(`${WHERE}: maxRetries must be a whole number, 0 or more`);
  }
  const vaultUrl = options.vaultUrl ?? `https://${location.vault}.vault.azure.net`;
  if (!URL.canParse(vaultUrl) || new URL(vaultUrl).protocol !== 'https:') {
    throw new TypeError(`${WHERE}: vaultUrl must be an https:// URL (Key Vault takes tokens over TLS only)`);
  }
  const { field, described, ttlMs, graceMs, timeoutMs } = storeSettings(WHERE, location, options);
  const what = `the secret ${location.secret}${location.version === undefined ? '' : ` (version ${location.version})`} in the key vault ${location.vault}`;
  let client: SecretClient | undefined;

  const fail = storeFailure(described);

  async function clientFor(provider: ProviderId | undefined): Promise<SecretClient> {
    if (client !== undefined) return client;
    const install = '@azure/keyvault-secrets@4.10 @azure/identity@4.10';
    const load = <T>(name: string) => loadStoreSdk<T>(name, install, name, described, provider);
    const { SecretClient } = await load<{ SecretClient: SecretClientClass }>('@azure/keyvault-secrets');
    let credential = options.credential;
    if (credential === undefined) {
      const identity = await load<{ DefaultAzureCredential: new () => AzureTokenCredential }>(
        '@azure/identity',
      );
      credential = new identity.DefaultAzureCredential();
    }
    const given = credential;
    // Every token the credential hands Key Vault is a credential: redacted wherever it is printed.
    const redacting: AzureTokenCredential = {
      async getToken(scopes, tokenOptions) {
        const token = await given.getToken(scopes, tokenOptions);
        if (token !== null) registerSecret(token.token, '[REDACTED azure-token]');
        return token;
      },
    };
    client = new SecretClient(vaultUrl, redacting, {
      retryOptions: { maxRetries },
      ...(options.ca === undefined ? {} : { tlsOptions: { ca: options.ca } }),
      // A vault URL given for another cloud or a test server is not *.vault.azure.net.
      ...(options.vaultUrl === undefined ? {} : { disableChallengeResourceVerification: true }),
    });
    return client;
  }

  function failure(error: unknown, provider: ProviderId | undefined, timedOut: boolean): CredentialError {
    if (CredentialError.is(error)) return error;
    if (timedOut) {
      return fail(
        'source_unavailable',
        `Azure Key Vault did not answer within ${timeoutMs} ms while reading ${described}.`,
        'Check that the vault is reachable from here (its firewall and private endpoint), then try again.',
        provider,
        { retryable: true },
      );
    }
    const { status, code, inner, said, name } = describeFailure(error);
    const cause = new Error(said);
    const why = said === '' ? '' : ` (${said})`;
    if (status === 404 || code === 'SecretNotFound') {
      return fail(
        'missing',
        `Azure Key Vault has no ${what}.`,
        `Check the vault and secret names (az keyvault secret show --vault-name ${location.vault} --name ${location.secret}), or set the key there.`,
        provider,
        { status: 404, cause },
      );
    }
    if (inner === 'SecretDisabled' || /disabled secret/i.test(said)) {
      return fail(
        'missing',
        `${what.charAt(0).toUpperCase()}${what.slice(1)} is disabled.`,
        `Enable it (az keyvault secret set-attributes --vault-name ${location.vault} --name ${location.secret} --enabled true), or point to another version.`,
        provider,
        { status, cause },
      );
    }
    if (status === 403) {
      return fail(
        'source_unavailable',
        `Azure Key Vault refused to give ${what} to the identity keycard runs as${why}.`,
        `Give it get on secrets: the Key Vault Secrets User role (az role assignment create --role "Key Vault Secrets User" --assignee IDENTITY --scope VAULT_ID), or a Get secret permission in the vault's access policy.`,
        provider,
        { status: 403, cause },
      );
    }
    if (status === 401 || /CredentialUnavailable|AuthenticationRequired|AuthenticationError/.test(name)) {
      return fail(
        'source_unavailable',
        `No Azure credential could sign in to Key Vault while reading ${described}${why}.`,
        'Give keycard an identity: a managed or workload identity, AZURE_CLIENT_ID with AZURE_TENANT_ID and AZURE_CLIENT_SECRET, `az login` on a workstation, or the credential option.',
        provider,
        { ...(status === undefined ? {} : { status }), cause },
      );
    }
    // A 2xx here is an answer the client could not read (cut, not JSON): a transient fault too.
    const transient = status === undefined || status < 300 || status === 429 || status >= 500;
    return fail(
      'source_unavailable',
      `Azure Key Vault ${status === undefined ? 'could not be reached' : `answered HTTP ${status}`} while reading ${described}${why}.`,
      transient
        ? 'Key Vault is unavailable or throttling for now; try again shortly.'
        : 'Check the spec and the vault.',
      provider,
      { ...(status === undefined ? {} : { status }), retryable: transient, cause },
    );
  }

  return cachedRemoteSource({
    describe: described,
    store: 'Azure Key Vault',
    ttlMs,
    graceMs,
    async read(provider, signal) {
      const sdk = await clientFor(provider);
      const deadline = AbortSignal.timeout(timeoutMs);
      let secret: KeyVaultSecret;
      try {
        secret = await sdk.getSecret(location.secret, {
          version: location.version,
          abortSignal: AbortSignal.any([signal, deadline]),
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw failure(error, provider, deadline.aborted);
      }
      if (typeof secret.value !== 'string') {
        throw fail(
          'source_unavailable',
          `Azure Key Vault's answer for ${what} holds no value.`,
          'Try again.',
          provider,
          {
            retryable: true,
          },
        );
      }
      const raw = keyInSecret(secret.value, field, { source: described, what, provider });
      const value = cleanKeyValue(raw, { source: described, provider });
      return { value, changedAt: secret.properties.updatedOn ?? secret.properties.createdOn };
    },
  });
}
