/**
 * `keycard keys copy NAME aws-sm://…`: a key from the local keystore into AWS Secrets Manager (the
 * simulator, through the real AWS SDK and the standard AWS environment): a new secret, a new
 * version of one, a field set in a JSON secret with its other fields kept, access denied with the
 * permissions to grant, other stores refused; nothing printed holds the key or the credentials.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/keys/index.js';
import {
  type AwsSecretsManagerSimulator,
  type SimulatedAwsCredentials,
  startAwsSecretsManagerSimulator,
} from '../../src/testing/index.js';
import { CLEAR_KEY, type CliResult, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const passphrase = 'cli keys copy passphrase words';
const key = testKey('openai', 'cli-keys-copy');
let path: string;
let aws: AwsSecretsManagerSimulator;
let credentials: SimulatedAwsCredentials;

beforeAll(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'keycard-cli-copy-')), 'keys.json');
  aws = await startAwsSecretsManagerSimulator();
  credentials = aws.createCredentials();
  const added = await keycard(['keys', 'add', 'openai', '--path', path], {
    env: { KEYCARD_PASSPHRASE: passphrase },
    input: key,
  });
  expect(added.code).toBe(0);
});

afterAll(async () => {
  await aws.close();
});

function copy(spec: string, using: SimulatedAwsCredentials = credentials): Promise<CliResult> {
  return keycard(['keys', 'copy', 'openai', spec, '--path', path], {
    env: {
      KEYCARD_PASSPHRASE: passphrase,
      AWS_PROFILE: undefined,
      AWS_REGION: undefined,
      AWS_CONFIG_FILE: '/nonexistent/keycard-test-aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/keycard-test-aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint,
      AWS_ACCESS_KEY_ID: using.accessKeyId,
      AWS_SECRET_ACCESS_KEY: using.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
    },
  });
}

function read(spec: string) {
  return keys.awsSecretsManager(spec, { endpoint: aws.endpoint, credentials }).resolve();
}

function expectNothingSecret(result: CliResult): void {
  const output = result.stdout + result.stderr;
  expect(output).not.toMatch(CLEAR_KEY);
  for (const value of [key, passphrase, credentials.accessKeyId, credentials.secretAccessKey]) {
    expect(output).not.toContain(value);
  }
}

describe('keycard keys copy', () => {
  it('creates the secret, then adds a new version of it', async () => {
    const created = await copy('aws-sm://eu-west-1/copied/openai');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(
      `Copied openai (sk-proj-****${key.slice(-4)}) to aws-sm://eu-west-1/copied/openai: a new secret`,
    );
    expect((await read('aws-sm://eu-west-1/copied/openai')).reveal()).toBe(key);
    const again = await copy('aws-sm://eu-west-1/copied/openai');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('a new current version');
    expect(
      aws.requests
        .filter((request) => request.operation !== 'GetSecretValue')
        .map((request) => request.operation),
    ).toEqual(['PutSecretValue', 'CreateSecret', 'PutSecretValue']);
    expectNothingSecret(created);
    expectNothingSecret(again);
  });

  it('sets one field of a JSON secret and keeps the others', async () => {
    const other = testKey('anthropic', 'cli-keys-copy-other');
    aws.putSecretValue('team/config', JSON.stringify({ other, api_key: 'old-value-here' }));
    const result = await copy('aws-sm://eu-west-1/team/config#api_key');
    expect(result.code).toBe(0);
    expect((await read('aws-sm://eu-west-1/team/config#api_key')).reveal()).toBe(key);
    expect((await read('aws-sm://eu-west-1/team/config#other')).reveal()).toBe(other);
    const fresh = await copy('aws-sm://eu-west-1/team/new#api_key');
    expect(fresh.stdout).toContain('a new secret');
    expect((await read('aws-sm://eu-west-1/team/new')).reveal()).toBe(key);
    aws.putSecretValue('plain-text', 'not json at all');
    const refused = await copy('aws-sm://eu-west-1/plain-text#api_key');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not a JSON object');
    aws.putSecretValue('binary', new Uint8Array([1, 2, 3]));
    const binary = await copy('aws-sm://eu-west-1/binary#api_key');
    expect(binary.code).toBe(1);
    expect(binary.stderr).toContain('binary data');
  });

  it('says which permissions to grant when access is denied, and refuses other stores', async () => {
    const readOnly = aws.createCredentials({ readOnly: true });
    const denied = await copy('aws-sm://eu-west-1/denied/openai', readOnly);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('secretsmanager:PutSecretValue');
    expect(denied.stderr).not.toContain(readOnly.secretAccessKey);
    expectNothingSecret(denied);
    const vault = await copy('vault:///secret/openai#api_key');
    expect(vault.code).toBe(2);
    expect(vault.stderr).toContain('AWS Secrets Manager only');
    const stage = await copy('aws-sm://eu-west-1/copied/openai?stage=AWSPREVIOUS');
    expect(stage.code).not.toBe(0);
  });
});
