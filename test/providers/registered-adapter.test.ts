/**
 * A provider with an adapter of its own, through the public API alone: the adapter contract the
 * built-in providers implement, written here for the real `@anthropic-ai/sdk` (as a team would for
 * an in-house SDK), against the simulator's Anthropic routes over HTTP; and the CLI, which
 * registers the providers of the modules named in `KEYCARD_PROVIDERS`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createClient,
  type FailureClass,
  isCredentialError,
  keys,
  MemoryLedger,
  type ProviderFailure,
  registerProvider,
  type UsageEvent,
} from '../../src/index.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { keycard } from '../helpers/cli.js';
import { rejection } from '../helpers/rejections.js';

const PLACEHOLDER = 'managed-by-keycard';

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;

/** The whole adapter: how the SDK is built, how a request carries the key, what a call used. */
const inHouse = registerProvider({
  id: 'in-house',
  label: 'In-house LLM',
  envVars: ['IN_HOUSE_TOKEN'],
  keyPage: 'https://llm.internal.example/tokens',
  keyNoun: 'token',
  key: { prefix: 'ih-tok-' },
  prices: 'anthropic',
  sdkExample: 'Anthropic',
  adapter: {
    packageName: '@anthropic-ai/sdk',
    load: () => import('@anthropic-ai/sdk'),
    fromUser: (given: typeof Anthropic) =>
      ({ default: given }) as unknown as typeof import('@anthropic-ai/sdk'),
    create: (module, context) =>
      new module.default({
        apiKey: PLACEHOLDER,
        baseURL: context.baseURL ?? 'https://llm.internal.example',
        fetch: context.fetch,
        maxRetries: context.maxRetries ?? 0,
      }),
    http: {
      authorize(request, secret) {
        request.headers.set('x-api-key', secret.reveal());
      },
      plan(request) {
        const body = record(request.bodyText === undefined ? undefined : JSON.parse(request.bodyText));
        const operation = request.url.pathname.replace(/^.*\/v1\//, '').replaceAll('/', '.');
        return { operation, model: typeof body?.['model'] === 'string' ? body['model'] : null };
      },
      usage(plan, body) {
        const usage = record(record(body)?.['usage']);
        const count = (value: unknown) => (typeof value === 'number' ? value : null);
        return {
          model: plan.model,
          inputTokens: count(usage?.['input_tokens']),
          outputTokens: count(usage?.['output_tokens']),
          cachedInputTokens: null,
          cacheWriteTokens: null,
          reasoningTokens: null,
        };
      },
      failureFromResponse(status, body): ProviderFailure {
        const error = record(record(body)?.['error']);
        return { status, type: typeof error?.['type'] === 'string' ? error['type'] : undefined };
      },
    },
    failureFromError(error): ProviderFailure | undefined {
      return error instanceof Anthropic.APIError && typeof error.status === 'number'
        ? { status: error.status }
        : undefined;
    },
    classify(failure): FailureClass {
      if (failure.status === 401)
        return {
          outcome: 'unauthorized',
          reason: 'unauthorized',
          hint: 'Ask the platform team for a new token.',
        };
      if (failure.status === 403)
        return { outcome: 'forbidden', reason: 'forbidden', hint: 'Ask for access.' };
      if (failure.status === 429) return { outcome: 'rate_limited' };
      return { outcome: 'error' };
    },
    async verify(sdk) {
      const page = await sdk.models.list();
      return { models: page.data.length };
    },
  },
});

const token = () => `ih-tok-${randomBytes(30).toString('base64url').replace(/[-_]/g, 'z')}`;

async function eventsOf(ledger: MemoryLedger): Promise<UsageEvent[]> {
  const all: UsageEvent[] = [];
  for await (const event of ledger.events()) all.push(event);
  return all;
}

let simulator: Simulator;
let key: string;
beforeAll(async () => {
  key = token();
  simulator = await startSimulator({ keys: [key] });
});
afterAll(async () => {
  await simulator.close();
});

describe('a registered provider with its own adapter', () => {
  it('is built, metered, priced, verified and mapped by keycard like a built-in one', async () => {
    const ledger = new MemoryLedger();
    const client = await createClient(inHouse, keys.literal(key), {
      baseURL: simulator.baseURL('anthropic'),
      ledger,
    });
    expectTypeOf(client.sdk).toEqualTypeOf<Anthropic>();
    expect(client.sdk).toBeInstanceOf(Anthropic);
    expect(client.maskedId).toBe(`ih-tok-****${key.slice(-4)}`);
    const message = await client.sdk.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    await expect(client.verify()).resolves.toMatchObject({ ok: true, provider: 'in-house' });
    for (const printed of [inspect(client, { depth: 20, showHidden: true }), JSON.stringify(client)]) {
      expect(printed).not.toContain(key);
    }
    simulator.failNext('forbidden');
    const forbidden = await rejection(
      client.sdk.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    // The SDK's own error class, answering as a CredentialError too.
    expect(forbidden).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(forbidden).toMatchObject({ reason: 'forbidden', provider: 'in-house', hint: 'Ask for access.' });
    expect(isCredentialError(forbidden)).toBe(true);
    await client.close();
    const [first, , third] = await eventsOf(ledger);
    expect(first).toMatchObject({
      provider: 'in-house',
      operation: 'messages',
      model: 'claude-sonnet-4-5',
      inputTokens: message.usage.input_tokens,
      outputTokens: message.usage.output_tokens,
      outcome: 'ok',
    });
    expect(first?.costUsd).toBeGreaterThan(0);
    expect(third).toMatchObject({ outcome: 'forbidden' });
  });

  it('gets the not-installed message with its package and example', async () => {
    const missing = registerProvider({
      id: 'missing-sdk',
      label: 'Missing',
      envVars: ['MISSING_SDK_KEY'],
      keyPage: 'https://missing.example',
      sdkExample: 'MissingClient',
      adapter: {
        packageName: 'missing-sdk-package',
        load: () => import('missing-sdk-package' as string),
        fromUser: (given: unknown) => given,
        create: () => ({}),
        failureFromError: () => undefined,
        classify: () => ({ outcome: 'error' as const }),
        verify: async () => ({}),
      },
    });
    const error = await rejection(createClient(missing, keys.literal(randomBytes(16).toString('base64url'))));
    expect(String((error as Error).message)).toContain('npm i missing-sdk-package');
    expect(String((error as Error).message)).toContain(
      "createClient('missing-sdk', source, { sdk: MissingClient })",
    );
  });
});

describe('the CLI with KEYCARD_PROVIDERS', () => {
  it('lists, masks and checks the providers a module registers, and says which module failed', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'keycard-providers-'));
    const index = join(import.meta.dirname, '../../dist/index.js');
    const module = join(directory, 'providers.mjs');
    await writeFile(
      module,
      `import { registerProvider } from ${JSON.stringify(index)};
export const acme = registerProvider({
  id: 'acme-cli', label: 'Acme CLI', envVars: ['ACME_CLI_KEY'], keyPage: 'https://acme.example/keys',
  key: { prefix: 'acmecli-' }, openAICompatible: { baseURL: 'https://acme.example/v1' },
});
`,
    );
    const env = { KEYCARD_PROVIDERS: module, KEYCARD_HOME: directory };
    const listed = await keycard(['providers', '--json'], { env });
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toContainEqual(
      expect.objectContaining({
        provider: 'acme-cli',
        name: 'Acme CLI',
        sdk: 'openai',
        envVars: ['ACME_CLI_KEY'],
      }),
    );
    const stray = `acmecli-${randomBytes(30).toString('base64url').replace(/[-_]/g, 'q')}`;
    const masked = await keycard(['mask'], { env, input: `token=${stray}\n` });
    expect(masked.stdout).not.toContain(stray.slice(10));
    expect(masked.stdout).toContain('acmecli-****');
    const checked = await keycard(['check', 'acme-cli', 'env:ACME_CLI_KEY', '--offline'], {
      env: { ...env, ACME_CLI_KEY: stray },
    });
    expect(checked.code).toBe(0);
    expect(checked.stdout + checked.stderr).not.toContain(stray.slice(10));
    const broken = await keycard(['providers'], {
      env: { KEYCARD_PROVIDERS: join(directory, 'nowhere.mjs') },
    });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('KEYCARD_PROVIDERS: could not load');
  });
});
