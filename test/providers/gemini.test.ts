/**
 * The Gemini adapter, end to end: the real `@google/generative-ai` through keycard against the
 * simulator over HTTP. This SDK has no fetch option and keeps the key on every object, so calls
 * are metered per method and every object it hands out is checked for the key.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { GoogleGenerativeAI } from '@google/generative-ai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { safeJson } from '../helpers/capture.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'gemini'>;
beforeEach(async () => {
  fixture = await clientFixture('gemini');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const prompt = 'Translate the following support ticket into French, keeping the tone. '.repeat(6);

function printed(value: unknown): string {
  const parts = [inspect(value, { depth: 20, showHidden: true }), safeJson(value)];
  let current: unknown = value;
  while (current instanceof Error) {
    parts.push(current.message, String(current.stack));
    current = current.cause;
  }
  return parts.join('\n');
}

describe('usage', () => {
  it('records generateContent with prompt, cached, output and thinking tokens', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-pro' });
    const result = await model.generateContent(prompt);
    const metadata = result.response.usageMetadata as unknown as Record<string, number>;
    const [event] = await fixture.events();
    expect(event).toMatchObject({
      provider: 'gemini',
      operation: 'generateContent',
      model: 'gemini-2.5-pro',
      inputTokens: metadata['promptTokenCount'],
      cachedInputTokens: metadata['cachedContentTokenCount'],
      outputTokens: (metadata['candidatesTokenCount'] ?? 0) + (metadata['thoughtsTokenCount'] ?? 0),
      reasoningTokens: metadata['thoughtsTokenCount'],
      outcome: 'ok',
    });
    expect(event?.cachedInputTokens).toBeGreaterThan(0);
    expect(event?.reasoningTokens).toBeGreaterThan(0);
  });

  it('records a stream when its response resolves', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const streamed = await model.generateContentStream('Stream a short answer');
    let text = '';
    for await (const chunk of streamed.stream) text += chunk.text();
    expect(text).toMatch(/^Simulated reply/);
    await streamed.response;
    await new Promise((resolve) => setTimeout(resolve, 10));
    const [event] = await fixture.events();
    expect(event).toMatchObject({ operation: 'generateContentStream', stream: true, outcome: 'ok' });
    expect(event?.outputTokens).toBe(fixture.simulator.tally().total.outputTokens);
  });

  it('records chats, token counts and embeddings, and totals equal what was served', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const chat = model.startChat();
    await chat.sendMessage('Hello there');
    const streamed = await chat.sendMessageStream('And again');
    for await (const _chunk of streamed.stream) {
      // drain
    }
    await streamed.response;
    await model.countTokens(prompt);
    const embedder = fixture.client.sdk.getGenerativeModel({ model: 'text-embedding-004' });
    expect((await embedder.embedContent('hello')).embedding.values).toHaveLength(768);
    await embedder.batchEmbedContents({ requests: [{ content: { role: 'user', parts: [{ text: 'a' }] } }] });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const events = await fixture.events();
    expect(events.map((event) => event.operation)).toEqual([
      'chat.sendMessage',
      'chat.sendMessageStream',
      'countTokens',
      'embedContent',
      'batchEmbedContents',
    ]);
    const [totals] = await fixture.ledger.totals();
    const served = fixture.simulator.tally().total;
    expect(totals).toMatchObject({
      requests: served.requests,
      inputTokens: served.inputTokens,
      cachedInputTokens: served.cachedInputTokens,
      outputTokens: served.outputTokens,
      reasoningTokens: served.reasoningTokens,
    });
  });

  it('applies baseURL to models obtained with the user’s own request options', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' }, { apiVersion: 'v1' });
    await model.generateContent('hi');
    expect(fixture.simulator.requests[0]?.path).toMatch(
      /^\/gemini\/v1\/models\/gemini-2.5-flash:generateContent/,
    );
  });
});

describe('failures', () => {
  it('maps HTTP 400 API_KEY_INVALID to unauthorized, and never shows the key the server echoed', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const error = await rejection(model.generateContent('hi'));
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'unauthorized', provider: 'gemini', status: 400 });
    expect((error as CredentialError).message).toContain('API_KEY_INVALID');
    expect((error as CredentialError).hint).toContain('aistudio.google.com');
    expect(((error as CredentialError).cause as Error).message).toContain(
      'Invalid API key: [REDACTED gemini',
    );
    expect(printed(error).includes(fixture.key)).toBe(false);
  });

  it('maps 403 to forbidden and a daily quota to quota_exceeded', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    fixture.simulator.failNext('forbidden');
    expect(await rejection(model.generateContent('hi'))).toMatchObject({ reason: 'forbidden', status: 403 });
    fixture.simulator.failNext('quota');
    expect(await rejection(model.generateContent('hi'))).toMatchObject({
      reason: 'quota_exceeded',
      status: 429,
    });
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['forbidden', 'quota_exceeded']);
  });

  it('keeps the SDK error for a per-minute rate limit and a server error', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    fixture.simulator.failNext('rate_limit');
    const limited = await rejection(model.generateContent('hi'));
    expect(isCredentialError(limited)).toBe(false);
    expect((limited as { status?: number }).status).toBe(429);
    fixture.simulator.failNext('server_error');
    expect(isCredentialError(await rejection(model.generateContent('hi')))).toBe(false);
    expect((await fixture.events()).map((event) => event.outcome)).toEqual(['rate_limited', 'error']);
  });

  it('finds missing, malformed and wrong_provider keys before any request, from either env var', async () => {
    vi.stubEnv('GEMINI_API_KEY', undefined);
    vi.stubEnv('GOOGLE_API_KEY', undefined);
    expect(await rejection(createClient('gemini'))).toMatchObject({ reason: 'missing' });
    vi.stubEnv('GOOGLE_API_KEY', fixture.key);
    expect((await createClient('gemini', undefined, { ledger: false })).maskedId).toBe(
      fixture.client.maskedId,
    );
    expect(await rejection(createClient('gemini', keys.literal(testKey('slack', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    expect(await rejection(createClient('gemini', keys.literal(`${fixture.key}xyz`)))).toMatchObject({
      reason: 'malformed',
    });
  });

  it('picks up a rotated key, also for a model obtained before the rotation', async () => {
    const oldKey = testKey('gemini', 'rotation-old');
    const newKey = testKey('gemini', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-gemini-')), 'key');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('gemini', { key: oldKey, source: keys.file(path) });
    try {
      const model = rotating.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      expect((await model.generateContent('after rotation')).response.text()).toMatch(/^Simulated reply/);
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
    } finally {
      await rotating.close();
    }
  });
});

describe('objects and verify()', () => {
  it('shows no key in inspect or JSON of the client, the SDK, a model or a chat', async () => {
    const model = fixture.client.sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const chat = model.startChat();
    expect(fixture.client.sdk).toBeInstanceOf(GoogleGenerativeAI);
    for (const value of [fixture.client, fixture.client.sdk, model, chat]) {
      expect(printed(value).includes(fixture.key)).toBe(false);
    }
    expect(inspect(model)).toBe("GenerativeModel { model: 'gemini-2.5-flash' }");
  });

  it('verifies with a free token count', async () => {
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'gemini',
      identity: { model: 'gemini-2.5-flash' },
    });
    expect((await fixture.events())[0]?.operation).toBe('countTokens');
  });
});
