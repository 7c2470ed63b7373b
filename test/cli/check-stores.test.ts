/**
 * `keycard check` with a key in AWS Secrets Manager or 1Password, given as a spec string: the
 * store is read through the environment a deployment would have (AWS_* variables, OP_CONNECT_*),
 * the key verified live, and neither the key nor the store's credentials printed.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsSecretsManagerSimulator,
  type OnePasswordConnectSimulator,
  type SimulatedAwsCredentials,
  type Simulator,
  startAwsSecretsManagerSimulator,
  startOnePasswordConnectSimulator,
  startSimulator,
} from '../../src/testing/index.js';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';
import { makeTestCertificates } from '../helpers/tls.js';

const key = testKey('openai', 'cli-check-stores');
let simulator: Simulator;
let aws: AwsSecretsManagerSimulator;
let connect: OnePasswordConnectSimulator;
let credentials: SimulatedAwsCredentials;
let token: string;

beforeAll(async () => {
  [simulator, aws, connect] = await Promise.all([
    startSimulator({ keys: [key] }),
    startAwsSecretsManagerSimulator(),
    startOnePasswordConnectSimulator(),
  ]);
  aws.putSecretValue('prod/openai', JSON.stringify({ api_key: key }));
  credentials = aws.createCredentials({ session: true });
  connect.putItem('Production', { title: 'OpenAI', fields: [{ label: 'credential', value: key }] });
  token = connect.createToken();
});

afterAll(async () => {
  await Promise.all([simulator.close(), aws.close(), connect.close()]);
});

const awsEnvironment = () => ({
  OPENAI_API_KEY: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: undefined,
  AWS_CONFIG_FILE: '/nonexistent/keycard-test-aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/keycard-test-aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_SESSION_TOKEN: credentials.sessionToken,
});

function expectNothingSecret(output: string): void {
  expect(output).not.toMatch(CLEAR_KEY);
  for (const value of [
    key,
    credentials.accessKeyId,
    credentials.secretAccessKey,
    credentials.sessionToken ?? '',
    token,
  ]) {
    expect(output).not.toContain(value);
  }
}

describe('keycard check with a store spec', () => {
  it('reads aws-sm:// with the standard AWS environment', async () => {
    const result = await keycard(
      [
        'check',
        'openai',
        'aws-sm://eu-west-1/prod/openai#api_key',
        '--base-url',
        simulator.baseURL('openai'),
      ],
      { env: awsEnvironment() },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('aws-sm://eu-west-1/prod/openai#api_key');
    expect(result.stdout).toContain(`sk-proj-****${key.slice(-4)}`);
    expectNothingSecret(result.stdout + result.stderr);
    expect(aws.requests.at(-1)).toMatchObject({ region: 'eu-west-1', signedByKnownCredentials: true });
  });

  it('reads op:// with OP_CONNECT_HOST and OP_CONNECT_TOKEN', async () => {
    const result = await keycard(
      ['check', 'openai', 'op://Production/OpenAI/credential', '--base-url', simulator.baseURL('openai')],
      { env: { OPENAI_API_KEY: undefined, OP_CONNECT_HOST: connect.url, OP_CONNECT_TOKEN: token } },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('op://Production/OpenAI/credential');
    expect(result.stdout).toContain(`sk-proj-****${key.slice(-4)}`);
    expectNothingSecret(result.stdout + result.stderr);
  });

  it('reads op:// over HTTPS from a Connect server whose CA is in NODE_EXTRA_CA_CERTS', async () => {
    const tls = await makeTestCertificates();
    const secure = await startOnePasswordConnectSimulator({ tls: { key: tls.key, cert: tls.cert } });
    try {
      secure.putItem('Production', { title: 'OpenAI', fields: [{ label: 'credential', value: key }] });
      const result = await keycard(
        ['check', 'openai', 'op://Production/OpenAI/credential', '--base-url', simulator.baseURL('openai')],
        {
          env: {
            OPENAI_API_KEY: undefined,
            OP_CONNECT_HOST: secure.url,
            OP_CONNECT_TOKEN: secure.createToken(),
            NODE_EXTRA_CA_CERTS: join(tls.dir, 'ca.pem'),
          },
        },
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`sk-proj-****${key.slice(-4)}`);
      expect(secure.count()).toBe(3);
    } finally {
      await secure.close();
    }
  });

  it('fails with the reason and hint when access is denied, without the credentials', async () => {
    aws.fail({ error: 'AccessDeniedException', times: 10 });
    const result = await keycard(
      [
        'check',
        'openai',
        'aws-sm://eu-west-1/prod/openai#api_key',
        '--json',
        '--base-url',
        simulator.baseURL('openai'),
      ],
      { env: { ...awsEnvironment(), AWS_MAX_ATTEMPTS: '1' } },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('secretsmanager:GetSecretValue');
    expectNothingSecret(result.stdout + result.stderr);
  });
});
