/**
 * Invariant 1, for every provider: a canary key built at run time goes through every call style
 * and every fault its simulator can inject, through debug logging (keycard's and the SDK's), and
 * util.inspect / JSON / cycle-safe JSON of the client, the SDK, the results, the errors and the
 * ledger; then through every bad-key path before a request. Its secret part appears nowhere.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { adapters, type SupportedProvider } from '../../src/providers/registry.js';
import { startSimulator } from '../../src/testing/index.js';
import { captureProcessOutput, capturing, leaksOf } from '../helpers/capture.js';
import { EXERCISES } from '../helpers/exercise/index.js';
import { CapturingLogger } from '../helpers/fixture.js';
import { CANARY_MARKER, type TestKeyKind, testKey } from '../helpers/keys.js';

async function fileWith(content: string, mode: number): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-canary-')), 'key.txt');
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

let captured: string[] = [];
beforeEach(() => {
  captured = [];
  captureProcessOutput(captured);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe.each(Object.keys(adapters) as SupportedProvider[])('a %s canary key', (provider) => {
  it('never appears in any output', async () => {
    const canary = testKey(provider as TestKeyKind, 'canary', CANARY_MARKER);
    expect(canary).toContain(CANARY_MARKER);
    const simulator = await startSimulator({ keys: [canary] });
    const logger = new CapturingLogger();
    const ledger = new MemoryLedger();
    const capture = capturing(captured);
    try {
      vi.stubEnv('CANARY_KEY', canary);
      const client = await createClient(provider, 'env:CANARY_KEY', {
        baseURL: simulator.baseURL(provider),
        maxRetries: 0,
        timeout: 5_000,
        ledger,
        logger,
        workflow: 'canary',
      });
      const exercise = EXERCISES[provider];
      if (exercise === undefined)
        throw new Error(`no canary exercise for ${provider} in test/helpers/exercise`);
      await exercise(client, simulator, capture);

      // Every reason found before a request, with the canary in each bad input.
      const other: TestKeyKind = provider === 'slack' ? 'openai' : 'slack';
      vi.stubEnv('BAD_MALFORMED', `${canary.slice(0, 20)} ${canary.slice(20)}`);
      vi.stubEnv('BAD_WRONG', testKey(other, 'canary', CANARY_MARKER));
      vi.stubEnv('BAD_MISSING', '   ');
      const insecure = await fileWith(canary, 0o644);
      const huge = await fileWith(`${canary}\n`.repeat(2000), 0o600);
      const noField = await fileWith(JSON.stringify({ other: canary }), 0o600);
      const reasons = new Set<string>();
      for (const source of [
        'env:BAD_MALFORMED',
        'env:BAD_WRONG',
        'env:BAD_MISSING',
        `file:${insecure}`,
        `file:${huge}`,
        `file:${noField}#key`,
        keys.chain(keys.env('BAD_MISSING'), keys.file(`${insecure}.missing`)),
      ]) {
        const error = await capture.failure(() => createClient(provider, source, { ledger, logger }));
        if (isCredentialError(error)) reasons.add(error.reason);
      }
      expect([...reasons].sort()).toEqual(
        ['insecure_source', 'malformed', 'missing', 'source_unavailable', 'wrong_provider'].sort(),
      );

      capture.value(client);
      capture.value(client.sdk);
      capture.value(await ledger.totals({ by: ['fingerprint', 'model', 'operation'] }));
      for await (const event of ledger.events()) capture.value(event);
      captured.push(...logger.lines);
      await client.close();
    } finally {
      await simulator.close();
    }
    vi.restoreAllMocks();
    expect(logger.lines.some((line) => line.startsWith(`debug keycard ${provider}`))).toBe(true);
    // Reports where a leak is without printing the canary itself.
    expect(leaksOf(captured, canary)).toEqual([]);
  });
});
