/**
 * An AWS Secrets Manager endpoint for tests and demos, written from the service's public API
 * reference (AWS JSON 1.1: `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue`), so that
 * `@aws-sdk/client-secrets-manager` runs unchanged against it over real HTTP. It serves
 * `GetSecretValue` with versions and staging labels (`AWSCURRENT`, `AWSPREVIOUS`), checks that
 * each request is SigV4-signed by credentials it issued (the signature itself is not verified),
 * refuses secrets outside an identity's list, and fails on demand. Its request log never holds a
 * credential or a secret value.
 *
 * @example
 * const aws = await startAwsSecretsManagerSimulator();
 * aws.putSecretValue('prod/openai', JSON.stringify({ api_key: key }));
 * const source = keys.awsSecretsManager('aws-sm://eu-west-1/prod/openai#api_key', {
 *   endpoint: aws.endpoint,
 *   credentials: aws.createCredentials(),
 * });
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type CommonStoreFault,
  faultTimes,
  type QueuedFault,
  type StoreReply,
  type StoreRequest,
  startStoreServer,
} from './store-server.js';

/** Options of `startAwsSecretsManagerSimulator()`. */
export interface AwsSecretsManagerSimulatorOptions {
  /**
   * Port on 127.0.0.1.
   * @default 0 (a free port chosen by the system; read it from `endpoint`)
   */
  port?: number | undefined;
  /**
   * The account id in ARNs.
   * @default '123456789012'
   */
  accountId?: string | undefined;
}

/**
 * A fault for the next request(s), queued by `fail()`:
 * - `{ error }`: an AWS error, e.g. `AccessDeniedException` (400), `ThrottlingException` (400),
 *   `InternalServiceError` (500), with its `__type` body and `x-amzn-errortype` header;
 * - `{ status }`: that HTTP status with an `InternalFailure` body (500, 502, 503);
 * - `{ hang: true }`: no answer at all; `{ garbage: true }`: a 200 that is not JSON;
 * - `{ delayMs }`: the normal answer, that much later.
 */
export type AwsSecretsManagerFault = {
  /** The secret (name or ARN, as sent) it applies to. @default every request */
  secretId?: string | undefined;
  /** How many matching requests take it (`Infinity`: all of them). @default 1 */
  times?: number | undefined;
} & (
  | CommonStoreFault
  | {
      /** The AWS error name (`__type`). */
      error: string;
      /** @default 500 for `InternalServiceError` and `ServiceUnavailable`, else 400 */
      status?: number | undefined;
      /** @default AWS's text for the error */
      message?: string | undefined;
    }
  | {
      /** An HTTP status (5xx) with an `InternalFailure` body. */
      status: number;
    }
);

/** One request the simulator received. It never holds a credential or a secret value. */
export interface AwsSecretsManagerRequestRecord {
  /** The operation, from `X-Amz-Target` without its prefix: `GetSecretValue`. */
  readonly operation: string;
  /** The `SecretId` asked for. */
  readonly secretId: string | undefined;
  readonly versionStage: string | undefined;
  readonly versionId: string | undefined;
  /** The region of the signature's credential scope. */
  readonly region: string | undefined;
  /** Whether the request was SigV4-signed by credentials the simulator issued (and not revoked). */
  readonly signedByKnownCredentials: boolean;
  /** The fault the request took, if any. */
  readonly fault: string | null;
  /** The status answered; `null` while unanswered, and for a hang. */
  readonly status: number | null;
  /** The AWS error answered (`__type`), if any. */
  readonly error: string | null;
}

/** Credentials the simulator issued: what `credentials` of the AWS SDK takes. */
export interface SimulatedAwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** A running AWS Secrets Manager simulator. */
export interface AwsSecretsManagerSimulator {
  /** `http://127.0.0.1:PORT`: the `endpoint` to give the SDK (any region is accepted). */
  readonly endpoint: string;
  /**
   * Writes a new version of the secret (creating it): a string, or bytes (`SecretBinary`). The
   * new version takes `stages` (default `AWSCURRENT`); a version losing `AWSCURRENT` gets
   * `AWSPREVIOUS`, as `PutSecretValue` does. Returns the version id.
   */
  putSecretValue(
    name: string,
    value: string | Uint8Array,
    options?: {
      /** The staging labels of the new version. @default ['AWSCURRENT'] */
      stages?: string[] | undefined;
      /** Its `CreatedDate`. @default now */
      createdAt?: Date | undefined;
    },
  ): string;
  /** Removes the secret and all its versions. */
  deleteSecret(name: string): void;
  /** The secret's ARN. */
  arn(name: string): string;
  /**
   * New credentials the simulator accepts: an `AKIA…` access key id, or `ASIA…` with a session
   * token. `secrets` limits what they may read (names); others answer `AccessDeniedException`.
   */
  createCredentials(options?: {
    /** Issue temporary credentials with a session token. @default false */
    session?: boolean | undefined;
    /** The secrets (names) these credentials may read (and write). @default every secret */
    secrets?: string[] | undefined;
    /** Refuse `PutSecretValue` and `CreateSecret` (`AccessDeniedException`). @default false */
    readOnly?: boolean | undefined;
  }): SimulatedAwsCredentials;
  /** Makes credentials invalid at once (`UnrecognizedClientException`). */
  revokeCredentials(accessKeyId: string): void;
  /** Queues a fault for the next matching request(s). */
  fail(fault: AwsSecretsManagerFault): void;
  /** Every request received, oldest first (a copy). */
  readonly requests: readonly AwsSecretsManagerRequestRecord[];
  /** How many requests match: an operation and a secret id. */
  count(filter?: { operation?: string | undefined; secretId?: string | undefined }): number;
  /** Clears the request log. */
  resetRequests(): void;
  /** Stops the server and ends every connection, hanging requests included. */
  close(): Promise<void>;
}

interface Version {
  id: string;
  value: string | Uint8Array;
  stages: Set<string>;
  createdAt: Date;
}

interface StoredSecret {
  name: string;
  arn: string;
  versions: Version[];
}

interface Identity {
  secretAccessKey: string;
  sessionToken: string | undefined;
  secrets: Set<string> | undefined;
  readOnly: boolean;
}

type MutableRecord = {
  -readonly [K in keyof AwsSecretsManagerRequestRecord]: AwsSecretsManagerRequestRecord[K];
};

const JSON_TYPE = 'application/x-amz-json-1.1';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const MESSAGES: Record<string, string> = {
  AccessDeniedException:
    'User: arn:aws:iam::{account}:user/keycard-test is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret} because no identity-based policy allows the secretsmanager:GetSecretValue action',
  ThrottlingException: 'Rate exceeded',
  InternalServiceError: 'An error occurred on the server side.',
  ResourceNotFoundException: "Secrets Manager can't find the specified secret.",
  DecryptionFailure: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
};

function random(length: number, alphabet: string): string {
  let text = '';
  for (const byte of randomBytes(length)) text += alphabet[byte % alphabet.length];
  return text;
}

/** Starts an AWS Secrets Manager simulator on 127.0.0.1. */
export async function startAwsSecretsManagerSimulator(
  options: AwsSecretsManagerSimulatorOptions = {},
): Promise<AwsSecretsManagerSimulator> {
  const accountId = options.accountId ?? '123456789012';
  const secrets = new Map<string, StoredSecret>();
  const identities = new Map<string, Identity>();
  const faults: QueuedFault<AwsSecretsManagerFault>[] = [];
  const log: MutableRecord[] = [];
  const records = new WeakMap<StoreRequest, MutableRecord>();

  const arnOf = (name: string) =>
    `arn:aws:secretsmanager:us-east-1:${accountId}:secret:${name}-${random(6, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;

  function find(secretId: string): StoredSecret | undefined {
    const byName = secrets.get(secretId);
    if (byName !== undefined) return byName;
    for (const secret of secrets.values()) {
      // A full ARN, or a partial one without the 6-character suffix.
      if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
    }
    return undefined;
  }

  const awsError = (name: string, status: number, message: string): StoreReply => ({
    status,
    headers: {
      'content-type': JSON_TYPE,
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazonaws.secretsmanager/`,
    },
    text: JSON.stringify({ __type: name, message }),
  });

  function parseBody(request: StoreRequest): Record<string, unknown> | undefined {
    try {
      const parsed: unknown = JSON.parse(request.body === '' ? '{}' : request.body);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** The record of a request, made on first sight. */
  function recordOf(request: StoreRequest): MutableRecord {
    const known = records.get(request);
    if (known !== undefined) return known;
    const target = request.header('x-amz-target') ?? '';
    const body = parseBody(request) ?? {};
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/secretsmanager\/aws4_request/.exec(
      request.header('authorization') ?? '',
    );
    const identity = scope === null ? undefined : identities.get(scope[1] ?? '');
    const record: MutableRecord = {
      operation: target.replace(/^secretsmanager\./, ''),
      secretId: text(body['SecretId']) ?? text(body['Name']),
      versionStage: text(body['VersionStage']),
      versionId: text(body['VersionId']),
      region: scope?.[2],
      signedByKnownCredentials:
        identity !== undefined &&
        (identity.sessionToken === undefined ||
          request.header('x-amz-security-token') === identity.sessionToken),
      fault: null,
      status: null,
      error: null,
    };
    records.set(request, record);
    log.push(record);
    return record;
  }

  function putVersion(
    name: string,
    value: string | Uint8Array,
    putOptions: { stages?: string[] | undefined; createdAt?: Date | undefined },
  ): Version {
    let secret = secrets.get(name);
    if (secret === undefined) {
      secret = { name, arn: arnOf(name), versions: [] };
      secrets.set(name, secret);
    }
    const stages = new Set(putOptions.stages ?? ['AWSCURRENT']);
    const wasCurrent = stages.has('AWSCURRENT')
      ? secret.versions.find((version) => version.stages.has('AWSCURRENT'))
      : undefined;
    for (const version of secret.versions) {
      for (const stage of stages) version.stages.delete(stage);
    }
    if (wasCurrent !== undefined) {
      for (const version of secret.versions) version.stages.delete('AWSPREVIOUS');
      wasCurrent.stages.add('AWSPREVIOUS');
    }
    const version: Version = {
      id: randomUUID(),
      value: typeof value === 'string' ? value : new Uint8Array(value),
      stages,
      createdAt: putOptions.createdAt ?? new Date(),
    };
    secret.versions.push(version);
    return version;
  }

  /** `PutSecretValue` (a new version of a secret that exists) and `CreateSecret` (a new secret). */
  function writeSecretValue(
    record: MutableRecord,
    identity: Identity,
    body: Record<string, unknown>,
  ): StoreReply {
    const name = record.secretId;
    const value = body['SecretString'];
    if (name === undefined || name === '' || typeof value !== 'string') {
      return awsError('InvalidParameterException', 400, 'You must provide a secret id and a SecretString.');
    }
    const existing = find(name);
    const action = `secretsmanager:${record.operation}`;
    if (
      identity.readOnly ||
      (identity.secrets !== undefined && !identity.secrets.has(existing?.name ?? name))
    ) {
      return awsError(
        'AccessDeniedException',
        400,
        `User: arn:aws:iam::${accountId}:user/keycard-test is not authorized to perform: ${action} on resource: ${existing?.arn ?? name} because no identity-based policy allows the ${action} action`,
      );
    }
    if (record.operation === 'CreateSecret' && existing !== undefined) {
      return awsError(
        'ResourceExistsException',
        400,
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    if (record.operation === 'PutSecretValue' && existing === undefined) {
      return awsError('ResourceNotFoundException', 400, MESSAGES['ResourceNotFoundException'] ?? '');
    }
    const version = putVersion(existing?.name ?? name, value, {});
    const secret = find(existing?.name ?? name) as StoredSecret;
    return {
      status: 200,
      headers: { 'content-type': JSON_TYPE, 'x-amzn-requestid': randomUUID() },
      text: JSON.stringify({
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        ...(record.operation === 'PutSecretValue' ? { VersionStages: [...version.stages] } : {}),
      }),
    };
  }

  function getSecretValue(record: MutableRecord, identity: Identity): StoreReply {
    const secretId = record.secretId;
    if (secretId === undefined || secretId === '') {
      return awsError('InvalidParameterException', 400, 'You must provide a SecretId.');
    }
    const secret = find(secretId);
    if (identity.secrets !== undefined && (secret === undefined || !identity.secrets.has(secret.name))) {
      return awsError(
        'AccessDeniedException',
        400,
        (MESSAGES['AccessDeniedException'] ?? '')
          .replace('{account}', accountId)
          .replace('{secret}', secret?.arn ?? secretId),
      );
    }
    if (secret === undefined) {
      return awsError('ResourceNotFoundException', 400, MESSAGES['ResourceNotFoundException'] ?? '');
    }
    let version: Version | undefined;
    if (record.versionId !== undefined) {
      version = secret.versions.find((candidate) => candidate.id === record.versionId);
      if (
        version === undefined ||
        (record.versionStage !== undefined && !version.stages.has(record.versionStage))
      ) {
        return awsError(
          'ResourceNotFoundException',
          400,
          `Secrets Manager can't find the specified secret value for VersionId: ${record.versionId}`,
        );
      }
    } else {
      const stage = record.versionStage ?? 'AWSCURRENT';
      version = secret.versions.find((candidate) => candidate.stages.has(stage));
      if (version === undefined) {
        return awsError(
          'ResourceNotFoundException',
          400,
          `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
        );
      }
    }
    const value =
      typeof version.value === 'string'
        ? { SecretString: version.value }
        : { SecretBinary: Buffer.from(version.value).toString('base64') };
    return {
      status: 200,
      headers: { 'content-type': JSON_TYPE, 'x-amzn-requestid': randomUUID() },
      text: JSON.stringify({
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        ...value,
        VersionStages: [...version.stages],
        CreatedDate: version.createdAt.getTime() / 1000,
      }),
    };
  }

  const server = await startStoreServer<AwsSecretsManagerFault>({
    port: options.port,
    faults,
    tookFault(request, kind) {
      recordOf(request).fault = kind;
    },
    onFault(fault, request) {
      const record = recordOf(request);
      if ('error' in fault) {
        record.fault = 'error';
        const status =
          fault.status ??
          (fault.error === 'InternalServiceError' || fault.error === 'ServiceUnavailable' ? 500 : 400);
        const message = (fault.message ?? MESSAGES[fault.error] ?? fault.error)
          .replace('{account}', accountId)
          .replace('{secret}', record.secretId ?? '');
        return awsError(fault.error, status, message);
      }
      if ('status' in fault) {
        record.fault = 'status';
        return awsError(
          'InternalFailure',
          fault.status,
          'The request processing has failed because of an unknown error, exception or failure.',
        );
      }
      return undefined;
    },
    garbage: { status: 200, headers: { 'content-type': 'text/html' }, text: '<html><body>Gateway' },
    route(request) {
      const record = recordOf(request);
      if (request.method !== 'POST' || request.url.pathname !== '/') {
        return awsError('UnknownOperationException', 404, 'Unknown operation');
      }
      if (!(request.header('content-type') ?? '').startsWith(JSON_TYPE)) {
        return awsError('SerializationException', 400, `Expected Content-Type ${JSON_TYPE}`);
      }
      if (parseBody(request) === undefined) {
        return awsError('SerializationException', 400, 'Start of structure or map found where not expected.');
      }
      const authorization = request.header('authorization');
      if (authorization === undefined) {
        return awsError('MissingAuthenticationTokenException', 400, 'Missing Authentication Token');
      }
      if (
        !/^AWS4-HMAC-SHA256 Credential=[^,]+, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.test(
          authorization,
        )
      ) {
        return awsError(
          'IncompleteSignatureException',
          400,
          'Authorization header requires Credential, SignedHeaders and Signature.',
        );
      }
      const accessKeyId = /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? '';
      const identity = identities.get(accessKeyId);
      if (identity === undefined || !record.signedByKnownCredentials) {
        return awsError(
          'UnrecognizedClientException',
          400,
          'The security token included in the request is invalid.',
        );
      }
      if (record.operation === 'PutSecretValue' || record.operation === 'CreateSecret') {
        return writeSecretValue(record, identity, parseBody(request) ?? {});
      }
      if (record.operation !== 'GetSecretValue') {
        return awsError('UnknownOperationException', 400, `Unknown operation ${record.operation}`);
      }
      return getSecretValue(record, identity);
    },
    answered(request, reply) {
      const record = recordOf(request);
      record.status = reply.status;
      const type = reply.headers?.['x-amzn-errortype'];
      record.error = type === undefined ? null : (type.split(':')[0] ?? null);
    },
  });

  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    putSecretValue: (name, value, putOptions = {}) => putVersion(name, value, putOptions).id,
    deleteSecret(name) {
      secrets.delete(name);
    },
    arn(name) {
      const secret = secrets.get(name);
      if (secret === undefined) throw new Error(`startAwsSecretsManagerSimulator: no secret ${name}`);
      return secret.arn;
    },
    createCredentials(credentialOptions = {}) {
      const session = credentialOptions.session === true;
      const accessKeyId = `${session ? 'AS' : 'AK'}IA${random(16, UPPER_DIGITS)}`;
      const secretAccessKey = randomBytes(30).toString('base64');
      const sessionToken = session ? randomBytes(96).toString('base64') : undefined;
      identities.set(accessKeyId, {
        secretAccessKey,
        sessionToken,
        secrets: credentialOptions.secrets === undefined ? undefined : new Set(credentialOptions.secrets),
        readOnly: credentialOptions.readOnly === true,
      });
      return sessionToken === undefined
        ? { accessKeyId, secretAccessKey }
        : { accessKeyId, secretAccessKey, sessionToken };
    },
    revokeCredentials(accessKeyId) {
      identities.delete(accessKeyId);
    },
    fail(fault) {
      const times = faultTimes('startAwsSecretsManagerSimulator', fault.times);
      if (
        'status' in fault &&
        !('error' in fault) &&
        !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)
      ) {
        throw new Error('startAwsSecretsManagerSimulator: fail() needs an HTTP status from 400 to 599');
      }
      faults.push({
        fault,
        left: times,
        matches: (request) => fault.secretId === undefined || recordOf(request).secretId === fault.secretId,
      });
    },
    get requests() {
      return log.map((record) => ({ ...record }));
    },
    count(filter = {}) {
      return log.filter(
        (record) =>
          (filter.operation === undefined || record.operation === filter.operation) &&
          (filter.secretId === undefined || record.secretId === filter.secretId),
      ).length;
    },
    resetRequests() {
      log.length = 0;
    },
    close: () => server.close(),
  };
}
