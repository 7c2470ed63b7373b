/**
 * Public options are checked: the first unknown or wrongly typed option is a KeycardError that
 * names it (with a did-you-mean), before any key is read or any request sent. A ledger URL is
 * accepted where the CLI accepts one, and an explicit `undefined` key source is not taken for
 * "use the default variables".
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClientOptions, createClient } from '../src/client.js';
import { didYouMean } from '../src/did-you-mean.js';
import { type CredentialError, isCredentialError, isKeycardError } from '../src/errors.js';
import { keys } from '../src/keys/index.js';
import { openLedger } from '../src/ledger/open.js';
import { startSimulator } from '../src/testing/index.js';
import { testKey } from './helpers/keys.js';
import { rejection } from './helpers/rejections.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

const key = testKey('openai', 'options');

/** The message createClient rejects `options` with; fails when it is not a KeycardError. */
async function refusal(options: unknown): Promise<string> {
  const error = await rejection(
    createClient('openai', keys.literal(key), options as ClientOptions<'openai'>),
  );
  expect(isKeycardError(error)).toBe(true);
  expect(isCredentialError(error)).toBe(false);
  const message = (error as Error).message;
  expect(message).not.toContain(key);
  return message;
}

describe('didYouMean', () => {
  it('finds another case first, then the closest name within a third of its length', () => {
    expect(didYouMean('baseUrl', ['baseURL', 'budget'])).toBe('baseURL');
    expect(didYouMean('timout', ['timeout', 'telemetry'])).toBe('timeout');
    expect(didYouMean('wrokflow', ['workflow'])).toBe('workflow');
    expect(didYouMean('organization', ['workflow', 'ledger'])).toBeUndefined();
  });
});

describe('createClient options', () => {
  it('refuses baseUrl (lower case) rather than calling the public API', async () => {
    const simulator = await startSimulator({ keys: [key] });
    try {
      const message = await refusal({ baseUrl: simulator.baseURL('openai'), ledger: false });
      expect(message).toBe(
        "createClient('openai'): options.baseUrl is not an option. Did you mean options.baseURL?",
      );
      expect(simulator.requests).toHaveLength(0);
    } finally {
      await simulator.close();
    }
  });

  it('names the wrongly typed option, what it expects and what it got', async () => {
    expect(await refusal({ timeout: '5000' })).toBe(
      "createClient('openai'): options.timeout must be a number of milliseconds, 0 or more, or Infinity, not a string.",
    );
    expect(await refusal({ maxRetries: 1.5 })).toContain('options.maxRetries must be a whole number');
    expect(await refusal({ baseURL: 'localhost:8080' })).toContain('options.baseURL must be an http://');
    expect(await refusal({ telemetry: 'yes' })).toContain('options.telemetry must be true or false');
    expect(await refusal({ logger: 42 })).toContain('options.logger must be a console-like');
    expect(await refusal({ ledger: { totals() {} } })).toContain('options.ledger must be a ledger');
    expect(await refusal({ maxKeyAgeDays: -1 })).toContain('options.maxKeyAgeDays must be a number of days');
    expect(await refusal('fast')).toBe("createClient('openai'): options must be an object, not a string.");
  });

  it('never prints a string value that may be a secret', async () => {
    expect(await refusal({ timeout: key })).toContain(
      'options.timeout must be a number of milliseconds, 0 or more, or Infinity, not a string.',
    );
  });

  it('checks each budget, naming its index and the closest value', async () => {
    expect(await refusal({ budget: { usd: 5, period: 'monthly' } })).toBe(
      `createClient('openai'): options.budget.period must be 'day', 'week' or 'month', not "monthly". Did you mean 'month'?`,
    );
    expect(await refusal({ budget: [{ usd: 1 }, { usd: 2, scop: 'key' }] })).toBe(
      "createClient('openai'): options.budget[1].scop is not an option. Did you mean options.budget[1].scope?",
    );
    expect(await refusal({ budget: 5 })).toContain('options.budget must be a budget');
  });

  it('lists the options when nothing is close, and says where SDK options go', async () => {
    const message = await refusal({ organization: 'org-1' });
    expect(message).toMatch(
      /^createClient\('openai'\): options.organization is not an option. Options: workflow, /,
    );
    expect(message).toContain("Options of the SDK's constructor go in sdkOptions.");
  });

  it('says where the key goes when it is passed as an option', async () => {
    const message = await refusal({ apiKey: key });
    expect(message).toContain('options.apiKey is not an option. The key goes in the second argument');
  });

  it("refuses sdkOptions that keycard sets, naming keycard's option", async () => {
    expect(await refusal({ sdkOptions: { baseURL: 'http://127.0.0.1:1' } })).toBe(
      "createClient('openai'): sdkOptions.baseURL is keycard's to set. Use options.baseURL.",
    );
    expect(await refusal({ sdkOptions: { logger: console } })).toContain('sdkOptions.logger');
    expect(await refusal({ sdkOptions: { apiKey: key } })).toContain('sdkOptions.apiKey');
  });

  it('accepts every documented option', async () => {
    const simulator = await startSimulator({ keys: [key] });
    try {
      const client = await createClient('openai', keys.literal(key), {
        workflow: 'w',
        ledger: 'memory:',
        budget: [{ usd: 5, period: 'day', scope: 'workflow', onExceed: 'warn', alertAt: [0.5, 1] }],
        requestPriceUsd: 0,
        telemetry: false,
        logger: { warn() {} },
        baseURL: simulator.baseURL('openai'),
        timeout: 5000,
        maxRetries: 0,
        sdkOptions: { organization: 'org-1' },
        checkKeyShape: true,
        fetch: globalThis.fetch,
        maxKeyAgeDays: false,
      });
      await client.close();
    } finally {
      await simulator.close();
    }
  });
});

describe('ledger given as a URL', () => {
  it("opens 'memory:', records, and closes with the client", async () => {
    const simulator = await startSimulator({ keys: [key] });
    try {
      const client = await createClient('openai', keys.literal(key), {
        baseURL: simulator.baseURL('openai'),
        ledger: 'memory:',
      });
      await client.sdk.models.list();
      await client.close();
    } finally {
      await simulator.close();
    }
  });

  it("writes to the 'sqlite:PATH' file it names", async () => {
    const simulator = await startSimulator({ keys: [key] });
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-options-')), 'usage.db');
    try {
      const client = await createClient('openai', keys.literal(key), {
        baseURL: simulator.baseURL('openai'),
        ledger: `sqlite:${path}`,
        maxRetries: 0,
      });
      await client.sdk.models.list();
      await client.close();
      const ledger = await openLedger(`sqlite:${path}`);
      const [totals] = await ledger.totals();
      expect(totals?.requests).toBe(1);
      await ledger.close();
    } finally {
      await simulator.close();
    }
  });

  it('refuses a URL that is not a ledger', async () => {
    const error = await rejection(createClient('openai', keys.literal(key), { ledger: 'mysql://x' }));
    expect((error as Error).message).toContain('"mysql:" is not a ledger URL');
  });
});

describe('openLedger options', () => {
  it('refuses an unknown option with a did-you-mean, and a wrong type', async () => {
    const unknown = await rejection(openLedger('memory:', { flushInterval: 5 } as never));
    expect((unknown as Error).message).toBe(
      'openLedger: options.flushInterval is not an option. Did you mean options.flushIntervalMs?',
    );
    const wrong = await rejection(openLedger('memory:', { maxBatch: 0 }));
    expect((wrong as Error).message).toBe(
      'openLedger: options.maxBatch must be a whole number, 1 or more, not 0.',
    );
    const lease = await rejection(openLedger('memory:', { budgetLeaseMs: 10 }));
    expect((lease as Error).message).toBe(
      'openLedger: options.budgetLeaseMs must be a number of milliseconds, 100 or more, not 10.',
    );
    expect((await openLedger('memory:', { budgetLeaseMs: 5000 })).leaseMs).toBe(5000);
  });
});

describe('keys.file options', () => {
  it('refuses a mistyped or wrongly typed option at the first resolve', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-options-')), 'openai.key');
    const misspelt = await rejection(keys.file(path, { allowinsecure: true } as never).resolve());
    expect((misspelt as Error).message).toBe(
      'keys.file(): options.allowinsecure is not an option. Did you mean options.allowInsecure?',
    );
    const truthy = await rejection(keys.file(path, { allowInsecure: 'yes' } as never).resolve());
    expect((truthy as Error).message).toBe(
      'keys.file(): options.allowInsecure must be true or false, not a string.',
    );
  });
});

describe('an explicit undefined key source', () => {
  it('is a missing key that says the value passed was undefined, not the default variable', async () => {
    vi.stubEnv('OPENAI_API_KEY', key);
    const error = await rejection(createClient('openai', process.env['KEYCARD_SURELY_UNSET_VAR']));
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'missing', provider: 'openai' });
    expect((error as CredentialError).message).toContain('the key source passed is undefined');
    expect((error as CredentialError).hint).toContain('process.env');
  });

  it('while leaving the argument out, or undefined before options, still reads the default variables', async () => {
    vi.stubEnv('OPENAI_API_KEY', key);
    const client = await createClient('openai');
    expect(client.source).toBe('env:OPENAI_API_KEY');
    expect(client.sdk).toBeInstanceOf(OpenAI);
    await client.close();
    const withOptions = await createClient('openai', undefined, { ledger: false });
    expect(withOptions.source).toBe('env:OPENAI_API_KEY');
    await withOptions.close();
  });
});
