/**
 * The OpenAI adapter, end to end: the real `openai` SDK through keycard against the simulator
 * over HTTP. Usage for every call style, and each failure mapped as the contract says.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { type OpenAIFixture, openAIFixture } from '../helpers/fixture.js';
import { rejection } from '../helpers/rejections.js';

let fixture: OpenAIFixture;
beforeEach(async () => {
  fixture = await openAIFixture();
});
afterEach(async () => {
  await fixture.close();
});

const messages = [
  { role: 'system' as const, content: 'You are a careful assistant. '.repeat(20) },
  { role: 'user' as const, content: 'Summarise the inbox in two lines please.' },
];

describe('usage', () => {
  it('records a chat completion with every token kind, equal to what the simulator served', async () => {
    const completion = await fixture.client.sdk.chat.completions.create({ model: 'o3-mini', messages });
    const [event] = await fixture.events();
    expect(event).toMatchObject({
      provider: 'openai',
      operation: 'chat.completions',
      model: 'o3-mini',
      inputTokens: completion.usage?.prompt_tokens,
      cachedInputTokens: completion.usage?.prompt_tokens_details?.cached_tokens,
      outputTokens: completion.usage?.completion_tokens,
      reasoningTokens: completion.usage?.completion_tokens_details?.reasoning_tokens,
      outcome: 'ok',
      status: 200,
      stream: false,
      requests: 1,
      keyFingerprint: fixture.client.fingerprint,
      maskedId: fixture.client.maskedId,
    });
    expect(event?.cachedInputTokens).toBeGreaterThan(0);
    expect(event?.reasoningTokens).toBeGreaterThan(0);
    const served = fixture.simulator.tally().total;
    expect(event?.inputTokens).toBe(served.inputTokens);
    expect(event?.outputTokens).toBe(served.outputTokens);
  });

  it('asks a chat stream for usage and hides the extra chunk from the caller', async () => {
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) {
      expect(chunk.choices).toHaveLength(1);
      expect(chunk.usage ?? null).toBeNull();
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toMatch(/^Simulated reply/);
    const [event] = await fixture.events();
    const served = fixture.simulator.tally().total;
    expect(event).toMatchObject({ operation: 'chat.completions', stream: true, outcome: 'ok' });
    expect(event?.inputTokens).toBe(served.inputTokens);
    expect(event?.outputTokens).toBe(served.outputTokens);
    expect(event?.inputTokens).toBeGreaterThan(0);
  });

  it('leaves an explicit include_usage alone: the caller sees the usage chunk', async () => {
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usageSeen: number | undefined;
    for await (const chunk of stream) if (chunk.usage) usageSeen = chunk.usage.prompt_tokens;
    const [event] = await fixture.events();
    expect(usageSeen).toBeGreaterThan(0);
    expect(event?.inputTokens).toBe(usageSeen);
  });

  it('records a stream without tokens when the caller turned usage off', async () => {
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: false },
    });
    for await (const _chunk of stream) {
      // drain
    }
    const [event] = await fixture.events();
    expect(event).toMatchObject({ stream: true, outcome: 'ok', inputTokens: null, outputTokens: null });
  });

  it('meters the .stream() helper and finalChatCompletion()', async () => {
    const runner = fixture.client.sdk.chat.completions.stream({ model: 'gpt-4o-mini', messages });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toMatch(/^Simulated reply/);
    const [event] = await fixture.events();
    expect(event?.inputTokens).toBe(fixture.simulator.tally().total.inputTokens);
  });

  it('records a stream the caller stopped reading as ok, with what it had', async () => {
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    for await (const _chunk of stream) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [event] = await fixture.events();
    expect(event).toMatchObject({ stream: true, outcome: 'ok' });
  });

  it('records the Responses API, plain and streamed', async () => {
    const response = await fixture.client.sdk.responses.create({
      model: 'o4-mini',
      input: 'Classify this ticket.',
    });
    expect(response.output_text).toMatch(/^Simulated reply/);
    const streamed = await fixture.client.sdk.responses
      .stream({ model: 'gpt-4o', input: 'Stream it.' })
      .finalResponse();
    const [plain, stream] = await fixture.events();
    expect(plain).toMatchObject({
      operation: 'responses',
      model: 'o4-mini',
      inputTokens: response.usage?.input_tokens,
      outputTokens: response.usage?.output_tokens,
      reasoningTokens: response.usage?.output_tokens_details.reasoning_tokens,
      stream: false,
    });
    expect(stream).toMatchObject({
      operation: 'responses',
      model: 'gpt-4o',
      inputTokens: streamed.usage?.input_tokens,
      outputTokens: streamed.usage?.output_tokens,
      stream: true,
    });
  });

  it('records embeddings with input tokens and zero output', async () => {
    const result = await fixture.client.sdk.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a b c', 'd e'],
    });
    expect(result.data[0]?.embedding.length).toBe(1536);
    const [event] = await fixture.events();
    expect(event).toMatchObject({
      operation: 'embeddings',
      model: 'text-embedding-3-small',
      inputTokens: result.usage.prompt_tokens,
      outputTokens: 0,
    });
  });

  it('records listing and retrieving models without tokens', async () => {
    await fixture.client.sdk.models.list();
    await fixture.client.sdk.models.retrieve('gpt-4o-mini');
    const events = await fixture.events();
    expect(events.map((event) => event.operation)).toEqual(['models.list', 'models.retrieve']);
    expect(events[0]).toMatchObject({ inputTokens: null, outputTokens: null, outcome: 'ok' });
  });

  it('makes the ledger totals equal the sum of what the simulator served', async () => {
    await fixture.client.sdk.chat.completions.create({ model: 'o3-mini', messages });
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    for await (const _chunk of stream) {
      // drain
    }
    await fixture.client.sdk.responses.create({ model: 'gpt-4o', input: 'x '.repeat(300) });
    await fixture.client.sdk.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    fixture.simulator.failNext('forbidden');
    await rejection(fixture.client.sdk.chat.completions.create({ model: 'gpt-4o', messages }));
    const [totals] = await fixture.ledger.totals();
    const served = fixture.simulator.tally().total;
    expect(totals).toMatchObject({
      requests: served.requests,
      inputTokens: served.inputTokens,
      cachedInputTokens: served.cachedInputTokens,
      outputTokens: served.outputTokens,
      reasoningTokens: served.reasoningTokens,
      errors: 1,
    });
  });
});

describe('failures', () => {
  it('maps a rejected key (401) to CredentialError unauthorized', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await rejection(
      fixture.client.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    );
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({
      reason: 'unauthorized',
      provider: 'openai',
      status: 401,
      source: 'literal',
      maskedId: fixture.client.maskedId,
      fingerprint: fixture.client.fingerprint,
    });
    expect((error as CredentialError).requestId).toMatch(/^req_/);
    expect((error as CredentialError).hint).toContain('https://platform.openai.com/api-keys');
    expect((error as CredentialError).cause).toBeInstanceOf(OpenAI.AuthenticationError);
    const [event] = await fixture.events();
    expect(event).toMatchObject({ outcome: 'unauthorized', status: 401 });
  });

  it('maps 403 to forbidden', async () => {
    fixture.simulator.failNext('forbidden');
    const error = await rejection(fixture.client.sdk.chat.completions.create({ model: 'gpt-4o', messages }));
    expect(error).toMatchObject({ reason: 'forbidden', status: 403 });
    expect((error as CredentialError).cause).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('maps 429 insufficient_quota to quota_exceeded', async () => {
    fixture.simulator.failNext('quota');
    const error = await rejection(fixture.client.sdk.responses.create({ model: 'gpt-4o', input: 'x' }));
    expect(error).toMatchObject({ reason: 'quota_exceeded', status: 429 });
    expect((error as CredentialError).hint).toContain('billing');
    const [event] = await fixture.events();
    expect(event?.outcome).toBe('quota_exceeded');
  });

  it('keeps the SDK RateLimitError for a transient rate limit', async () => {
    fixture.simulator.failNext('rate_limit');
    const error = await rejection(
      fixture.client.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(isCredentialError(error)).toBe(false);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    const [event] = await fixture.events();
    expect(event?.outcome).toBe('rate_limited');
  });

  it('keeps the SDK errors for server and connection failures', async () => {
    fixture.simulator.failNext('server_error');
    expect(await rejection(fixture.client.sdk.models.list())).toBeInstanceOf(OpenAI.InternalServerError);
    fixture.simulator.failNext('reset');
    expect(await rejection(fixture.client.sdk.models.list())).toBeInstanceOf(OpenAI.APIConnectionError);
    const events = await fixture.events();
    expect(events.map((event) => [event.outcome, event.status])).toEqual([
      ['error', 500],
      ['error', null],
    ]);
  });

  it('keeps a timeout a timeout', async () => {
    const slow = await openAIFixture({ client: { timeout: 200 } });
    try {
      slow.simulator.failNext('hang');
      expect(await rejection(slow.client.sdk.models.list())).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    } finally {
      await slow.close();
    }
  });

  it('retries as the SDK does and records every attempt', async () => {
    const retrying = await openAIFixture({ client: { maxRetries: 2 } });
    try {
      retrying.simulator.failNext('server_error', { times: 2 });
      await retrying.client.sdk.models.list();
      const events = await retrying.events();
      expect(events.map((event) => event.status)).toEqual([500, 500, 200]);
      expect(retrying.simulator.tally().total.requests).toBe(3);
    } finally {
      await retrying.close();
    }
  });
});

describe('verify()', () => {
  it('returns the organisation and project the key belongs to', async () => {
    const result = await fixture.client.verify();
    expect(result).toMatchObject({
      ok: true,
      provider: 'openai',
      maskedId: fixture.client.maskedId,
      fingerprint: fixture.client.fingerprint,
      identity: { organization: 'org-simulated', project: 'proj_simulated' },
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('rejects with CredentialError when the key is not accepted', async () => {
    fixture.simulator.revokeKey(fixture.key);
    await expect(fixture.client.verify()).rejects.toSatisfy(
      (error: unknown) => isCredentialError(error) && error.reason === 'unauthorized',
    );
  });
});
