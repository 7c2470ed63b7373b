/**
 * `keys.gcpSecretManager()`: a key read from Google Secret Manager through the official
 * `@google-cloud/secret-manager` client (an optional peer, imported on the first read), with
 * Application Default Credentials unless credentials are given. Cached, read once for many
 * callers, served through a short outage and read again after the provider rejected the key, as
 * every remote source is (`../remote/cached-source.ts`).
 *
 * keycard uses the client's HTTP/1 REST transport (`fallback: true`): the same API as gRPC,
 * without a second protocol for proxies and firewalls to allow.
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
import { isLoopback } from '../vault/http.js';
import { storeFailure, storeSettings } from './store-options.js';
import { loadStoreSdk } from './store-sdk.js';

const PACKAGE = '@google-cloud/secret-manager';
const WHERE = 'keys.gcpSecretManager()';

/** A service account key, as Google's JSON key file holds it. */
export interface GcpServiceAccountKey {
  client_email: string;
  private_key: string;
  [field: string]: unknown;
}

/** Options of `keys.gcpSecretManager()`. */
export interface GcpSecretManagerOptions {
  /** The field of a JSON secret that holds the key, instead of `#field` in the spec. */
  field?: string | undefined;
  /**
   * The API endpoint: a regional one (`https://secretmanager.europe-west1.rep.googleapis.com`)
   * or, for tests, a simulator on this machine (`http://127.0.0.1:PORT`).
   * @default https://secretmanager.googleapis.com
   */
  endpoint?: string | undefined;
  /**
   * A service account key (the JSON key file's content). keycard registers its private key with
   * the redactor.
   * @default Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
   *   application-default login, or the metadata server on Google Cloud
   */
  credentials?: GcpServiceAccountKey | undefined;
  /** A service account key file, instead of `credentials`. */
  keyFilename?: string | undefined;
  /** An authenticated client of `google-auth-library` (`GoogleAuth`, `OAuth2Client`, …). */
  authClient?: object | undefined;
  /**
   * How long a key read is used before it is read again, in milliseconds.
   * @default 300000 (5 minutes)
   */
  cacheTtlMs?: number | undefined;
  /**
   * How long past `cacheTtlMs` a cached key is still served, with a warning, while Secret
   * Manager cannot be reached (network, timeout, throttling, 5xx).
   * @default 600000 (10 minutes)
   */
  staleGraceMs?: number | undefined;
  /**
   * How long one request may take, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number | undefined;
}

/** Where the key is: `gcp-sm://PROJECT/SECRET[/VERSION][#FIELD]`. */
export interface GcpSecretLocation {
  project: string;
  secret: string;
  version: string;
  field: string | undefined;
  /** `gcp-sm://PROJECT/SECRET/VERSION#FIELD`. */
  describe: string;
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const PROJECT = /^[a-z0-9][a-z0-9:.-]{0,62}$/;

function specError(message: string): KeySpecError {
  return new KeySpecError(
    message,
    'Write gcp-sm://PROJECT/SECRET, gcp-sm://PROJECT/SECRET/VERSION (a number or latest), and #field for a field of a JSON secret.',
  );
}

/** Parses `gcp-sm://PROJECT/SECRET[/VERSION][#FIELD]`. */
export function parseGcpSecretSpec(spec: string): GcpSecretLocation {
  const match = /^gcp-sm:\/\/([^/#?]*)\/([^/#?]*)(?:\/([^/#?]*))?(?:#(.*))?$/i.exec(spec.trim());
  if (match === null) throw specError('A gcp-sm: spec must be gcp-sm://PROJECT/SECRET[/VERSION][#field].');
  const [, project = '', secret = '', version = 'latest', rawField] = match;
  if (!PROJECT.test(project)) throw specError(`The project id in a gcp-sm: spec is not a project id.`);
  if (!NAME.test(secret)) {
    throw specError('The secret name in a gcp-sm: spec may hold only letters, digits, "_" and "-".');
  }
  if (version !== 'latest' && !/^[1-9][0-9]{0,18}$/.test(version)) {
    throw specError('The version in a gcp-sm: spec must be a version number or latest.');
  }
  const field = rawField === undefined || rawField.trim() === '' ? undefined : rawField.trim();
  return {
    project,
    secret,
    version,
    field,
    describe: `gcp-sm://${project}/${secret}/${version}${field === undefined ? '' : `#${field}`}`,
  };
}

/** What keycard needs of the client (`SecretManagerServiceClient`). */
interface SecretManagerClient {
  accessSecretVersion(
    request: { name: string },
    options?: { timeout?: number },
  ): Promise<[{ name?: string | null; payload?: { data?: Uint8Array | string | null } | null }]>;
  getSecretVersion(
    request: { name: string },
    options?: { timeout?: number },
  ): Promise<[{ createTime?: { seconds?: number | string | null; nanos?: number | null } | null }]>;
}

interface SecretManagerModule {
  SecretManagerServiceClient: new (options: Record<string, unknown>) => SecretManagerClient;
}

/** The gRPC status codes Secret Manager answers with (REST gives the HTTP status instead). */
const GRPC = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

function endpointOptions(endpoint: string | undefined): Record<string, unknown> {
  if (endpoint === undefined) return {};
  let url: URL;
  try {
    url = new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`);
  } catch {
    throw new TypeError(`${WHERE}: endpoint must be a URL such as https://secretmanager.googleapis.com`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new TypeError(`${WHERE}: endpoint must be https:// (plain http:// only to this machine)`);
  }
  return {
    apiEndpoint: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    ...(url.protocol === 'http:' ? { protocol: 'http' } : {}),
  };
}

/**
 * A key from Google Secret Manager. `spec` is `gcp-sm://PROJECT/SECRET[/VERSION][#FIELD]`
 * (version `latest` by default; `#field` names a field of a JSON secret).
 *
 * The identity keycard runs as needs `roles/secretmanager.secretAccessor` on the secret (the
 * permission `secretmanager.versions.access`); with `secretmanager.versions.get` too
 * (`roles/secretmanager.viewer`), the key's age is read from the version's creation time.
 *
 * @example
 * const openai = await createClient('openai', keys.gcpSecretManager('gcp-sm://my-project/openai-key'));
 * // the same, as a spec string:
 * await createClient('openai', 'gcp-sm://my-project/openai-key/latest');
 */
export function gcpSecretManager(spec: string, options: GcpSecretManagerOptions = {}): KeySource {
  const location = parseGcpSecretSpec(spec);
  const { field, described, ttlMs, graceMs, timeoutMs } = storeSettings(WHERE, location, options);
  const endpoint = endpointOptions(options.endpoint);
  const credentials = options.credentials;
  if (credentials !== undefined) {
    if (typeof credentials.private_key !== 'string' || typeof credentials.client_email !== 'string') {
      throw new TypeError(`${WHERE}: credentials must be a service account key (client_email, private_key)`);
    }
    // The private key is a credential like any key: redacted wherever it would be printed.
    registerSecret(credentials.private_key, '[REDACTED gcp-private-key]');
    registerSecret(JSON.stringify(credentials.private_key).slice(1, -1), '[REDACTED gcp-private-key]');
  }
  const name = `projects/${location.project}/secrets/${location.secret}/versions/${location.version}`;
  const what = `the secret ${location.secret} (version ${location.version}) of project ${location.project} in Google Secret Manager`;
  let client: SecretManagerClient | undefined;

  const fail = storeFailure(described);

  async function clientFor(provider: ProviderId | undefined): Promise<SecretManagerClient> {
    if (client !== undefined) return client;
    const module = await loadStoreSdk<SecretManagerModule>(
      PACKAGE,
      `${PACKAGE}@6`,
      'the Google Secret Manager client',
      described,
      provider,
    );
    client = new module.SecretManagerServiceClient({
      fallback: true,
      projectId: location.project,
      ...endpoint,
      ...(credentials === undefined ? {} : { credentials }),
      ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
      ...(options.authClient === undefined ? {} : { authClient: options.authClient }),
    });
    return client;
  }

  /** One failed call, as the reasons users know. The client's error is not kept: its request holds the token. */
  function failure(error: unknown, provider: ProviderId | undefined): CredentialError {
    if (CredentialError.is(error)) return error;
    const fields = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      status?: unknown;
      message?: unknown;
    };
    const code = typeof fields.code === 'number' ? fields.code : undefined;
    const status =
      typeof fields.status === 'number'
        ? fields.status
        : code !== undefined && code >= 100
          ? code
          : undefined;
    const said = typeof fields.message === 'string' ? shortMessage(fields.message) : '';
    const cause = new Error(said);
    const is = (grpc: number, http: number) => code === grpc || status === http;
    if (is(GRPC.NOT_FOUND, 404)) {
      return fail(
        'missing',
        `Google Secret Manager has no ${location.version === 'latest' ? 'enabled version of the' : `version ${location.version} of the`} secret ${location.secret} in project ${location.project}.`,
        `Check the project and secret names (gcloud secrets versions list ${location.secret} --project ${location.project}), or add the key as a version.`,
        provider,
        { status: 404, cause },
      );
    }
    if (is(GRPC.FAILED_PRECONDITION, 400) && /disabled|destroyed/i.test(said)) {
      return fail(
        'missing',
        `Version ${location.version} of the secret ${location.secret} in project ${location.project} is disabled or destroyed.`,
        'Enable the version again (gcloud secrets versions enable), or point to another version.',
        provider,
        { status, cause },
      );
    }
    if (is(GRPC.PERMISSION_DENIED, 403)) {
      return fail(
        'source_unavailable',
        `Google Secret Manager refused to give ${what} to the identity keycard runs as${said === '' ? '' : ` (${said})`}.`,
        `Grant it roles/secretmanager.secretAccessor on the secret: gcloud secrets add-iam-policy-binding ${location.secret} --project ${location.project} --member=serviceAccount:NAME@PROJECT.iam.gserviceaccount.com --role=roles/secretmanager.secretAccessor`,
        provider,
        { status: 403, cause },
      );
    }
    if (
      is(GRPC.UNAUTHENTICATED, 401) ||
      /default credentials|could not load the default|invalid_grant/i.test(said)
    ) {
      return fail(
        'source_unavailable',
        `Google Secret Manager did not accept the credentials keycard runs with while reading ${described}${said === '' ? '' : ` (${said})`}.`,
        'Set up Application Default Credentials (gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS, or the service account of the VM or workload), or pass credentials.',
        provider,
        { status: 401, cause },
      );
    }
    const transient =
      code === undefined ||
      is(GRPC.RESOURCE_EXHAUSTED, 429) ||
      is(GRPC.UNAVAILABLE, 503) ||
      is(GRPC.DEADLINE_EXCEEDED, 504) ||
      is(GRPC.INTERNAL, 500) ||
      (status !== undefined && status >= 500);
    return fail(
      'source_unavailable',
      `Google Secret Manager ${status === undefined ? 'could not be reached' : `answered HTTP ${status}`} while reading ${described}${said === '' ? '' : ` (${said})`}.`,
      transient
        ? 'Secret Manager is unavailable or throttling for now; try again shortly.'
        : 'Check the spec and the Secret Manager configuration.',
      provider,
      { ...(status === undefined ? {} : { status }), retryable: transient, cause },
    );
  }

  async function withTimeout<T>(
    work: Promise<T>,
    signal: AbortSignal,
    provider: ProviderId | undefined,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            fail(
              'source_unavailable',
              `Google Secret Manager did not answer within ${timeoutMs} ms while reading ${described}.`,
              'Check that Secret Manager is reachable from here, then try again.',
              provider,
              { retryable: true },
            ),
          ),
        timeoutMs,
      );
      timer.unref();
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    try {
      return await Promise.race([work, stop]);
    } finally {
      clearTimeout(timer);
    }
  }

  return cachedRemoteSource({
    describe: described,
    store: 'Google Secret Manager',
    ttlMs,
    graceMs,
    async read(provider, signal) {
      const sdk = await clientFor(provider);
      let answer: Awaited<ReturnType<SecretManagerClient['accessSecretVersion']>>[0];
      try {
        [answer] = await withTimeout(
          sdk.accessSecretVersion({ name }, { timeout: timeoutMs }),
          signal,
          provider,
        );
      } catch (error) {
        throw failure(error, provider);
      }
      const data = answer.payload?.data;
      if (data === undefined || data === null) {
        throw fail(
          'source_unavailable',
          `Google Secret Manager's answer for ${what} holds no payload.`,
          'Try again; check that the endpoint is Secret Manager.',
          provider,
          { retryable: true },
        );
      }
      const text =
        typeof data === 'string'
          ? Buffer.from(data, 'base64').toString('utf8')
          : Buffer.from(data).toString('utf8');
      const raw = keyInSecret(text, field, { source: described, what, provider });
      const value = cleanKeyValue(raw, { source: described, provider });
      return { value, changedAt: await createdAt(sdk, answer.name ?? name, signal, provider) };
    },
  });

  /** The version's creation time, when the identity may read it (`secretmanager.versions.get`). */
  async function createdAt(
    sdk: SecretManagerClient,
    version: string,
    signal: AbortSignal,
    provider: ProviderId | undefined,
  ): Promise<Date | undefined> {
    try {
      const [meta] = await withTimeout(
        sdk.getSecretVersion({ name: version }, { timeout: timeoutMs }),
        signal,
        provider,
      );
      const seconds = Number(meta.createTime?.seconds ?? Number.NaN);
      return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The client's message, redacted and cut to one short line. */
function shortMessage(message: string): string {
  const line = redactText(message.split('\n')[0] ?? '').trim();
  // REST errors arrive as the JSON body: keep its message.
  const json = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(line);
  const text = json?.[1] ?? line;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
