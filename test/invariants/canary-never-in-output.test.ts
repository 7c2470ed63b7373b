/**
 * Invariant 1, the paths a simulator does not take by itself: a provider that echoes the clear
 * key (and its URL-encoded form) in its error bodies, and the SDK's own debug logging, which
 * prints whole requests and responses. The canary's secret part appears in no output.
 * (Every provider's call styles and faults: canary-every-provider.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { captureProcessOutput, capturing, leaksOf } from '../helpers/capture.js';
import { exerciseOpenAI } from '../helpers/exercise/openai.js';
import { CapturingLogger } from '../helpers/fixture.js';
import { CANARY_MARKER, testKey } from '../helpers/keys.js';

const canary = testKey('openai', 'canary-echo', CANARY_MARKER);
const captured: string[] = [];
let simulator: Simulator;

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
  captureProcessOutput(captured);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await simulator.close();
});

describe('a canary key', () => {
  it('never appears, even when the server echoes it and the SDK logs at debug level', async () => {
    const logger = new CapturingLogger();
    const ledger = new MemoryLedger();
    const capture = capturing(captured);
    const client = await createClient('openai', keys.literal(canary), {
      baseURL: simulator.baseURL('openai'),
      maxRetries: 0,
      ledger,
      logger,
      fetch: echoingFetch,
      sdkOptions: { logLevel: 'debug' },
    });
    await exerciseOpenAI(client, simulator, capture);
    simulator.failNext('unauthorized');
    const unauthorized = await capture.failure(() => client.sdk.models.list());
    expect(isCredentialError(unauthorized) && unauthorized.reason).toBe('unauthorized');
    capture.value(client);
    capture.value(client.sdk);
    for await (const event of ledger.events()) capture.value(event);
    captured.push(...logger.lines);
    await client.close();

    expect(logger.lines.some((line) => line.includes('sending request'))).toBe(true);
    expect(captured.join('\n')).toContain('debug: key was [REDACTED openai');
    expect(leaksOf(captured, canary)).toEqual([]);
  });
});
