/**
 * A client whose key lives in AWS Secrets Manager or 1Password: the key changes in the store and
 * the old one is revoked at the provider; the next call succeeds, after one read of the store,
 * with the new key. The real `openai` SDK and store SDKs against the simulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import { keys } from '../src/keys/index.js';
import type { KeySource } from '../src/keys/types.js';
import {
  type AwsSecretsManagerSimulator,
  type OnePasswordConnectSimulator,
  type Simulator,
  startAwsSecretsManagerSimulator,
  startOnePasswordConnectSimulator,
  startSimulator,
} from '../src/testing/index.js';
import { CapturingLogger } from './helpers/fixture.js';
import { testKey } from './helpers/keys.js';

let provider: Simulator;
let aws: AwsSecretsManagerSimulator;
let connect: OnePasswordConnectSimulator;

beforeAll(async () => {
  [provider, aws, connect] = await Promise.all([
    startSimulator(),
    startAwsSecretsManagerSimulator(),
    startOnePasswordConnectSimulator(),
  ]);
});

afterAll(async () => {
  await Promise.all([provider.close(), aws.close(), connect.close()]);
});

interface Store {
  source(): KeySource;
  write(key: string, changedAt?: Date): void;
  reads(): number;
}

const stores: Record<string, () => Store> = {
  'AWS Secrets Manager': () => {
    const credentials = aws.createCredentials();
    return {
      source: () =>
        keys.awsSecretsManager('aws-sm://eu-west-1/rotation/openai#api_key', {
          endpoint: aws.endpoint,
          credentials,
        }),
      write: (key, changedAt) => {
        aws.putSecretValue('rotation/openai', JSON.stringify({ api_key: key }), { createdAt: changedAt });
      },
      reads: () => aws.count({ secretId: 'rotation/openai' }),
    };
  },
  '1Password': () => {
    const token = connect.createToken();
    return {
      source: () => keys.onePassword('op://Rotation/OpenAI/credential', { host: connect.url, token }),
      write: (key, changedAt) => {
        connect.putItem(
          'Rotation',
          { title: 'OpenAI', fields: [{ label: 'credential', value: key }] },
          { updatedAt: changedAt },
        );
      },
      reads: () => connect.count({ path: /\/items\/[a-z0-9]{26}$/ }),
    };
  },
};

describe.each(Object.keys(stores))('a key in %s', (name) => {
  it('is rotated: the next call after the old key is revoked succeeds with the new one', async () => {
    const store = (stores[name] as () => Store)();
    const oldKey = testKey('openai', `rotation-${name}-old`);
    const newKey = testKey('openai', `rotation-${name}-new`);
    store.write(oldKey);
    provider.addKey(oldKey);
    const client = await createClient('openai', store.source(), {
      baseURL: provider.baseURL('openai'),
      ledger: false,
      maxRetries: 0,
    });
    const ask = () =>
      client.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
    await ask();
    expect(client.maskedId).toBe(`sk-proj-****${oldKey.slice(-4)}`);
    const readsBefore = store.reads();
    expect(readsBefore).toBe(1);

    store.write(newKey);
    provider.addKey(newKey);
    provider.revokeKey(oldKey);
    const answer = await ask();
    expect(answer.choices.length).toBeGreaterThan(0);
    expect(client.maskedId).toBe(`sk-proj-****${newKey.slice(-4)}`);
    // One fresh read of the store, past the cache.
    expect(store.reads()).toBe(readsBefore + 1);
    await ask();
    expect(store.reads()).toBe(readsBefore + 1);
    await client.close();
  });

  it("takes the key's age from the store, for verify() and the age warning", async () => {
    const store = (stores[name] as () => Store)();
    const key = testKey('openai', `age-${name}`);
    store.write(key, new Date(Date.now() - 100 * 86_400_000));
    provider.addKey(key);
    const logger = new CapturingLogger();
    const client = await createClient('openai', store.source(), {
      baseURL: provider.baseURL('openai'),
      ledger: false,
      maxRetries: 0,
      logger,
    });
    expect((await client.verify()).keyAgeDays).toBe(100);
    const warnings = logger.lines.filter((line) => line.startsWith('warn') && line.includes('100 days'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain(key);
    await client.close();
  });
});
