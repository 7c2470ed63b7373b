/**
 * `callbackLedger`: the sandbox-friendly sink. Each event of a real SDK call (against the
 * simulator) reaches the callback; a failing callback never fails the call.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { callbackLedger } from '../../src/ledger/callback.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';

async function withClient(ledger: ReturnType<typeof callbackLedger>, run: (sdk: OpenAI) => Promise<void>) {
  const key = testKey('openai', 'callback-ledger');
  const simulator = await startSimulator({ keys: [key], providers: ['openai'] });
  try {
    const client = await createClient('openai', keys.literal(key), {
      sdk: OpenAI,
      ledger,
      baseURL: simulator.baseURL('openai'),
      workflow: 'callback',
      telemetry: false,
    });
    await run(client.sdk);
    await client.close();
  } finally {
    await simulator.close();
  }
}

describe('callbackLedger', () => {
  it('hands each event to the callback, waits for it on flush, and keeps nothing', async () => {
    const seen: UsageEvent[] = [];
    const ledger = callbackLedger(async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push(event);
    });
    await withClient(ledger, async (sdk) => {
      await sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      await ledger.flush();
      expect(seen).toHaveLength(1);
    });
    expect(seen[0]).toMatchObject({
      provider: 'openai',
      operation: 'chat.completions',
      outcome: 'ok',
      workflow: 'callback',
    });
    expect(seen[0]?.inputTokens).toBeGreaterThan(0);
    expect(await ledger.totals()).toEqual([]);
  });

  it('reports a failing callback to onError, and the call still succeeds', async () => {
    const errors: unknown[] = [];
    const ledger = callbackLedger(
      () => {
        throw new Error('sink is down');
      },
      { onError: (error) => errors.push(error) },
    );
    await withClient(ledger, async (sdk) => {
      const models = await sdk.models.list();
      expect(models.data.length).toBeGreaterThan(0);
    });
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('sink is down');
  });

  it('without onError, a rejected callback is one process warning', async () => {
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    process.on('warning', listen);
    try {
      const ledger = callbackLedger(() => Promise.reject(new Error('sink rejected')));
      await withClient(ledger, async (sdk) => {
        await sdk.models.list();
        await ledger.flush();
      });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    const ours = warnings.filter(
      (warning) => (warning as Error & { code?: string }).code === 'KEYCARD_LEDGER_CALLBACK_FAILED',
    );
    expect(ours).toHaveLength(1);
    expect(ours[0]?.message).toContain('sink rejected');
  });
});
