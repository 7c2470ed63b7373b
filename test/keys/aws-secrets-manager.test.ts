/**
 * keys.awsSecretsManager() through the real @aws-sdk/client-secrets-manager against the AWS
 * Secrets Manager simulator over loopback: found, versions and stages, missing secret and field,
 * access denied, throttling, 5xx, a hang, garbage, single flight, the grace window, credentials
 * kept out of everything printed or thrown, and the spec strings.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import type { AwsSecretsManagerOptions } from '../../src/keys/stores/aws-secrets-manager.js';
import { redactText } from '../../src/redact/redactor.js';
import {
  type AwsSecretsManagerSimulator,
  type SimulatedAwsCredentials,
  startAwsSecretsManagerSimulator,
} from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection, thrownBy } from '../helpers/rejections.js';

let aws: AwsSecretsManagerSimulator;
let credentials: SimulatedAwsCredentials;
const openaiKey = testKey('openai', 'aws-sm');

/** The AWS variables a developer's shell may hold, cleared so that only the test's credentials count. */
const AWS_VARIABLES = [
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_MAX_ATTEMPTS',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
];

beforeAll(async () => {
  aws = await startAwsSecretsManagerSimulator();
  aws.putSecretValue('prod/openai', JSON.stringify({ api_key: openaiKey, owner: 'team-a' }));
  credentials = aws.createCredentials();
});

afterAll(async () => {
  await aws.close();
});

beforeEach(() => {
  for (const name of AWS_VARIABLES) vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/keycard-test-aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/keycard-test-aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  aws.resetRequests();
  return () => vi.unstubAllEnvs();
});

function source(spec: string, options: AwsSecretsManagerOptions = {}) {
  return keys.awsSecretsManager(spec, { endpoint: aws.endpoint, credentials, maxAttempts: 1, ...options });
}

describe('reading secrets', () => {
  it('reads a field of a JSON secret, with the version creation time as changedAt', async () => {
    const created = new Date(Date.now() - 3 * 86_400_000);
    const key = testKey('anthropic', 'aws-sm-age');
    aws.putSecretValue('team/anthropic', JSON.stringify({ key }), { createdAt: created });
    const reader = source('aws-sm://eu-west-1/team/anthropic#key');
    expect(reader.describe()).toBe('aws-sm://eu-west-1/team/anthropic#key');
    const secret = await reader.resolve({ provider: 'anthropic' });
    expect(secret.reveal()).toBe(key);
    expect(secret.provider).toBe('anthropic');
    expect(secret.source).toBe('aws-sm://eu-west-1/team/anthropic#key');
    expect(secret.changedAt?.getTime()).toBe(created.getTime());
    expect(aws.requests[0]).toMatchObject({
      operation: 'GetSecretValue',
      secretId: 'team/anthropic',
      region: 'eu-west-1',
      signedByKnownCredentials: true,
    });
  });

  it('reads a plain string secret, the only field of a JSON object, and a secret by ARN', async () => {
    const key = testKey('gemini', 'aws-sm-plain');
    aws.putSecretValue('plain', `${key}\n`);
    expect((await source('aws-sm://us-east-1/plain').resolve()).reveal()).toBe(key);
    aws.putSecretValue('single', JSON.stringify({ token: key }));
    expect((await source('aws-sm://us-east-1/single').resolve()).reveal()).toBe(key);
    // By ARN, its region taken from the ARN.
    const arn = aws.arn('plain');
    const byArn = keys.awsSecretsManager({ secretId: arn, endpoint: aws.endpoint, credentials });
    expect(byArn.describe()).toBe(`aws-sm://us-east-1/${arn}`);
    expect((await byArn.resolve()).reveal()).toBe(key);
    expect(aws.requests.at(-1)).toMatchObject({ secretId: arn, region: 'us-east-1' });
  });

  it('reads a version by staging label or version id', async () => {
    const first = testKey('openai', 'aws-sm-v1');
    const second = testKey('openai', 'aws-sm-v2');
    const firstId = aws.putSecretValue('versioned', first);
    aws.putSecretValue('versioned', second);
    expect((await source('aws-sm://us-east-1/versioned').resolve()).reveal()).toBe(second);
    expect((await source('aws-sm://us-east-1/versioned?stage=AWSPREVIOUS').resolve()).reveal()).toBe(first);
    expect((await source(`aws-sm://us-east-1/versioned?versionId=${firstId}`).resolve()).reveal()).toBe(
      first,
    );
    expect(
      (await source('aws-sm://us-east-1/versioned', { versionStage: 'AWSPREVIOUS' }).resolve()).reveal(),
    ).toBe(first);
    expect(aws.requests.map((request) => [request.versionStage, request.versionId])).toEqual([
      [undefined, undefined],
      ['AWSPREVIOUS', undefined],
      [undefined, firstId],
      ['AWSPREVIOUS', undefined],
    ]);
    const missing = await credentialRejection(
      source('aws-sm://us-east-1/versioned?stage=AWSPENDING').resolve(),
    );
    expect(missing.reason).toBe('missing');
    expect(missing.message).toContain('stage AWSPENDING');
  });

  it('names a missing secret or field, never a value', async () => {
    const secret = await credentialRejection(source('aws-sm://us-east-1/nope/openai#api_key').resolve());
    expect(secret).toMatchObject({ reason: 'missing', status: 400 });
    expect(secret.message).toContain('AWS Secrets Manager has no secret nope/openai in us-east-1');
    const field = await credentialRejection(source('aws-sm://us-east-1/prod/openai#apikey').resolve());
    expect(field.reason).toBe('missing');
    expect(field.message).toContain('no field "apikey"');
    expect(field.message).toContain('"api_key", "owner"');
    expect(field.message).not.toContain(openaiKey);
    const none = await credentialRejection(source('aws-sm://us-east-1/prod/openai').resolve());
    expect(none.message).toContain('several fields');
  });

  it('refuses a binary secret and a value that is not a key', async () => {
    aws.putSecretValue('binary', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const binary = await credentialRejection(source('aws-sm://us-east-1/binary').resolve());
    expect(binary.reason).toBe('malformed');
    expect(binary.message).toContain('SecretBinary');
    aws.putSecretValue('two-lines', 'first line\nsecond line');
    const notKey = await credentialRejection(
      source('aws-sm://us-east-1/two-lines').resolve({ provider: 'openai' }),
    );
    expect(notKey.reason).toBe('malformed');
  });
});

describe('when AWS refuses or fails', () => {
  it('maps access denied to source_unavailable naming secretsmanager:GetSecretValue and kms:Decrypt', async () => {
    const limited = aws.createCredentials({ secrets: ['other'] });
    const error = await credentialRejection(
      source('aws-sm://us-east-1/prod/openai#api_key', { credentials: limited }).resolve(),
    );
    expect(error).toMatchObject({ reason: 'source_unavailable', retryable: false, status: 400 });
    expect(error.hint).toContain('secretsmanager:GetSecretValue');
    expect(error.hint).toContain('kms:Decrypt');
    aws.fail({ error: 'AccessDeniedException' });
    expect(
      (await credentialRejection(source('aws-sm://us-east-1/prod/openai#api_key').resolve())).retryable,
    ).toBe(false);
  });

  it('reports unknown or revoked credentials without showing them', async () => {
    const revoked = aws.createCredentials({ session: true });
    const reader = source('aws-sm://us-east-1/prod/openai#api_key', { credentials: revoked });
    expect((await reader.resolve()).reveal()).toBe(openaiKey);
    aws.revokeCredentials(revoked.accessKeyId);
    const error = await credentialRejection(reader.resolve({ fresh: true }));
    expect(error.reason).toBe('source_unavailable');
    expect(error.message).toContain('did not accept the AWS credentials');
    const printed = `${error.message} ${error.hint} ${error.stack} ${inspect(error, { depth: 8 })} ${inspect(reader, { depth: 8 })}`;
    for (const value of [revoked.accessKeyId, revoked.secretAccessKey, revoked.sessionToken ?? 'none']) {
      expect(printed).not.toContain(value);
      // Registered with the redactor: wherever it would be printed, it is replaced.
      expect(redactText(`x ${value} y`)).not.toContain(value);
    }
  });

  it('marks throttling, 5xx, a hang and garbage as retryable source_unavailable', async () => {
    const spec = 'aws-sm://us-east-1/prod/openai#api_key';
    aws.fail({ error: 'ThrottlingException' });
    const throttled = await credentialRejection(source(spec).resolve());
    expect(throttled).toMatchObject({ reason: 'source_unavailable', retryable: true, status: 400 });
    expect(throttled.message).toContain('throttled');
    aws.fail({ error: 'InternalServiceError' });
    expect(await credentialRejection(source(spec).resolve())).toMatchObject({ retryable: true, status: 500 });
    aws.fail({ status: 503 });
    expect(await credentialRejection(source(spec).resolve())).toMatchObject({ retryable: true, status: 503 });
    aws.fail({ hang: true });
    const started = Date.now();
    const hang = await credentialRejection(source(spec, { timeoutMs: 300 }).resolve());
    expect(hang).toMatchObject({ reason: 'source_unavailable', retryable: true });
    expect(hang.message).toContain('did not answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
    aws.fail({ garbage: true });
    const garbage = await credentialRejection(source(spec).resolve());
    expect(garbage).toMatchObject({ reason: 'source_unavailable', retryable: true });
  });

  it('lets the SDK retry a throttled read when maxAttempts allows', async () => {
    aws.fail({ error: 'ThrottlingException' });
    const secret = await source('aws-sm://us-east-1/prod/openai#api_key', { maxAttempts: 2 }).resolve();
    expect(secret.reveal()).toBe(openaiKey);
    expect(aws.count()).toBe(2);
  });

  it('reports a refused connection as retryable', async () => {
    const closed = await startAwsSecretsManagerSimulator();
    const endpoint = closed.endpoint;
    await closed.close();
    const error = await credentialRejection(source('aws-sm://us-east-1/x', { endpoint }).resolve());
    expect(error).toMatchObject({ reason: 'source_unavailable', retryable: true });
  });
});

describe('cache, grace and single flight', () => {
  it('makes one request for 500 concurrent resolves, then serves the cache; fresh asks again', async () => {
    const reader = source('aws-sm://us-east-1/prod/openai#api_key');
    const secrets = await Promise.all(
      Array.from({ length: 500 }, () => reader.resolve({ provider: 'openai' })),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(aws.count({ operation: 'GetSecretValue' })).toBe(1);
    await reader.resolve({ provider: 'openai' });
    expect(aws.count()).toBe(1);
    await reader.resolve({ provider: 'openai', fresh: true });
    expect(aws.count()).toBe(2);
  });

  it('serves the cached key within the grace window during an outage, with a warning', async () => {
    const reader = source('aws-sm://us-east-1/prod/openai#api_key', { cacheTtlMs: 20, staleGraceMs: 5000 });
    const first = await reader.resolve();
    await new Promise((resolve) => setTimeout(resolve, 40));
    aws.fail({ status: 503, times: 2 });
    const warnings: string[] = [];
    expect(await reader.resolve({ onWarning: (message) => warnings.push(message) })).toBe(first);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('AWS Secrets Manager answers again');
    expect(warnings[0]).not.toContain(openaiKey);
    // Not for a fresh read, nor for access denied.
    expect((await credentialRejection(reader.resolve({ fresh: true }))).status).toBe(503);
    aws.fail({ error: 'AccessDeniedException' });
    expect((await credentialRejection(reader.resolve({ onWarning: () => {} }))).retryable).toBe(false);
  });
});

describe('credentials', () => {
  it('uses the standard AWS chain (here the environment) and registers what it gives with the redactor', async () => {
    const chain = aws.createCredentials({ session: true });
    vi.stubEnv('AWS_ACCESS_KEY_ID', chain.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', chain.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', chain.sessionToken);
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');
    const reader = keys.awsSecretsManager('aws-sm:///prod/openai#api_key', { endpoint: aws.endpoint });
    expect(reader.describe()).toBe('aws-sm:///prod/openai#api_key');
    expect((await reader.resolve()).reveal()).toBe(openaiKey);
    expect(aws.requests[0]).toMatchObject({ region: 'ap-southeast-2', signedByKnownCredentials: true });
    for (const value of [chain.accessKeyId, chain.secretAccessKey, chain.sessionToken ?? 'none']) {
      expect(redactText(`x ${value} y`)).not.toContain(value);
    }
  });

  it('takes a credential provider, and says so when no credentials are found', async () => {
    const given = aws.createCredentials();
    let calls = 0;
    const provider = async () => {
      calls += 1;
      return given;
    };
    const reader = source('aws-sm://us-east-1/prod/openai#api_key', { credentials: provider });
    expect((await reader.resolve()).reveal()).toBe(openaiKey);
    expect(calls).toBeGreaterThan(0);
    const none = await credentialRejection(
      keys
        .awsSecretsManager('aws-sm://us-east-1/prod/openai#api_key', {
          endpoint: aws.endpoint,
          maxAttempts: 1,
        })
        .resolve(),
    );
    expect(none.reason).toBe('source_unavailable');
    expect(none.message).toContain('No AWS credentials');
  });
});

describe('the SDK', () => {
  it('can be handed over (a bundle), and must be the Secrets Manager module', async () => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const reader = source('aws-sm://us-east-1/prod/openai#api_key', { sdk });
    expect((await reader.resolve()).reveal()).toBe(openaiKey);
    expect(() => source('aws-sm://us-east-1/prod/openai', { sdk: {} })).toThrow(/SecretsManagerClient/);
  });
});

describe('spec strings', () => {
  it('are read by keys.from', () => {
    expect(keys.from('aws-sm://eu-west-1/prod/openai?stage=AWSPREVIOUS#api_key').describe()).toBe(
      'aws-sm://eu-west-1/prod/openai?stage=AWSPREVIOUS#api_key',
    );
    expect(keys.from('AWS-SM://eu-central-1/a/b/c').describe()).toBe('aws-sm://eu-central-1/a/b/c');
  });

  it.each([
    'aws-sm://eu-west-1',
    'aws-sm://eu-west-1/',
    'aws-sm://not a region/x',
    'aws-sm://eu-west-1/x?stage=',
    'aws-sm://eu-west-1/x?other=1',
    'aws-sm://eu-west-1/x#',
    'aws-sm:eu-west-1/x',
  ])('refuses %s', (spec) => {
    expect(thrownBy(() => keys.from(spec))).toMatchObject({ name: 'KeySpecError' });
  });

  it('does not take a key as a secret id', () => {
    const error = thrownBy(() => keys.from(`aws-sm://eu-west-1/${openaiKey}`));
    expect(String((error as Error).message)).not.toContain(openaiKey);
  });

  it('refuses an endpoint over plain http to another machine', () => {
    expect(() => keys.awsSecretsManager('aws-sm://eu-west-1/x', { endpoint: 'http://example.com' })).toThrow(
      /https/,
    );
  });
});

it('is a CredentialError class instance', async () => {
  const error = await credentialRejection(source('aws-sm://us-east-1/missing').resolve());
  expect(error).toBeInstanceOf(CredentialError);
});
