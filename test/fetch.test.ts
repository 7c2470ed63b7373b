/**
 * `createFetch` on its own: what it refuses at creation, what it prints, `close()`, keycard's own
 * refusals answered (not thrown) so that a caller's library does not retry them, and a plain
 * `fetch` call metered, against the simulator over HTTP.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isCredentialError, isKeycardError } from '../src/errors.js';
import { createFetch, findKeycardError } from '../src/fetch.js';
import { keys } from '../src/keys/index.js';
import { MemoryLedger } from '../src/ledger/memory.js';
import { fetchFixture } from './frameworks/helpers.js';
import { testKey } from './helpers/keys.js';
import { credentialRejection, rejection } from './helpers/rejections.js';

describe('createFetch', () => {
  it('refuses a provider it cannot meter over HTTP, and the options of an SDK', async () => {
    const telegram = await rejection(
      createFetch('telegram', keys.literal(testKey('telegram')), { ledger: false }),
    );
    expect(isKeycardError(telegram)).toBe(true);
    expect(String(telegram)).toContain("createFetch('telegram')");
    expect(String(telegram)).toContain("createClient('telegram')");
    const sdkOptions = await rejection(
      createFetch('openai', keys.literal(testKey('openai')), { sdkOptions: {} } as never),
    );
    expect(String(sdkOptions)).toMatch(/createFetch\('openai'\).*sdkOptions/s);
    const missing = await credentialRejection(
      createFetch('openai', process.env['KEYCARD_TEST_UNSET_VARIABLE']),
    );
    expect(missing.reason).toBe('missing');
    expect(missing.message).toContain("createFetch('openai')");
  });

  it('checks the key shape at creation, as createClient does', async () => {
    const error = await credentialRejection(
      createFetch('anthropic', keys.literal(testKey('openai')), { ledger: false }),
    );
    expect(error.reason).toBe('wrong_provider');
  });

  it('prints only its summary, meters a plain fetch call, and fails after close()', async () => {
    const fixture = await fetchFixture('openai', { fetch: { workflow: 'plain' } });
    try {
      const printed = inspect(fixture.fetch);
      expect(printed).toMatch(/^KeycardFetch \{\s+provider: 'openai'/);
      expect(printed).toContain(fixture.fetch.maskedId);
      expect(JSON.parse(JSON.stringify(fixture.fetch))).toEqual({
        provider: 'openai',
        source: 'literal',
        maskedId: fixture.fetch.maskedId,
        fingerprint: fixture.fetch.fingerprint,
      });
      const response = await fixture.fetch(`${fixture.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { usage: { prompt_tokens: number } };
      const [event] = await fixture.events();
      expect(event).toMatchObject({
        operation: 'chat.completions',
        model: 'gpt-4o-mini',
        workflow: 'plain',
        inputTokens: body.usage.prompt_tokens,
        outcome: 'ok',
      });
      await fixture.fetch.close();
      const closed = await rejection(fixture.fetch(`${fixture.baseURL}/models`));
      expect(isKeycardError(closed)).toBe(true);
    } finally {
      await fixture.close();
    }
  });

  it("answers keycard's own refusal (plain http to another host) with a 402 that is not retried", async () => {
    const ledger = new MemoryLedger();
    const fetch = await createFetch('openai', keys.literal(testKey('openai')), { ledger, telemetry: false });
    try {
      const response = await fetch('http://api.example.invalid/v1/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      });
      expect(response.status).toBe(402);
      expect(response.headers.get('x-should-retry')).toBe('false');
      // What a library would build from it: an error with the answer's headers.
      const problem = findKeycardError({ message: 'Payment required', headers: response.headers });
      expect(isCredentialError(problem)).toBe(true);
      expect(problem).toMatchObject({ reason: 'insecure_source' });
    } finally {
      await fetch.close();
    }
  });
});
