/**
 * The Anthropic adapter, end to end: the real `@anthropic-ai/sdk` through keycard against the
 * simulator over HTTP.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client.js';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { UsageEvent } from '../../src/ledger/types.js';
import { anthropic, anthropicUsage } from '../../src/providers/anthropic.js';
import { startSimulator } from '../../src/testing/index.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection, rejection } from '../helpers/rejections.js';

let fixture: ClientFixture<'anthropic'>;
beforeEach(async () => {
  fixture = await clientFixture('anthropic');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture.close();
});

const model = 'claude-haiku-4-5';
/** Long enough (≥ 64 prompt tokens) for the simulator's prompt cache. */
const system = 'You triage support tickets carefully. '.repeat(12);
const question = { role: 'user' as const, content: 'Classify: the printer is on fire.' };
const request = { model, max_tokens: 512, system, messages: [question] };
/** The same prompt with its system block marked for caching. */
const cached = {
  ...request,
  system: [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const } }],
};
const laterTurn = {
  ...cached,
  messages: [
    question,
    { role: 'assistant' as const, content: 'Urgent.' },
    { role: 'user' as const, content: 'Why?' },
  ],
};
const thinking = { type: 'enabled' as const, budget_tokens: 1024 };

/** What keycard should have recorded for an Anthropic `usage`. */
function expected(usage: Anthropic.Usage) {
  return {
    inputTokens:
      usage.input_tokens + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0),
    cachedInputTokens: usage.cache_read_input_tokens,
    cacheWriteTokens: usage.cache_creation_input_tokens,
    outputTokens: usage.output_tokens,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens ?? null,
  };
}

/** The tally's view of one ledger event, for comparison with what the simulator served. */
const tallied = (event: UsageEvent | undefined) => ({
  inputTokens: event?.inputTokens,
  cachedInputTokens: event?.cachedInputTokens,
  outputTokens: event?.outputTokens,
  reasoningTokens: event?.reasoningTokens,
});

describe('usage', () => {
  it('records a plain message: operation, model, tokens and status, equal to what was served', async () => {
    const message = await fixture.client.sdk.messages.create(request);
    expect(message.content.at(-1)).toMatchObject({
      type: 'text',
      text: expect.stringMatching(/^Simulated reply/),
    });
    const [event] = await fixture.events();
    expect(event).toMatchObject({
      provider: 'anthropic',
      operation: 'messages',
      model,
      ...expected(message.usage),
      keyFingerprint: fixture.client.fingerprint,
      outcome: 'ok',
      status: 200,
      stream: false,
    });
    // No cache_control, no cache; no thinking, no reasoning.
    expect(event).toMatchObject({ cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(fixture.simulator.requests[0]?.usage).toEqual(tallied(event));
  });

  it('records every token kind: cache write, then cache read, and thinking', async () => {
    const first = await fixture.client.sdk.messages.create(cached);
    const second = await fixture.client.sdk.messages.create(laterTurn);
    const thought = await fixture.client.sdk.messages.create({ ...request, max_tokens: 2048, thinking });
    const [write, read, reasoning] = await fixture.events();
    expect(write).toMatchObject(expected(first.usage));
    expect(read).toMatchObject(expected(second.usage));
    expect(reasoning).toMatchObject(expected(thought.usage));
    expect(write?.cacheWriteTokens).toBeGreaterThan(0);
    expect(write?.cachedInputTokens).toBe(0);
    expect(read?.cachedInputTokens).toBeGreaterThan(0);
    expect(read?.cacheWriteTokens).toBe(0);
    expect(reasoning?.reasoningTokens).toBeGreaterThan(0);
    expect(thought.content[0]?.type).toBe('thinking');
    // keycard's input is the whole input: Anthropic's input_tokens excludes the cache.
    expect(write?.inputTokens).toBeGreaterThan(first.usage.input_tokens);
    expect(read?.inputTokens).toBeGreaterThan(second.usage.input_tokens);
    expect(fixture.simulator.requests.map((served) => served.usage)).toEqual(
      [write, read, reasoning].map(tallied),
    );
  });

  it('records a raw stream (stream: true) from message_start and message_delta', async () => {
    const stream = await fixture.client.sdk.messages.create({
      ...laterTurn,
      max_tokens: 2048,
      thinking,
      stream: true,
    });
    let text = '';
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(text).toMatch(/^Simulated reply: Why\?/);
    const [event] = await fixture.events();
    expect(event).toMatchObject({ operation: 'messages', model, stream: true, outcome: 'ok', status: 200 });
    expect(tallied(event)).toEqual(fixture.simulator.requests[0]?.usage);
    // Every kind is in the stream: cache read, thinking, and output beyond message_start's 1.
    expect(event?.cachedInputTokens).toBeGreaterThan(0);
    expect(event?.reasoningTokens).toBeGreaterThan(0);
    expect(event?.outputTokens).toBeGreaterThan(1);
  });

  it('meters the messages.stream() helper: finalMessage() and the ledger agree', async () => {
    const runner = fixture.client.sdk.messages.stream({ ...cached, max_tokens: 2048, thinking });
    const deltas: string[] = [];
    runner.on('text', (delta) => deltas.push(delta));
    const final = await runner.finalMessage();
    expect(deltas.join('')).toMatch(/^Simulated reply/);
    const [event] = await fixture.events();
    expect(event).toMatchObject({ stream: true, outcome: 'ok', ...expected(final.usage) });
    expect(event?.cacheWriteTokens).toBeGreaterThan(0);
    expect(tallied(event)).toEqual(fixture.simulator.requests[0]?.usage);
  });

  it('records a stream the caller stopped reading as ok, with the input from message_start', async () => {
    const stream = await fixture.client.sdk.messages.create({ ...request, stream: true });
    for await (const _event of stream) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [event] = await fixture.events();
    expect(event).toMatchObject({ stream: true, outcome: 'ok' });
    expect(event?.inputTokens).toBe(fixture.simulator.requests[0]?.usage?.inputTokens);
  });

  it('records counting tokens, listing, paging and retrieving models without tokens', async () => {
    const counted = await fixture.client.sdk.messages.countTokens({ model, system, messages: [question] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const ids: string[] = [];
    for await (const info of fixture.client.sdk.models.list({ limit: 2 })) ids.push(info.id);
    expect(ids).toHaveLength(3);
    const info = await fixture.client.sdk.models.retrieve(model);
    expect(info.id).toBe(model);
    const events = await fixture.events();
    expect(events.map((event) => [event.operation, event.inputTokens, event.outputTokens])).toEqual([
      ['messages.count_tokens', null, null],
      ['models.list', null, null],
      ['models.list', null, null],
      ['models.retrieve', null, null],
    ]);
  });

  it('meters the beta Messages API under the same operation', async () => {
    const message = await fixture.client.sdk.beta.messages.create(request);
    const [event] = await fixture.events();
    expect(event).toMatchObject({ operation: 'messages', model, outputTokens: message.usage.output_tokens });
  });

  it('makes the ledger totals equal what the simulator served', async () => {
    await fixture.client.sdk.messages.create(request);
    await fixture.client.sdk.messages.create(cached);
    for await (const _event of await fixture.client.sdk.messages.create({ ...laterTurn, stream: true })) {
      // drain
    }
    await fixture.client.sdk.messages.stream({ ...request, max_tokens: 2048, thinking }).finalMessage();
    await fixture.client.sdk.messages.countTokens({ model, messages: [question] });
    await fixture.client.sdk.models.list();
    fixture.simulator.failNext('forbidden');
    await rejection(fixture.client.sdk.messages.create(request));
    fixture.simulator.failNext('rate_limit');
    await rejection(fixture.client.sdk.messages.create({ ...request, stream: true }));
    const [totals] = await fixture.ledger.totals();
    const served = fixture.simulator.tally().total;
    expect(totals).toMatchObject({
      requests: served.requests,
      inputTokens: served.inputTokens,
      cachedInputTokens: served.cachedInputTokens,
      outputTokens: served.outputTokens,
      reasoningTokens: served.reasoningTokens,
      errors: 2,
    });
    expect(served).toMatchObject({ requests: 8, errors: { 403: 1, 429: 1 } });
    expect(served.cachedInputTokens).toBeGreaterThan(0);
    expect(served.reasoningTokens).toBeGreaterThan(0);
  });
});

describe('the key on the wire', () => {
  it('sends the key as a Bearer token, and the SDK object holds only a placeholder', async () => {
    await fixture.client.sdk.messages.create(request);
    const [sent] = fixture.simulator.requests;
    expect(sent).toMatchObject({ keyAccepted: true, keyFingerprint: fixture.client.fingerprint });
    expect(sent?.headers['authorization']).toBe('[redacted]');
    expect(sent?.headers['x-api-key']).toBeUndefined();
    expect(sent?.headers['anthropic-version']).toBe('2026-10-21');
    expect(fixture.client.sdk.apiKey).toBe('keycard-managed-key');
  });

  it('puts the key in x-api-key when the request carries that header, without the Bearer placeholder', async () => {
    const legacy = await clientFixture('anthropic', {
      client: { sdkOptions: { defaultHeaders: { 'X-Api-Key': 'set-by-keycard' } } },
    });
    try {
      await legacy.client.sdk.messages.create(request);
      const [sent] = legacy.simulator.requests;
      expect(sent?.keyAccepted).toBe(true);
      expect(sent?.headers['x-api-key']).toBe('[redacted]');
      expect(sent?.headers['authorization']).toBeUndefined();
    } finally {
      await legacy.close();
    }
  });

  it('passes the SDK log through keycard’s logger without the key', async () => {
    const logged = await clientFixture('anthropic', { client: { sdkOptions: { logLevel: 'debug' } } });
    try {
      await logged.client.sdk.messages.create(request);
      expect(logged.logger.lines.some((line) => line.includes('/v1/messages'))).toBe(true);
      expect(logged.logger.lines.join('\n')).not.toContain(logged.key);
    } finally {
      await logged.close();
    }
  });
});

describe('failures', () => {
  it('maps 401 authentication_error to unauthorized, with request id and hint', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await credentialRejection(fixture.client.sdk.messages.create(request));
    expect(error).toMatchObject({
      reason: 'unauthorized',
      provider: 'anthropic',
      status: 401,
      source: 'literal',
      maskedId: fixture.client.maskedId,
      fingerprint: fixture.client.fingerprint,
    });
    expect(error.requestId).toBe(fixture.simulator.requests[0]?.id);
    expect(error.cause).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.hint).toContain('console.anthropic.com/settings/keys');
    expect(`${error.message} ${error.stack}`).not.toContain(fixture.key);
    expect((await fixture.events())[0]).toMatchObject({ outcome: 'unauthorized', status: 401 });
  });

  it('picks up a rotated key after a 401 and replays the call', async () => {
    const oldKey = testKey('anthropic', 'rotation-old');
    const newKey = testKey('anthropic', 'rotation-new');
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-anthropic-')), 'key');
    await writeFile(path, oldKey);
    await chmod(path, 0o600);
    const rotating = await clientFixture('anthropic', { key: oldKey, source: keys.file(path) });
    try {
      rotating.simulator.revokeKey(oldKey);
      rotating.simulator.addKey(newKey);
      await writeFile(path, newKey);
      const message = await rotating.client.sdk.messages.create(request);
      expect(message.type).toBe('message');
      expect((await rotating.events()).map((event) => event.outcome)).toEqual(['unauthorized', 'ok']);
      expect(rotating.simulator.requests.map((sent) => sent.keyAccepted)).toEqual([false, true]);
    } finally {
      await rotating.close();
    }
  });

  it('maps 403 permission_error to forbidden, for plain and streamed calls', async () => {
    fixture.simulator.failNext('forbidden', { times: 2 });
    const plain = await credentialRejection(fixture.client.sdk.messages.create(request));
    expect(plain).toMatchObject({ reason: 'forbidden', status: 403 });
    expect(plain.cause).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const streamed = await credentialRejection(fixture.client.sdk.messages.stream(request).finalMessage());
    expect(streamed).toMatchObject({ reason: 'forbidden', status: 403 });
  });

  it('maps the credit-balance 400 to quota_exceeded', async () => {
    fixture.simulator.failNext('quota');
    const error = await credentialRejection(fixture.client.sdk.messages.create(request));
    expect(error).toMatchObject({ reason: 'quota_exceeded', status: 400 });
    expect(error.cause).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.hint).toContain('billing');
    expect((await fixture.events())[0]?.outcome).toBe('quota_exceeded');
  });

  it('keeps the SDK RateLimitError for a rate limit, and the SDK errors for other failures', async () => {
    fixture.simulator.failNext('rate_limit');
    const limited = await rejection(fixture.client.sdk.messages.create(request));
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(isCredentialError(limited)).toBe(false);
    expect(limited).toMatchObject({ status: 429, type: 'rate_limit_error' });
    fixture.simulator.failNext('server_error');
    expect(await rejection(fixture.client.sdk.messages.create(request))).toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    fixture.simulator.failNext('reset');
    expect(await rejection(fixture.client.sdk.messages.create(request))).toBeInstanceOf(
      Anthropic.APIConnectionError,
    );
    fixture.simulator.failNext('bad_json');
    expect(isCredentialError(await rejection(fixture.client.sdk.messages.create(request)))).toBe(false);
    expect((await fixture.events()).map((event) => [event.outcome, event.status])).toEqual([
      ['rate_limited', 429],
      ['error', 500],
      ['error', null],
      // A 200 whose body the SDK cannot read is an error too.
      ['error', 200],
    ]);
  });

  it('keeps a timeout a timeout', async () => {
    const slow = await clientFixture('anthropic', { client: { timeout: 200 } });
    try {
      slow.simulator.failNext('hang');
      expect(await rejection(slow.client.sdk.models.list())).toBeInstanceOf(
        Anthropic.APIConnectionTimeoutError,
      );
    } finally {
      await slow.close();
    }
  });

  it('retries as the SDK does and records every attempt', async () => {
    // One retry (the SDK backs off about half a second before it) keeps the suite fast.
    const retrying = await clientFixture('anthropic', { client: { maxRetries: 1 } });
    try {
      retrying.simulator.failNext('server_error');
      await retrying.client.sdk.messages.create(request);
      expect((await retrying.events()).map((event) => event.status)).toEqual([500, 200]);
      expect(retrying.simulator.requests.map((sent) => sent.headers['x-stainless-retry-count'])).toEqual([
        '0',
        '1',
      ]);
    } finally {
      await retrying.close();
    }
  });

  it('finds missing, malformed and wrong_provider keys before any request', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', undefined);
    expect(await rejection(createClient('anthropic'))).toMatchObject({
      reason: 'missing',
      source: 'env:ANTHROPIC_API_KEY',
    });
    expect(await rejection(createClient('anthropic', keys.literal(testKey('openai', 'x'))))).toMatchObject({
      reason: 'wrong_provider',
    });
    expect(
      await rejection(createClient('anthropic', keys.literal(['sk', 'ant', 'api03', 'short'].join('-')))),
    ).toMatchObject({
      reason: 'malformed',
    });
  });
});

describe('error codes the simulator does not inject', () => {
  /** A one-answer Anthropic-shaped server, for error bodies the simulator has no fault for. */
  async function answering(status: number, error: Record<string, unknown>) {
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_canned' });
      res.end(JSON.stringify({ type: 'error', error, request_id: 'req_canned' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = await createClient('anthropic', keys.literal(fixture.key), {
      baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      maxRetries: 0,
      ledger: new MemoryLedger(),
    });
    try {
      return await rejection(client.sdk.messages.create(request));
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('maps a spend-limit 429 (error_code) to quota_exceeded, keeping the SDK class as cause', async () => {
    const error = await answering(429, {
      type: 'rate_limit_error',
      message: 'Your organization has reached its monthly usage limit.',
      details: { error_code: 'enforced_spend_limit_reached' },
    });
    expect(error).toMatchObject({ reason: 'quota_exceeded', status: 429, requestId: 'req_canned' });
    expect((error as CredentialError).cause).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as CredentialError).message).toContain('enforced_spend_limit_reached');
  });

  it('keeps a 529 overload as the SDK OverloadedError', async () => {
    const error = await answering(529, { type: 'overloaded_error', message: 'Overloaded' });
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(isCredentialError(error)).toBe(false);
  });

  it('classifies every documented key problem', () => {
    const http = anthropic.http;
    if (http === undefined) throw new Error('the Anthropic adapter meters through fetch');
    const reason = (status: number, type: string, message = '', code?: string) =>
      anthropic.classify(
        http.failureFromResponse(
          status,
          {
            type: 'error',
            error: { type, message, ...(code === undefined ? {} : { details: { error_code: code } }) },
          },
          new Headers(),
        ),
      ).reason ?? 'none';
    expect(reason(401, 'authentication_error', 'invalid x-api-key')).toBe('unauthorized');
    expect(reason(403, 'permission_error')).toBe('forbidden');
    expect(reason(400, 'invalid_request_error', 'x', 'organization_on_hold')).toBe('forbidden');
    expect(
      reason(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API.'),
    ).toBe('quota_exceeded');
    expect(reason(400, 'billing_error', 'Billing problem')).toBe('quota_exceeded');
    expect(reason(402, 'billing_error', 'x', 'linked_organization_spend_limit_reached')).toBe(
      'quota_exceeded',
    );
    expect(reason(429, 'rate_limit_error', 'x', 'contract_spend_limit_reached')).toBe('quota_exceeded');
    expect(reason(429, 'rate_limit_error', 'x', 'ramp_limit_exceeded')).toBe('none');
    expect(reason(429, 'rate_limit_error', 'Too many requests')).toBe('none');
    expect(reason(529, 'overloaded_error', 'Overloaded')).toBe('none');
    expect(reason(400, 'invalid_request_error', 'max_tokens: Field required')).toBe('none');
  });

  it('reads an error event from the middle of a stream (an APIError without a status)', () => {
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    const error = new Anthropic.APIError(undefined, body, undefined, new Headers());
    const failure = anthropic.failureFromError(error);
    expect(failure).toMatchObject({ status: undefined, type: 'overloaded_error' });
    expect(failure === undefined ? undefined : anthropic.classify(failure)).toEqual({ outcome: 'error' });
    expect(
      anthropic.failureFromError(new Anthropic.APIConnectionError({ message: 'Connection error.' })),
    ).toBeUndefined();
  });

  it('keeps earlier stream counters when a message_delta sends them as null or leaves them out', () => {
    const plan = anthropic.http?.plan({
      url: new URL('https://api.anthropic.com/v1/messages'),
      method: 'POST',
      headers: new Headers(),
      bodyText: JSON.stringify({ model, max_tokens: 10, messages: [question], stream: true }),
    });
    const reader = plan?.stream;
    reader?.onEvent(
      JSON.stringify({
        type: 'message_start',
        message: {
          model,
          usage: {
            input_tokens: 7,
            cache_read_input_tokens: 20,
            cache_creation_input_tokens: 3,
            output_tokens: 1,
          },
        },
      }),
      'message_start',
    );
    reader?.onEvent(
      JSON.stringify({
        type: 'message_delta',
        usage: { input_tokens: null, cache_read_input_tokens: null, output_tokens: 9 },
      }),
      'message_delta',
    );
    expect(reader?.result()).toEqual({
      ...anthropicUsage(
        { input_tokens: 7, cache_read_input_tokens: 20, cache_creation_input_tokens: 3 },
        model,
      ),
      outputTokens: 9,
    });
    expect(reader?.result().inputTokens).toBe(30);
  });
});

describe('verify()', () => {
  it('lists models and names the organisation and workspace', async () => {
    expect(await fixture.client.verify()).toMatchObject({
      ok: true,
      provider: 'anthropic',
      maskedId: fixture.client.maskedId,
      identity: {
        organization: 'org-simulated-anthropic',
        workspace: 'wrkspc_simulated',
        models: 3,
        moreModels: false,
      },
    });
    expect((await fixture.events())[0]?.operation).toBe('models.list');
  });

  it('rejects with unauthorized for a revoked key', async () => {
    fixture.simulator.revokeKey(fixture.key);
    const error = await credentialRejection(fixture.client.verify());
    expect(error).toMatchObject({ reason: 'unauthorized', status: 401 });
  });
});

describe('isolation', () => {
  it('ignores the environment: base URL, keys, custom headers, webhook key, telemetry settings', async () => {
    const decoy = await startSimulator({ keys: [] });
    vi.stubEnv('ANTHROPIC_BASE_URL', decoy.baseURL('anthropic'));
    vi.stubEnv('ANTHROPIC_API_KEY', testKey('anthropic', 'env-decoy'));
    vi.stubEnv('ANTHROPIC_AUTH_TOKEN', testKey('anthropic', 'env-token-decoy'));
    vi.stubEnv('ANTHROPIC_CUSTOM_HEADERS', 'X-Injected: yes\nAuthorization: Bearer decoy\nnot a header line');
    vi.stubEnv('ANTHROPIC_WEBHOOK_SIGNING_KEY', 'whsec_decoy');
    vi.stubEnv('ANTHROPIC_OPEN_TELEMETRY', 'false');
    vi.stubEnv('ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE', 'content');
    const isolated = await clientFixture('anthropic', { key: testKey('anthropic', 'isolated') });
    try {
      await isolated.client.sdk.messages.create(request);
      const [sent] = isolated.simulator.requests;
      expect(sent?.keyAccepted).toBe(true);
      expect(sent?.keyFingerprint).toBe(isolated.client.fingerprint);
      expect(sent?.headers['x-injected']).toBeUndefined();
      expect(sent?.headers['anthropic-version']).toBe('2026-10-21');
      expect(decoy.requests).toHaveLength(0);
      const sdk = isolated.client.sdk;
      expect(sdk.baseURL).toBe(isolated.simulator.baseURL('anthropic'));
      expect(sdk.webhookKey).toBeNull();
      expect(sdk.authToken).toBeNull();
      expect(sdk.openTelemetry.traces).toMatchObject({ enabled: true, contentMode: 'metadata_only' });
    } finally {
      await isolated.close();
      await decoy.close();
    }
  });

  it('honours defaultHeaders given as a Headers object', async () => {
    vi.stubEnv('ANTHROPIC_CUSTOM_HEADERS', 'X-Injected: yes');
    const custom = await clientFixture('anthropic', {
      client: { sdkOptions: { defaultHeaders: new Headers({ 'x-team': 'ops' }) } },
    });
    try {
      await custom.client.sdk.models.list();
      const [sent] = custom.simulator.requests;
      expect(sent?.headers['x-team']).toBe('ops');
      expect(sent?.headers['x-injected']).toBeUndefined();
    } finally {
      await custom.close();
    }
  });

  it('shows no key in util.inspect or JSON of the client and the SDK', async () => {
    await fixture.client.sdk.messages.create(request);
    for (const output of [
      inspect(fixture.client, { depth: 20, showHidden: true }),
      inspect(fixture.client.sdk, { depth: 20, showHidden: true }),
      JSON.stringify(fixture.client),
      JSON.stringify(fixture.client.sdk),
    ]) {
      expect(output.includes(fixture.key)).toBe(false);
    }
  });
});
