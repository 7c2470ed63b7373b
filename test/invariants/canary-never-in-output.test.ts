/**
 * Invariant 1: no clear key in any output. A canary key built at run time goes through success
 * (every call style), every CredentialError reason OpenAI can produce, SDK and keycard debug
 * logging, a server that echoes the key, and util.inspect / JSON / cycle-safe JSON of the client,
 * the SDK, the errors and the ledger. Its secret part appears in none of it.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { CapturingLogger } from '../helpers/fixture.js';
import { CANARY_MARKER, testKey } from '../helpers/keys.js';

const canary = testKey('openai', 'canary', CANARY_MARKER);
const captured: string[] = [];
const logger = new CapturingLogger();
const ledger = new MemoryLedger();
let simulator: Simulator;

function capture(value: unknown): void {
  captured.push(typeof value === 'string' ? value : inspect(value, { depth: Infinity, showHidden: true }));
  captured.push(safeJson(value));
}

/** JSON.stringify that tolerates cycles, as pino and winston serialise objects. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) => {
        if (typeof item === 'object' && item !== null) {
          if (seen.has(item)) return '[Circular]';
          seen.add(item);
          if (item instanceof Error) {
            return { ...item, name: item.name, message: item.message, stack: item.stack, cause: item.cause };
          }
        }
        return item;
      }) ?? ''
    );
  } catch (error) {
    return String(error);
  }
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    capture(error);
    if (error instanceof Error) {
      captured.push(error.message, String(error.stack));
      let cause: unknown = error.cause;
      while (cause instanceof Error) {
        captured.push(cause.message, String(cause.stack));
        cause = cause.cause;
      }
    }
    return error;
  }
  throw new Error('expected a failure');
}

async function fileWith(content: string, mode: number): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-canary-')), 'key.txt');
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

/** A fetch that makes the provider echo the clear key in error bodies, as some servers do. */
const echoingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.ok) return response;
  const body = (await response.json()) as { error: { message: string } };
  body.error.message += ` (debug: key was ${canary}, encoded ${encodeURIComponent(`${canary}/`)})`;
  return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
};

beforeAll(async () => {
  simulator = await startSimulator({ keys: [canary] });
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map((arg) => inspect(arg, { depth: Infinity })).join(' '));
    });
  }
  const write = (chunk: unknown) => {
    captured.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(write);
  vi.spyOn(process.stderr, 'write').mockImplementation(write);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await simulator.close();
});

describe('a canary key', () => {
  it('never appears in any output', async () => {
    vi.stubEnv('CANARY_KEY', canary);
    const client = await createClient('openai', 'env:CANARY_KEY', {
      baseURL: simulator.baseURL('openai'),
      maxRetries: 0,
      ledger,
      logger,
      workflow: 'canary',
      sdkOptions: { logLevel: 'debug' },
    });
    const sdk = client.sdk;
    const messages = [{ role: 'user' as const, content: 'canary run' }];

    // Success, every call style.
    capture(await sdk.chat.completions.create({ model: 'o3-mini', messages }));
    for await (const chunk of await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    }))
      capture(chunk);
    capture(await sdk.chat.completions.stream({ model: 'gpt-4o-mini', messages }).finalChatCompletion());
    capture(await sdk.responses.create({ model: 'gpt-4o', input: 'canary' }));
    capture(await sdk.responses.stream({ model: 'gpt-4o', input: 'canary' }).finalResponse());
    capture(await sdk.embeddings.create({ model: 'text-embedding-3-small', input: 'canary' }));
    capture(await sdk.models.list().withResponse());
    capture(await client.verify());

    // Every reason the provider can produce, plus errors that keep the SDK's class.
    simulator.failNext('forbidden');
    await failure(() => sdk.chat.completions.create({ model: 'gpt-4o', messages }));
    simulator.failNext('quota');
    await failure(() => sdk.chat.completions.create({ model: 'gpt-4o', messages }));
    simulator.failNext('rate_limit');
    await failure(() => sdk.chat.completions.create({ model: 'gpt-4o', messages }));
    simulator.failNext('server_error');
    await failure(() => sdk.models.list());
    simulator.failNext('reset');
    await failure(() => sdk.models.list());
    simulator.failNext('unauthorized');
    const unauthorized = await failure(() => sdk.models.list());
    expect(isCredentialError(unauthorized) && unauthorized.reason).toBe('unauthorized');

    // A server that echoes the clear key: the error the SDK builds is redacted.
    const echoing = await createClient('openai', keys.literal(canary), {
      baseURL: simulator.baseURL('openai'),
      maxRetries: 0,
      ledger,
      logger,
      fetch: echoingFetch,
    });
    simulator.failNext('server_error');
    await failure(() => echoing.sdk.models.list());
    simulator.failNext('unauthorized');
    await failure(() => echoing.sdk.chat.completions.create({ model: 'gpt-4o', messages }));

    // Every reason found before a request: the canary is in each bad input.
    const anthropicShaped = testKey('anthropic', 'canary', CANARY_MARKER);
    vi.stubEnv('BAD_MALFORMED', `${canary.slice(0, 40)} ${canary.slice(40)}`);
    vi.stubEnv('BAD_WRONG', anthropicShaped);
    vi.stubEnv('BAD_MISSING', '   ');
    const insecure = await fileWith(canary, 0o644);
    const huge = await fileWith(`${canary}\n`.repeat(1000), 0o600);
    const noField = await fileWith(JSON.stringify({ other: canary }), 0o600);
    const reasons = new Set<string>(['unauthorized']);
    for (const source of [
      'env:BAD_MALFORMED',
      'env:BAD_WRONG',
      'env:BAD_MISSING',
      `file:${insecure}`,
      `file:${huge}`,
      `file:${noField}#openai`,
      keys.chain(keys.env('BAD_MISSING'), keys.file(`${insecure}.missing`)),
    ]) {
      const error = await failure(() => createClient('openai', source, { ledger, logger }));
      if (isCredentialError(error)) reasons.add(error.reason);
    }
    simulator.failNext('forbidden');
    reasons.add('forbidden');
    simulator.failNext('quota');
    reasons.add('quota_exceeded');
    for (const reason of [
      'missing',
      'malformed',
      'wrong_provider',
      'unauthorized',
      'source_unavailable',
      'insecure_source',
    ]) {
      expect(reasons).toContain(reason);
    }
    simulator.reset();

    // The objects themselves, and what was recorded.
    capture(client);
    capture(sdk);
    capture(sdk.chat.completions);
    capture(echoing);
    capture(await ledger.totals({ by: ['fingerprint', 'model', 'workflow'] }));
    const events: unknown[] = [];
    for await (const event of ledger.events()) events.push(event);
    capture(events);
    captured.push(...logger.lines);
    await client.close();
    await echoing.close();

    expect(events.length).toBeGreaterThan(10);
    expect(logger.lines.some((line) => line.startsWith('debug keycard openai'))).toBe(true);
    expect(logger.lines.some((line) => line.includes('sending request'))).toBe(true);
    expect(captured.join('\n').length).toBeGreaterThan(10_000);
    // Report where a leak is without printing the canary itself.
    const leaks = captured
      .filter((output) => output.includes(CANARY_MARKER) || output.includes(canary.slice(-24)))
      .map((output) => output.replaceAll(CANARY_MARKER, '<CANARY>').slice(0, 300));
    expect(leaks).toEqual([]);
  });
});
