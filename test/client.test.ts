/**
 * createClient: sources, options, lifecycle, inspect/JSON, environment isolation, rotation.
 * The real `openai` SDK against the simulator over HTTP.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/client.js';
import { CredentialError, isCredentialError, isKeycardError, KeycardError } from '../src/errors.js';
import { keys } from '../src/keys/index.js';
import type { KeySource } from '../src/keys/types.js';
import { defaultLedger } from '../src/ledger/default.js';
import { loadSdk } from '../src/providers/load.js';
import { Secret } from '../src/secret.js';
import { startSimulator } from '../src/testing/index.js';
import { openAIFixture } from './helpers/fixture.js';
import { testKey } from './helpers/keys.js';
import { rejection } from './helpers/rejections.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

async function keyFile(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-client-')), 'openai.key');
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

describe('createClient', () => {
  it('returns the official SDK, typed and usable', async () => {
    const fixture = await openAIFixture();
    try {
      expect(fixture.client.sdk).toBeInstanceOf(OpenAI);
      expect(fixture.client.provider).toBe('openai');
      expect(fixture.client.source).toBe('literal');
      expect(fixture.client.maskedId).toBe(`sk-proj-****${fixture.key.slice(-4)}`);
      expect(fixture.client.fingerprint).toMatch(/^[0-9a-f]{12}$/);
      const models = await fixture.client.sdk.models.list();
      expect(models.data.length).toBeGreaterThan(0);
    } finally {
      await fixture.close();
    }
  });

  it('reads the default env var when no source is given', async () => {
    const key = testKey('openai', 'default-env');
    const simulator = await startSimulator({ keys: [key] });
    vi.stubEnv('OPENAI_API_KEY', key);
    const client = await createClient('openai', undefined, {
      baseURL: simulator.baseURL('openai'),
      ledger: false,
    });
    expect(client.source).toBe('env:OPENAI_API_KEY');
    await client.sdk.models.list();
    await simulator.close();
  });

  it('accepts spec strings', async () => {
    const key = testKey('openai', 'spec');
    vi.stubEnv('MY_OPENAI_KEY', key);
    const fromEnv = await createClient('openai', 'env:MY_OPENAI_KEY', { ledger: false });
    expect(fromEnv.source).toBe('env:MY_OPENAI_KEY');
    const path = await keyFile(`${key}\n`);
    const fromFile = await createClient('openai', `file:${path}`, { ledger: false });
    expect(fromFile.source).toBe(`file:${path}`);
    expect(fromFile.fingerprint).toBe(fromEnv.fingerprint);
  });

  it('fails at creation, before any request, when the key is missing or malformed', async () => {
    vi.stubEnv('OPENAI_API_KEY', undefined);
    const missing = await rejection(createClient('openai'));
    expect(missing).toBeInstanceOf(CredentialError);
    expect(missing).toMatchObject({ reason: 'missing', provider: 'openai', source: 'env:OPENAI_API_KEY' });
    vi.stubEnv('OPENAI_API_KEY', testKey('anthropic', 'wrong'));
    expect(await rejection(createClient('openai'))).toMatchObject({
      reason: 'wrong_provider',
      provider: 'openai',
    });
    vi.stubEnv('OPENAI_API_KEY', 'sk-your-api-key');
    expect(await rejection(createClient('openai'))).toMatchObject({ reason: 'malformed' });
  });

  it('lets a gateway key through when the shape check is off', async () => {
    const key = `gw_${testKey('xai', 'gateway').slice(4)}`;
    await expect(createClient('openai', keys.literal(key), { ledger: false })).rejects.toThrow(
      CredentialError,
    );
    const client = await createClient('openai', keys.literal(key), { ledger: false, checkKeyShape: false });
    expect(client.maskedId).toBe(`****${key.slice(-4)}`);
  });

  it('reports a failing custom source as source_unavailable, and passes its CredentialError on', async () => {
    const broken: KeySource = {
      describe: () => 'custom:broken',
      resolve: async () => {
        throw new Error('store offline');
      },
    };
    const error = await rejection(createClient('openai', broken));
    expect(error).toMatchObject({ reason: 'source_unavailable', source: 'custom:broken', retryable: true });
    expect(((error as CredentialError).cause as Error).message).toBe('store offline');
  });

  it('refuses unknown providers, bad sources and reserved sdkOptions with a clear KeycardError', async () => {
    const key = testKey('openai', 'options');
    const unknown = await rejection(createClient('cohere' as 'openai', keys.literal(key)));
    expect(isKeycardError(unknown)).toBe(true);
    expect((unknown as Error).message).toContain('Use one of: openai');
    const badSource = await rejection(createClient('openai', 42 as unknown as string));
    expect((badSource as Error).message).toContain('KeySource');
    const reserved = await rejection(
      createClient('openai', keys.literal(key), {
        sdkOptions: { apiKey: key } as unknown as { organization: string },
      }),
    );
    expect(reserved).toBeInstanceOf(KeycardError);
    expect((reserved as Error).message).toContain('sdkOptions.apiKey');
    expect((reserved as Error).message).not.toContain(key);
  });

  it('says how to install a missing SDK', async () => {
    const error = await rejection(
      loadSdk({
        id: 'gemini',
        packageName: '@google/not-installed-sdk',
        load: () => import('@google/not-installed-sdk' as string),
      }),
    );
    expect(isKeycardError(error)).toBe(true);
    expect((error as Error).message).toContain('npm i @google/not-installed-sdk');
  });

  it('shows no key in util.inspect or JSON of the client and the SDK', async () => {
    const fixture = await openAIFixture();
    try {
      await fixture.client.sdk.models.list();
      const outputs = [
        inspect(fixture.client, { depth: 20, showHidden: true }),
        inspect(fixture.client.sdk, { depth: 20, showHidden: true }),
        inspect(fixture.client.sdk.chat.completions, { depth: 20 }),
        JSON.stringify(fixture.client),
        JSON.stringify(fixture.client.sdk),
        String(fixture.client.sdk.apiKey),
      ];
      for (const output of outputs) expect(output).not.toContain(fixture.key);
      expect(inspect(fixture.client)).toContain(fixture.client.maskedId);
      expect(JSON.parse(JSON.stringify(fixture.client))).toEqual({
        provider: 'openai',
        source: 'literal',
        maskedId: fixture.client.maskedId,
        fingerprint: fixture.client.fingerprint,
      });
    } finally {
      await fixture.close();
    }
  });

  it('ignores the OpenAI SDK environment variables it did not ask for', async () => {
    const decoy = await startSimulator({ keys: [] });
    vi.stubEnv('OPENAI_BASE_URL', decoy.baseURL('openai'));
    vi.stubEnv('OPENAI_ORG_ID', 'org-from-env');
    vi.stubEnv('OPENAI_PROJECT_ID', 'proj-from-env');
    vi.stubEnv('OPENAI_CUSTOM_HEADERS', 'X-Injected: yes\nX-Other: 1');
    const fixture = await openAIFixture();
    try {
      await fixture.client.sdk.models.list();
      const [request] = fixture.simulator.requests;
      expect(request?.headers['openai-organization']).toBeUndefined();
      expect(request?.headers['openai-project']).toBeUndefined();
      expect(request?.headers['x-injected']).toBeUndefined();
      expect(request?.headers['x-other']).toBeUndefined();
      expect(decoy.requests).toHaveLength(0);
    } finally {
      await fixture.close();
      await decoy.close();
    }
  });

  it('passes sdkOptions through', async () => {
    const fixture = await openAIFixture({
      client: { sdkOptions: { organization: 'org-mine', defaultHeaders: { 'x-team': 'ops' } } },
    });
    try {
      await fixture.client.sdk.models.list();
      const [request] = fixture.simulator.requests;
      expect(request?.headers['openai-organization']).toBe('org-mine');
      expect(request?.headers['x-team']).toBe('ops');
    } finally {
      await fixture.close();
    }
  });

  it('records the workflow, from the option or KEYCARD_WORKFLOW', async () => {
    vi.stubEnv('KEYCARD_WORKFLOW', 'from-env');
    const fromEnv = await openAIFixture();
    const fromOption = await openAIFixture({ client: { workflow: 'summarize-inbox' } });
    try {
      await fromEnv.client.sdk.models.list();
      await fromOption.client.sdk.models.list();
      expect((await fromEnv.events())[0]?.workflow).toBe('from-env');
      expect((await fromOption.events())[0]?.workflow).toBe('summarize-inbox');
    } finally {
      await fromEnv.close();
      await fromOption.close();
    }
  });

  it('records to the default ledger unless told not to', async () => {
    const key = testKey('openai', 'default-ledger');
    const simulator = await startSimulator({ keys: [key] });
    const workflow = `default-ledger-${Date.now()}`;
    const recorded = await createClient('openai', keys.literal(key), {
      baseURL: simulator.baseURL('openai'),
      workflow,
    });
    const silent = await createClient('openai', keys.literal(key), {
      baseURL: simulator.baseURL('openai'),
      workflow,
      ledger: false,
    });
    await recorded.sdk.models.list();
    await silent.sdk.models.list();
    const rows = await (await defaultLedger()).totals({ where: { workflow } });
    expect(rows[0]?.requests).toBe(1);
    await simulator.close();
  });

  it('writes one redacted debug line per request to the logger', async () => {
    const fixture = await openAIFixture();
    try {
      await fixture.client.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const debug = fixture.logger.entries.filter((entry) => entry.level === 'debug');
      expect(debug).toHaveLength(1);
      expect(debug[0]?.args[0]).toContain(
        `keycard openai chat.completions gpt-4o-mini ${fixture.client.maskedId} ok 200`,
      );
      expect(debug[0]?.args[1]).toMatchObject({
        fingerprint: fixture.client.fingerprint,
        model: 'gpt-4o-mini',
      });
      expect(fixture.logger.lines.join('\n')).not.toContain(fixture.key);
    } finally {
      await fixture.close();
    }
  });

  it('ends with close(): later calls fail with a KeycardError, not a connection error', async () => {
    const fixture = await openAIFixture();
    await fixture.client.close();
    await fixture.client.close();
    const error = await rejection(fixture.client.sdk.models.list());
    expect(isKeycardError(error)).toBe(true);
    expect((error as Error).message).toContain('closed');
    expect(fixture.simulator.requests).toHaveLength(0);
    await fixture.simulator.close();
  });
});

describe('key rotation', () => {
  it('re-reads a rejected key from its source and replays the call once', async () => {
    const oldKey = testKey('openai', 'rotation-old');
    const newKey = testKey('openai', 'rotation-new');
    const path = await keyFile(oldKey);
    const fixture = await openAIFixture({ key: oldKey, source: keys.file(path) });
    try {
      const before = fixture.client.fingerprint;
      fixture.simulator.revokeKey(oldKey);
      fixture.simulator.addKey(newKey);
      await writeFile(path, newKey);
      const result = await fixture.client.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'after rotation' }],
      });
      expect(result.choices[0]?.message.content).toMatch(/^Simulated reply/);
      expect(fixture.client.fingerprint).not.toBe(before);
      expect(fixture.client.maskedId).toBe(`sk-proj-****${newKey.slice(-4)}`);
      const events = await fixture.events();
      expect(events.map((event) => [event.outcome, event.keyFingerprint])).toEqual([
        ['unauthorized', before],
        ['ok', fixture.client.fingerprint],
      ]);
      expect(fixture.logger.lines.some((line) => line.includes('rotated'))).toBe(true);
    } finally {
      await fixture.close();
    }
  });

  it('does not replay when the source still holds the rejected key', async () => {
    const fixture = await openAIFixture();
    try {
      fixture.simulator.revokeKey(fixture.key);
      const error = await rejection(fixture.client.sdk.models.list());
      expect(error).toMatchObject({ reason: 'unauthorized' });
      expect(fixture.simulator.tally().total.requests).toBe(1);
    } finally {
      await fixture.close();
    }
  });

  it('reads the source once for many concurrent rejections', async () => {
    const oldKey = testKey('openai', 'concurrent-old');
    const newKey = testKey('openai', 'concurrent-new');
    let current = oldKey;
    let reads = 0;
    const source: KeySource = {
      describe: () => 'custom:rotating',
      resolve: async (options) => {
        reads += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return new Secret(current, { provider: options?.provider, source: 'custom:rotating' });
      },
    };
    const fixture = await openAIFixture({ key: oldKey, source });
    try {
      reads = 0;
      fixture.simulator.revokeKey(oldKey);
      fixture.simulator.addKey(newKey);
      current = newKey;
      await Promise.all(Array.from({ length: 8 }, () => fixture.client.sdk.models.list()));
      expect(reads).toBe(1);
      const outcomes = (await fixture.events()).map((event) => event.outcome);
      expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(8);
    } finally {
      await fixture.close();
    }
  });

  it('keeps the old key when the source now yields a malformed one', async () => {
    const oldKey = testKey('openai', 'bad-rotation');
    const path = await keyFile(oldKey);
    const fixture = await openAIFixture({ key: oldKey, source: keys.file(path) });
    try {
      fixture.simulator.revokeKey(oldKey);
      await writeFile(path, testKey('slack', 'not-openai'));
      const error = await rejection(fixture.client.sdk.models.list());
      expect(isCredentialError(error) && error.reason).toBe('unauthorized');
      expect(
        fixture.logger.lines.some(
          (line) => line.startsWith('warn') && line.includes('could not be read again'),
        ),
      ).toBe(true);
    } finally {
      await fixture.close();
    }
  });
});

describe('default ledger', () => {
  it('is one SQLite ledger per process, at $KEYCARD_HOME/ledger.db', async () => {
    const home = await mkdtemp(join(tmpdir(), 'keycard-home-'));
    vi.stubEnv('KEYCARD_HOME', home);
    const ledger = await defaultLedger();
    expect(await defaultLedger()).toBe(ledger);
    expect(String(ledger)).toBe(`SqliteLedger(${join(home, 'ledger.db')})`);
    await ledger.close();
  });
});
