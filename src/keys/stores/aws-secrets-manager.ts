/**
 * `keys.awsSecretsManager()`: a key read from AWS Secrets Manager through the official
 * `@aws-sdk/client-secrets-manager` (v3, an optional peer imported on the first read), with the
 * standard AWS credential chain unless credentials are given. Cached, read once for many callers,
 * served through a short outage and read again after the provider rejected the key, as every
 * remote source is (`../remote/cached-source.ts`).
 * @module
 */
import { CredentialError } from '../../errors.js';
import type { ProviderId } from '../../providers/ids.js';
import { registerSecret } from '../../redact/registry.js';
import { cleanKeyValue } from '../clean.js';
import { cachedRemoteSource, milliseconds } from '../remote/cached-source.js';
import { keyInSecret } from '../remote/field.js';
import { looksLikeKey } from '../shapes.js';
import { KeySpecError } from '../spec-error.js';
import type { KeySource } from '../types.js';
import { storeFailure, storeTimings } from './store-options.js';
import { deadline, loadStoreSdk, NETWORK_CODES, storeEndpoint, storeText } from './store-sdk.js';

const PACKAGE = '@aws-sdk/client-secrets-manager';
const WHERE = 'keys.awsSecretsManager()';
const STORE = 'AWS Secrets Manager';

/** AWS credentials, as the AWS SDK takes them (`AwsCredentialIdentity`). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
}

/** A function that gives AWS credentials, as the AWS SDK's credential providers do (`fromIni()`, `fromSSO()`, …). */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** Options of `keys.awsSecretsManager()`. Given with a spec string, they take precedence over it. */
export interface AwsSecretsManagerOptions {
  /**
   * The secret: its name (`prod/openai`) or ARN. Needed when no spec string is given.
   */
  secretId?: string | undefined;
  /**
   * The AWS region, e.g. `eu-west-1`.
   * @default the region of the spec, else that of an ARN, else the AWS SDK's (`AWS_REGION`, the
   *   profile's region)
   */
  region?: string | undefined;
  /** The field of a JSON secret that holds the key, instead of `#field` in the spec. */
  field?: string | undefined;
  /** Read the version with this staging label (`AWSPREVIOUS`), instead of `AWSCURRENT`. */
  versionStage?: string | undefined;
  /** Read this version id instead of the current version. */
  versionId?: string | undefined;
  /**
   * AWS credentials, or a provider of them (`fromIni({ profile })`, `fromTemporaryCredentials(…)`
   * of `@aws-sdk/credential-providers`). keycard registers what they give with the redactor.
   * @default the AWS SDK's standard chain: environment, shared config and SSO profiles, web
   *   identity, the ECS task role, the EC2 instance role
   */
  credentials?: AwsCredentials | AwsCredentialsProvider | undefined;
  /**
   * The service endpoint: a VPC interface endpoint (`https://vpce-….secretsmanager.eu-west-1.vpce.amazonaws.com`),
   * or, for tests, a simulator on this machine (`http://127.0.0.1:PORT`).
   * @default the region's public endpoint
   */
  endpoint?: string | undefined;
  /**
   * How many times the AWS SDK tries one read (it retries throttling, 5xx and network errors).
   * @default the SDK's (`AWS_MAX_ATTEMPTS`, else 3)
   */
  maxAttempts?: number | undefined;
  /**
   * How long a key read is used before it is read again, in milliseconds.
   * @default 300000 (5 minutes)
   */
  cacheTtlMs?: number | undefined;
  /**
   * How long past `cacheTtlMs` a cached key is still served, with a warning, while Secrets
   * Manager cannot be reached (network, timeout, throttling, 5xx).
   * @default 600000 (10 minutes)
   */
  staleGraceMs?: number | undefined;
  /**
   * How long one read may take, the SDK's retries included, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number | undefined;
  /**
   * The SDK module, for a bundle that does not ship `node_modules`: the namespace of
   * `@aws-sdk/client-secrets-manager` (`import * as`), or `{ SecretsManagerClient, GetSecretValueCommand }`.
   * @default imported by keycard on the first read
   */
  sdk?: object | undefined;
}

/** Where the key is, read from `aws-sm://REGION/SECRET_ID[?stage=…|?versionId=…][#FIELD]`. */
export interface AwsSecretLocation {
  /** The region; `undefined` for `aws-sm:///…` (the SDK's region). */
  region: string | undefined;
  secretId: string;
  field: string | undefined;
  versionStage: string | undefined;
  versionId: string | undefined;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
/** Secret names (letters, digits, /_+=.@-) and ARNs (with `:`). */
const SECRET_ID = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
const STAGE = /^[A-Za-z0-9_.+=@-]{1,256}$/;
const VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;
const FORMS =
  'Write aws-sm://REGION/SECRET_ID, with ?stage=LABEL or ?versionId=ID and #field as needed, e.g. aws-sm://eu-west-1/prod/openai#api_key.';

function specError(message: string): KeySpecError {
  return new KeySpecError(message, FORMS);
}

/** Reads `aws-sm://REGION/SECRET_ID[?stage=LABEL|?versionId=ID][#FIELD]`. Throws `KeySpecError`. */
export function parseAwsSecretSpec(spec: string): AwsSecretLocation {
  const match = /^aws-sm:\/\/([^/?#]*)\/([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(spec.trim());
  if (match === null) throw specError('An aws-sm: spec needs a region and a secret id.');
  const region = (match[1] ?? '').toLowerCase();
  const secretId = match[2] ?? '';
  if (region !== '' && !REGION.test(region)) {
    throw specError('The region of an aws-sm: spec is not an AWS region such as eu-west-1.');
  }
  if (!SECRET_ID.test(secretId) || looksLikeKey(secretId)) {
    throw specError(
      'The secret id of an aws-sm: spec is not a secret name or ARN (letters, digits and /_+=.@-:).',
    );
  }
  let versionStage: string | undefined;
  let versionId: string | undefined;
  for (const [name, value] of new URLSearchParams(match[3] ?? '')) {
    const lower = name.toLowerCase();
    if ((lower === 'stage' || lower === 'versionstage') && STAGE.test(value)) versionStage = value;
    else if (lower === 'versionid' && VERSION_ID.test(value)) versionId = value;
    else throw specError('An aws-sm: spec takes only ?stage=LABEL (e.g. AWSPREVIOUS) or ?versionId=ID.');
  }
  const field = match[4]?.trim();
  if (field !== undefined && field === '') throw specError('The #field of an aws-sm: spec is empty.');
  return { region: region === '' ? undefined : region, secretId, field, versionStage, versionId };
}

/** `describe()` of a location: the spec, normalised. */
function describeLocation(location: AwsSecretLocation): string {
  const query = [
    location.versionStage === undefined ? undefined : `stage=${location.versionStage}`,
    location.versionId === undefined ? undefined : `versionId=${location.versionId}`,
  ].filter((part) => part !== undefined);
  return `aws-sm://${location.region ?? ''}/${location.secretId}${query.length === 0 ? '' : `?${query.join('&')}`}${location.field === undefined ? '' : `#${location.field}`}`;
}

/** The version read, in words: `(stage AWSPREVIOUS)`, `(version 0123…)`, or nothing for the current one. */
function versionWords(location: AwsSecretLocation): string {
  if (location.versionId !== undefined) return ` (version ${location.versionId})`;
  if (location.versionStage !== undefined) return ` (stage ${location.versionStage})`;
  return '';
}

function registerCredentials(credentials: AwsCredentials): void {
  if (typeof credentials !== 'object' || credentials === null) return;
  if (typeof credentials.accessKeyId === 'string') {
    registerSecret(credentials.accessKeyId, '[REDACTED aws-access-key-id]');
  }
  if (typeof credentials.secretAccessKey === 'string') {
    registerSecret(credentials.secretAccessKey, '[REDACTED aws-secret-access-key]');
  }
  if (typeof credentials.sessionToken === 'string') {
    registerSecret(credentials.sessionToken, '[REDACTED aws-session-token]');
  }
}

/** `provider`, whose credentials are registered with the redactor each time it gives them. */
function registering(provider: AwsCredentialsProvider): AwsCredentialsProvider {
  return async () => {
    const credentials = await provider();
    registerCredentials(credentials);
    return credentials;
  };
}

// The parts of the SDK keycard uses; the SDK's own types are not named in keycard's declarations.
interface SecretsManagerResponse {
  SecretString?: string | undefined;
  SecretBinary?: Uint8Array | undefined;
  CreatedDate?: Date | undefined;
  VersionId?: string | undefined;
}
interface SecretsManagerClientLike {
  config: { credentials?: unknown };
  send(command: unknown, options: { abortSignal: AbortSignal }): Promise<SecretsManagerResponse>;
}
interface SecretsManagerModule {
  SecretsManagerClient: new (config: Record<string, unknown>) => SecretsManagerClientLike;
  GetSecretValueCommand: new (input: Record<string, unknown>) => unknown;
  PutSecretValueCommand?: new (input: Record<string, unknown>) => unknown;
  CreateSecretCommand?: new (input: Record<string, unknown>) => unknown;
}

/**
 * A Secrets Manager client: `credentials`, else the SDK's standard chain, whose credentials are
 * registered with the redactor as the SDK resolves them (it reads `config.credentials`, its
 * memoised identity provider, per request).
 */
function newClient(
  module: SecretsManagerModule,
  region: string | undefined,
  endpoint: URL | undefined,
  credentials: AwsCredentials | AwsCredentialsProvider | undefined,
  maxAttempts: number | undefined,
): SecretsManagerClientLike {
  const created = new module.SecretsManagerClient({
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint: endpoint.href.replace(/\/$/, '') }),
    ...(credentials === undefined ? {} : { credentials }),
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  const chain = created.config.credentials;
  if (credentials === undefined && typeof chain === 'function') {
    created.config.credentials = registering(chain as AwsCredentialsProvider);
  }
  return created;
}

/** What the SDK throws: a service exception, a credential provider error, a network or abort error. */
interface SdkError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown } | undefined;
}

/**
 * A key from AWS Secrets Manager. `spec` is `aws-sm://REGION/SECRET_ID[#FIELD]`: the secret's name
 * (which may contain `/`) or ARN, `?stage=AWSPREVIOUS` or `?versionId=ID` for another version,
 * `#field` for a field of a JSON secret (without it, the whole value, or the only field of a JSON
 * object). `aws-sm:///SECRET_ID` takes the region from the AWS SDK (`AWS_REGION`). Or give the
 * options alone: `keys.awsSecretsManager({ region, secretId, field })`.
 *
 * The identity keycard runs as needs `secretsmanager:GetSecretValue` on the secret, and
 * `kms:Decrypt` on its KMS key when that is a customer managed key. The key's age is the version's
 * creation time (`CreatedDate`). Credentials come from the AWS SDK's standard chain unless
 * `credentials` are given; keycard registers them with the redactor when the SDK resolves them.
 *
 * @example
 * const openai = await createClient('openai', keys.awsSecretsManager('aws-sm://eu-west-1/prod/openai#api_key'));
 * // the same, as a spec string:
 * await createClient('openai', 'aws-sm://eu-west-1/prod/openai#api_key');
 */
export function awsSecretsManager(
  spec: string | AwsSecretsManagerOptions,
  options: AwsSecretsManagerOptions = {},
): KeySource {
  let given: AwsSecretsManagerOptions;
  let parsed: AwsSecretLocation | undefined;
  if (typeof spec === 'string') {
    parsed = parseAwsSecretSpec(spec);
    given = options;
  } else if (typeof spec === 'object' && spec !== null) {
    given = { ...spec, ...options };
  } else {
    throw new TypeError(`${WHERE} needs a spec string (aws-sm://REGION/SECRET_ID#field) or options`);
  }
  const text = (name: string, value: unknown, pattern: RegExp): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value.trim())) {
      throw new TypeError(`${WHERE}: ${name} is not valid`);
    }
    return value.trim();
  };
  const secretId = text('secretId', given.secretId, SECRET_ID) ?? parsed?.secretId;
  if (secretId === undefined) throw new TypeError(`${WHERE}: secretId (or a spec string) is needed`);
  if (looksLikeKey(secretId)) throw new TypeError(`${WHERE}: secretId looks like a key, not a secret name`);
  const location: AwsSecretLocation = {
    secretId,
    // An ARN names its region: it serves when neither the options nor the spec do.
    region:
      text('region', given.region?.toLowerCase(), REGION) ??
      parsed?.region ??
      /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretId)?.[1],
    field: text('field', given.field, /^.{1,256}$/s) ?? parsed?.field,
    versionStage: text('versionStage', given.versionStage, STAGE) ?? parsed?.versionStage,
    versionId: text('versionId', given.versionId, VERSION_ID) ?? parsed?.versionId,
  };
  const { ttlMs, graceMs, timeoutMs } = storeTimings(WHERE, given);
  if (
    given.maxAttempts !== undefined &&
    !(Number.isSafeInteger(given.maxAttempts) && given.maxAttempts >= 1 && given.maxAttempts <= 10)
  ) {
    throw new TypeError(`${WHERE}: maxAttempts must be a whole number from 1 to 10`);
  }
  const endpoint =
    given.endpoint === undefined
      ? undefined
      : storeEndpoint(WHERE, 'endpoint', given.endpoint, 'https://secretsmanager.eu-west-1.amazonaws.com');
  let credentials: AwsCredentials | AwsCredentialsProvider | undefined;
  if (typeof given.credentials === 'function') {
    credentials = registering(given.credentials);
  } else if (given.credentials !== undefined) {
    const fixed = given.credentials;
    if (
      typeof fixed !== 'object' ||
      fixed === null ||
      typeof fixed.accessKeyId !== 'string' ||
      typeof fixed.secretAccessKey !== 'string'
    ) {
      throw new TypeError(
        `${WHERE}: credentials must hold accessKeyId and secretAccessKey, or be a provider`,
      );
    }
    registerCredentials(fixed);
    // A copy: the caller's object is not kept on anything keycard returns.
    credentials = { ...fixed };
  }
  let module: SecretsManagerModule | undefined;
  if (given.sdk !== undefined) {
    const candidate = given.sdk as Partial<SecretsManagerModule>;
    if (
      typeof candidate.SecretsManagerClient !== 'function' ||
      typeof candidate.GetSecretValueCommand !== 'function'
    ) {
      throw new TypeError(
        `${WHERE}: sdk must be the @aws-sdk/client-secrets-manager module (with SecretsManagerClient and GetSecretValueCommand)`,
      );
    }
    module = candidate as SecretsManagerModule;
  }
  const described = describeLocation(location);
  const where = `the secret ${location.secretId}${versionWords(location)}${location.region === undefined ? '' : ` in ${location.region}`}`;
  let client: SecretsManagerClientLike | undefined;

  const fail = storeFailure(described);

  async function clientFor(
    provider: ProviderId | undefined,
  ): Promise<[SecretsManagerClientLike, SecretsManagerModule]> {
    module ??= await loadStoreSdk<SecretsManagerModule>(
      PACKAGE,
      `${PACKAGE}@3`,
      'the AWS SDK for Secrets Manager',
      described,
      provider,
    );
    client ??= newClient(module, location.region, endpoint, credentials, given.maxAttempts);
    return [client, module];
  }

  function translate(error: unknown, provider: ProviderId | undefined, timedOut: boolean): CredentialError {
    if (CredentialError.is(error)) return error;
    const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkError;
    const name = typeof sdk.name === 'string' ? sdk.name : '';
    const code = typeof sdk.code === 'string' ? sdk.code : '';
    const status =
      typeof sdk.$metadata?.httpStatusCode === 'number' ? sdk.$metadata.httpStatusCode : undefined;
    const requestId = typeof sdk.$metadata?.requestId === 'string' ? sdk.$metadata.requestId : undefined;
    const said = storeText(sdk.message);
    const quoted = said === '' ? '' : ` (${said})`;
    const extra = { status, requestId };
    if (timedOut) {
      return fail(
        'source_unavailable',
        `${STORE} did not answer within ${timeoutMs} ms while reading ${where}.`,
        'Check that Secrets Manager (or the VPC endpoint) is reachable from here, then try again.',
        provider,
        { retryable: true },
      );
    }
    switch (name) {
      case 'ResourceNotFoundException':
        return fail(
          'missing',
          `${STORE} has no ${where.replace(/^the /, '')}${quoted}.`,
          location.versionStage !== undefined || location.versionId !== undefined
            ? 'Check the secret name or ARN, the region and the version (aws secretsmanager list-secret-version-ids --secret-id …).'
            : 'Check the secret name or ARN and the region (aws secretsmanager describe-secret --secret-id …), or create it.',
          provider,
          extra,
        );
      case 'InvalidRequestException':
        return fail(
          'missing',
          `${STORE} cannot read ${where}${quoted}; it may be scheduled for deletion.`,
          'Restore the secret (aws secretsmanager restore-secret --secret-id …) or point to another one.',
          provider,
          extra,
        );
      case 'AccessDeniedException':
      case 'DecryptionFailure':
        return fail(
          'source_unavailable',
          `${STORE} refused to give ${where} to the identity keycard runs as${quoted}.`,
          'Allow secretsmanager:GetSecretValue on the secret to that identity (IAM policy or the secret’s resource policy), and kms:Decrypt on its KMS key when it is a customer managed key.',
          provider,
          extra,
        );
      case 'UnrecognizedClientException':
      case 'InvalidClientTokenId':
      case 'InvalidSignatureException':
      case 'SignatureDoesNotMatch':
      case 'IncompleteSignature':
      case 'MissingAuthenticationToken':
      case 'ExpiredTokenException':
      case 'ExpiredToken':
        return fail(
          'source_unavailable',
          `${STORE} did not accept the AWS credentials while reading ${where}${quoted}.`,
          'Check the credentials keycard runs with (aws sts get-caller-identity): expired SSO or session credentials need a new login.',
          provider,
          extra,
        );
      case 'CredentialsProviderError':
        return fail(
          'source_unavailable',
          `No AWS credentials were found to read ${where}${quoted}.`,
          'Give the process AWS credentials: AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, an SSO login, or an instance or task role.',
          provider,
          extra,
        );
      case 'ThrottlingException':
      case 'TooManyRequestsException':
      case 'RequestLimitExceeded':
      case 'LimitExceededException':
        return fail(
          'source_unavailable',
          `${STORE} throttled the read of ${where}${quoted}.`,
          'Too many requests to Secrets Manager: raise cacheTtlMs, or try again shortly.',
          provider,
          { ...extra, retryable: true },
        );
      default:
        break;
    }
    if (/region is missing/i.test(said)) {
      return fail(
        'source_unavailable',
        `No AWS region is set to read ${where}.`,
        'Put the region in the spec (aws-sm://eu-west-1/…), or set AWS_REGION.',
        provider,
      );
    }
    if (sdk.$fault === 'server' || (status !== undefined && status >= 500)) {
      return fail(
        'source_unavailable',
        `${STORE} failed (${status === undefined ? name || 'server error' : `HTTP ${status}`}) while reading ${where}${quoted}.`,
        'Secrets Manager is unavailable for now; try again shortly.',
        provider,
        { ...extra, retryable: true },
      );
    }
    if (NETWORK_CODES.has(code) || name === 'TimeoutError' || name === 'AbortError') {
      return fail(
        'source_unavailable',
        `${STORE} could not be reached (${code || name}) while reading ${where}.`,
        'Check that Secrets Manager (or the VPC endpoint) is reachable from here, then try again.',
        provider,
        { retryable: true },
      );
    }
    if (status !== undefined && status >= 200 && status < 300) {
      // A 2xx the SDK could not read: a proxy's page, a cut-off body.
      return fail(
        'source_unavailable',
        `The answer for ${where} is not what ${STORE} sends.`,
        'Check the endpoint (a proxy or a captive portal may answer in its place), then try again.',
        provider,
        { ...extra, retryable: true },
      );
    }
    return fail(
      'source_unavailable',
      `${STORE} could not read ${where}${name === '' ? '' : ` (${name}${said === '' ? '' : `: ${said}`})`}.`,
      'Check the secret id, the region and the credentials, then try again.',
      provider,
      { ...extra, retryable: status === undefined || status === 408 || status === 429 },
    );
  }

  async function read(provider: ProviderId | undefined, signal: AbortSignal) {
    const [sm, sdkModule] = await clientFor(provider);
    const limit = deadline(signal, timeoutMs);
    let answer: SecretsManagerResponse;
    try {
      answer = await sm.send(
        new sdkModule.GetSecretValueCommand({
          SecretId: location.secretId,
          ...(location.versionStage === undefined ? {} : { VersionStage: location.versionStage }),
          ...(location.versionId === undefined ? {} : { VersionId: location.versionId }),
        }),
        { abortSignal: limit.signal },
      );
    } catch (error) {
      throw translate(error, provider, limit.timedOut());
    } finally {
      limit.done();
    }
    if (typeof answer.SecretString !== 'string') {
      throw fail(
        'malformed',
        answer.SecretBinary === undefined
          ? `${capitalise(where)} in ${STORE} has no value.`
          : `${capitalise(where)} in ${STORE} holds binary data (SecretBinary), not text.`,
        'Store the key as a secret string (aws secretsmanager put-secret-value --secret-string …).',
        provider,
      );
    }
    const raw = keyInSecret(answer.SecretString, location.field, {
      source: described,
      what: `${where} in ${STORE}`,
      provider,
    });
    const value = cleanKeyValue(raw, { source: described, provider });
    const created = answer.CreatedDate;
    return {
      value,
      changedAt: created instanceof Date && !Number.isNaN(created.getTime()) ? created : undefined,
    };
  }

  return cachedRemoteSource({ describe: described, store: STORE, ttlMs, graceMs, read });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What `copyToAwsSecretsManager()` did. @internal */
export interface AwsCopyResult {
  /** Whether the secret was created (else a new version was added). */
  created: boolean;
  /** The id of the new version. */
  versionId: string | undefined;
}

/**
 * Writes `value` into AWS Secrets Manager at `spec` (`aws-sm://REGION/SECRET_ID[#field]`), for
 * `keycard keys copy`: a new version of the secret (`PutSecretValue`), or a new secret
 * (`CreateSecret`) when there is none. With `#field`, the field is set in the secret's JSON object
 * (read first with `GetSecretValue`; other fields are kept). Credentials from the standard chain.
 * Never puts the value in a message.
 * @internal
 */
export async function copyToAwsSecretsManager(
  spec: string,
  value: string,
  options: { timeoutMs?: number | undefined } = {},
): Promise<AwsCopyResult> {
  const location = parseAwsSecretSpec(spec);
  if (location.versionStage !== undefined || location.versionId !== undefined) {
    throw new KeySpecError('A copy writes a new current version: leave ?stage= and ?versionId= out.', FORMS);
  }
  const described = describeLocation(location);
  const timeoutMs = milliseconds('keycard keys copy', 'timeoutMs', options.timeoutMs, 30_000);
  const module = await loadStoreSdk<SecretsManagerModule>(
    PACKAGE,
    `${PACKAGE}@3`,
    'the AWS SDK for Secrets Manager',
    described,
    undefined,
  );
  const { PutSecretValueCommand, CreateSecretCommand, GetSecretValueCommand } = module;
  if (PutSecretValueCommand === undefined || CreateSecretCommand === undefined) {
    throw new TypeError('keycard keys copy: the AWS SDK has no PutSecretValueCommand or CreateSecretCommand');
  }
  const client = newClient(module, location.region, undefined, undefined, undefined);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
  const send = (command: unknown) => client.send(command, { abortSignal: controller.signal });
  const fail = (error: unknown): CredentialError => {
    if (CredentialError.is(error)) return error;
    const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkError;
    const name = typeof sdk.name === 'string' ? sdk.name : 'Error';
    const said = storeText(sdk.message);
    const denied = name === 'AccessDeniedException';
    return new CredentialError({
      reason: 'source_unavailable',
      message: `${STORE} did not take the key for the secret ${location.secretId} (${controller.signal.aborted ? `no answer within ${timeoutMs} ms` : `${name}${said === '' ? '' : `: ${said}`}`}).`,
      hint: denied
        ? 'Allow secretsmanager:PutSecretValue on the secret (CreateSecret for a new one, GetSecretValue to set a #field), and kms:GenerateDataKey on a customer managed KMS key.'
        : 'Check the region, the secret id and the AWS credentials (aws sts get-caller-identity), then try again.',
      source: described,
    });
  };
  try {
    let text = value;
    let exists = true;
    if (location.field !== undefined) {
      let current: string | undefined;
      try {
        current = (await send(new GetSecretValueCommand({ SecretId: location.secretId }))).SecretString;
      } catch (error) {
        if ((error as SdkError)?.name !== 'ResourceNotFoundException') throw error;
        exists = false;
      }
      if (exists && current === undefined) {
        throw new CredentialError({
          reason: 'malformed',
          message: `The secret ${location.secretId} in ${STORE} holds binary data, so keycard cannot set its field "${location.field}".`,
          hint: 'Copy to the whole secret (leave #field out), or to another secret.',
          source: described,
        });
      }
      let object: Record<string, unknown> = {};
      if (current !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(current);
        } catch {
          parsed = undefined;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw new CredentialError({
            reason: 'malformed',
            message: `The secret ${location.secretId} in ${STORE} is not a JSON object, so keycard cannot set its field "${location.field}".`,
            hint: 'Copy to the whole secret (leave #field out), or to another secret.',
            source: described,
          });
        }
        object = parsed as Record<string, unknown>;
      }
      object[location.field] = value;
      text = JSON.stringify(object);
    }
    if (exists) {
      try {
        const answer = await send(
          new PutSecretValueCommand({ SecretId: location.secretId, SecretString: text }),
        );
        return { created: false, versionId: answer.VersionId };
      } catch (error) {
        if ((error as SdkError)?.name !== 'ResourceNotFoundException') throw error;
      }
    }
    const answer = await send(new CreateSecretCommand({ Name: location.secretId, SecretString: text }));
    return { created: true, versionId: answer.VersionId };
  } catch (error) {
    throw fail(error);
  } finally {
    clearTimeout(timer);
  }
}
