/**
 * The secret store simulators on the wire, without an SDK: what AWS Secrets Manager's JSON 1.1
 * protocol and the 1Password Connect API answer to requests the SDKs would not send (no
 * signature, unknown credentials, another operation, no token), how staging labels move on a new
 * version, and that the request logs never hold a credential or a value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsSecretsManagerSimulator,
  type OnePasswordConnectSimulator,
  startAwsSecretsManagerSimulator,
  startOnePasswordConnectSimulator,
} from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';

let aws: AwsSecretsManagerSimulator;
let connect: OnePasswordConnectSimulator;

beforeAll(async () => {
  [aws, connect] = await Promise.all([startAwsSecretsManagerSimulator(), startOnePasswordConnectSimulator()]);
});

afterAll(async () => {
  await Promise.all([aws.close(), connect.close()]);
});

/** A request as the AWS SDK shapes it, with a SigV4-looking header for `accessKeyId` (not a real signature). */
function awsCall(
  body: unknown,
  options: { accessKeyId?: string; target?: string; sessionToken?: string } = {},
) {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `secretsmanager.${options.target ?? 'GetSecretValue'}`,
  };
  if (options.accessKeyId !== undefined) {
    headers['authorization'] =
      `AWS4-HMAC-SHA256 Credential=${options.accessKeyId}/20261203/eu-west-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;
  }
  if (options.sessionToken !== undefined) headers['x-amz-security-token'] = options.sessionToken;
  return fetch(aws.endpoint, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('the AWS Secrets Manager simulator', () => {
  it('answers AWS errors with __type, message and x-amzn-errortype', async () => {
    const unsigned = await awsCall({ SecretId: 'x' });
    expect(unsigned.status).toBe(400);
    expect(unsigned.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException:/);
    expect(await unsigned.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
    const unknown = await awsCall({ SecretId: 'x' }, { accessKeyId: ['AK', 'IA', 'Z'.repeat(16)].join('') });
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnrecognizedClientException');
    const credentials = aws.createCredentials({ session: true });
    const noToken = await awsCall({ SecretId: 'x' }, { accessKeyId: credentials.accessKeyId });
    expect(((await noToken.json()) as { __type: string }).__type).toBe('UnrecognizedClientException');
    const other = await awsCall(
      { SecretId: 'x' },
      {
        accessKeyId: credentials.accessKeyId,
        sessionToken: credentials.sessionToken ?? '',
        target: 'DeleteSecret',
      },
    );
    expect(((await other.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  it('moves AWSCURRENT to a new version and AWSPREVIOUS to the one before, and serves binary secrets', async () => {
    const credentials = aws.createCredentials();
    const first = aws.putSecretValue('labels', 'one-value-here');
    const second = aws.putSecretValue('labels', 'two-value-here');
    const pending = aws.putSecretValue('labels', 'three-value-here', { stages: ['AWSPENDING'] });
    const read = async (body: Record<string, string>) =>
      (await (
        await awsCall({ SecretId: 'labels', ...body }, { accessKeyId: credentials.accessKeyId })
      ).json()) as {
        VersionId: string;
        VersionStages: string[];
        CreatedDate: number;
        SecretString?: string;
        SecretBinary?: string;
      };
    expect(await read({})).toMatchObject({ VersionId: second, VersionStages: ['AWSCURRENT'] });
    expect(await read({ VersionStage: 'AWSPREVIOUS' })).toMatchObject({ VersionId: first });
    expect(await read({ VersionStage: 'AWSPENDING' })).toMatchObject({ VersionId: pending });
    expect(typeof (await read({})).CreatedDate).toBe('number');
    aws.putSecretValue('bytes', new Uint8Array([104, 105]));
    const binary = (await (
      await awsCall({ SecretId: 'bytes' }, { accessKeyId: credentials.accessKeyId })
    ).json()) as {
      SecretBinary: string;
    };
    expect(binary.SecretBinary).toBe(Buffer.from('hi').toString('base64'));
  });

  it('logs requests without credentials or values', async () => {
    const credentials = aws.createCredentials();
    const key = testKey('openai', 'simulator-log');
    aws.putSecretValue('logged', key);
    aws.resetRequests();
    await awsCall({ SecretId: 'logged' }, { accessKeyId: credentials.accessKeyId });
    expect(aws.requests).toEqual([
      {
        operation: 'GetSecretValue',
        secretId: 'logged',
        versionStage: undefined,
        versionId: undefined,
        region: 'eu-west-1',
        signedByKnownCredentials: true,
        fault: null,
        status: 200,
        error: null,
      },
    ]);
    expect(JSON.stringify(aws.requests)).not.toContain(credentials.accessKeyId);
  });
});

describe('the 1Password Connect simulator', () => {
  it('needs a known Bearer token, and lists only the vaults a token may read', async () => {
    connect.addVault('Shown');
    connect.addVault('Hidden');
    expect((await fetch(`${connect.url}/v1/vaults`)).status).toBe(401);
    const token = connect.createToken({ vaults: ['Shown'] });
    const response = await fetch(`${connect.url}/v1/vaults/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const vaults = (await response.json()) as { id: string; name: string }[];
    expect(vaults.map((vault) => vault.name)).toEqual(['Shown']);
    expect(vaults[0]?.id).toMatch(/^[a-z0-9]{26}$/);
    const hidden = await fetch(`${connect.url}/v1/vaults/${connect.addVault('Hidden')}/items`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(hidden.status).toBe(403);
    expect(await hidden.json()).toMatchObject({ status: 403 });
  });

  it('filters by title, gives a new version on a change, and logs no token', async () => {
    const key = testKey('openai', 'connect-simulator');
    const id = connect.putItem('Shown', { title: 'Item', fields: [{ label: 'credential', value: key }] });
    connect.putItem('Shown', { title: 'Item', fields: [{ label: 'credential', value: key }] });
    const token = connect.createToken();
    connect.resetRequests();
    const headers = { authorization: `Bearer ${token}` };
    const vaultId = connect.addVault('Shown');
    const list = (await (
      await fetch(
        `${connect.url}/v1/vaults/${vaultId}/items?filter=${encodeURIComponent('title eq "Item"')}`,
        { headers },
      )
    ).json()) as { id: string; version: number }[];
    expect(list).toMatchObject([{ id, version: 2 }]);
    const item = (await (
      await fetch(`${connect.url}/v1/vaults/${vaultId}/items/${id}`, { headers })
    ).json()) as {
      fields: { label: string; value: string }[];
      updatedAt: string;
    };
    expect(item.fields[0]).toMatchObject({ label: 'credential', value: key });
    expect(Number.isNaN(Date.parse(item.updatedAt))).toBe(false);
    expect(connect.count()).toBe(2);
    expect(JSON.stringify(connect.requests)).not.toContain(token);
    expect(JSON.stringify(connect.requests)).not.toContain(key);
  });
});
