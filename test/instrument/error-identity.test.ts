/**
 * Errors keep the SDK's identity: a call that fails because of the key rejects with the SDK's own
 * error class (so handlers written for the official SDK still match), redacted, and that error is
 * also a credential error (`isCredentialError`, `instanceof CredentialError`, reason, hint). Each
 * real SDK against the simulator.
 */
import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { DiscordAPIError } from '@discordjs/rest';
import { ApiError } from '@google/genai';
import { GoogleGenerativeAIFetchError } from '@google/generative-ai';
import { ErrorCode } from '@slack/web-api';
import OpenAI from 'openai';
import { TelegramError } from 'telegraf';
import { describe, expect, it } from 'vitest';
import {
  CredentialError,
  isCredentialError,
  isKeycardError,
  KeycardError,
  type SdkCredentialError,
} from '../../src/errors.js';
import { providerOf, type SupportedProvider } from '../../src/providers/registry.js';
import type { SimulatorFault } from '../../src/testing/types.js';
import { type ClientFixture, clientFixture } from '../helpers/fixture.js';
import { rejection } from '../helpers/rejections.js';

type AnyFixture = ClientFixture<SupportedProvider>;
type Call = (fixture: AnyFixture) => Promise<unknown>;

// biome-ignore lint/suspicious/noExplicitAny: each provider's SDK has its own type
const sdk = (fixture: AnyFixture) => fixture.client.sdk as any;
const calls: Record<SupportedProvider, Call> = {
  openai: (fixture) => sdk(fixture).models.list(),
  xai: (fixture) => sdk(fixture).models.list(),
  groq: (fixture) => sdk(fixture).models.list(),
  openrouter: (fixture) => sdk(fixture).models.list(),
  deepseek: (fixture) => sdk(fixture).models.list(),
  together: (fixture) =>
    sdk(fixture).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
  mistral: (fixture) =>
    sdk(fixture).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
  anthropic: (fixture) => sdk(fixture).models.list(),
  gemini: (fixture) => sdk(fixture).getGenerativeModel({ model: 'gemini-2.0-flash' }).generateContent('hi'),
  'google-genai': (fixture) =>
    sdk(fixture).models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' }),
  slack: (fixture) => sdk(fixture).chat.postMessage({ channel: 'C0GENERAL', text: 'x' }),
  telegram: (fixture) => sdk(fixture).getMe(),
  discord: (fixture) =>
    sdk(fixture).post('/channels/1100000000000000009/messages', { body: { content: 'x' } }),
};

type ErrorClass = abstract new (...args: never[]) => Error;
interface Case {
  provider: SupportedProvider;
  fault: SimulatorFault;
  reason: CredentialError['reason'];
  /** The SDK classes the error must still be an instance of. */
  classes: ErrorClass[];
  /** SDK fields that must survive, beyond `status`. */
  fields?: (error: unknown, fixture: AnyFixture) => void;
}

const openAIFields = (error: unknown) => {
  const apiError = error as InstanceType<typeof OpenAI.APIError>;
  expect(apiError.requestID).toMatch(/^req_/);
  expect(apiError.headers).toBeInstanceOf(Headers);
  expect((error as CredentialError).requestId).toBe(apiError.requestID);
};
const anthropicFields = (error: unknown, fixture: AnyFixture) => {
  const apiError = error as InstanceType<typeof Anthropic.APIError>;
  expect(apiError.requestID).toBe(fixture.simulator.requests.at(-1)?.id);
  expect(apiError.headers).toBeInstanceOf(Headers);
};
const slackFields = (error: unknown) => {
  expect((error as { code?: string }).code).toBe(ErrorCode.PlatformError);
  expect((error as { data?: { ok?: boolean } }).data?.ok).toBe(false);
};

const discordFields = (code: number) => (error: unknown) => {
  const apiError = error as InstanceType<typeof DiscordAPIError>;
  expect(apiError.code).toBe(code);
  expect(apiError.name).toBe(`DiscordAPIError[${code}]`);
  expect(apiError.method).toBe('POST');
  expect(apiError.rawError).toMatchObject({ code });
};

const cases: Case[] = [
  {
    provider: 'openai',
    fault: 'unauthorized',
    reason: 'unauthorized',
    classes: [OpenAI.AuthenticationError, OpenAI.APIError, OpenAI.OpenAIError],
    fields: openAIFields,
  },
  {
    provider: 'openai',
    fault: 'forbidden',
    reason: 'forbidden',
    classes: [OpenAI.PermissionDeniedError, OpenAI.APIError],
    fields: openAIFields,
  },
  {
    provider: 'openai',
    fault: 'quota',
    reason: 'quota_exceeded',
    classes: [OpenAI.RateLimitError, OpenAI.APIError],
    fields: openAIFields,
  },
  {
    provider: 'xai',
    fault: 'unauthorized',
    reason: 'unauthorized',
    classes: [OpenAI.APIError],
  },
  {
    provider: 'anthropic',
    fault: 'unauthorized',
    reason: 'unauthorized',
    classes: [Anthropic.AuthenticationError, Anthropic.APIError],
    fields: anthropicFields,
  },
  {
    provider: 'anthropic',
    fault: 'forbidden',
    reason: 'forbidden',
    classes: [Anthropic.PermissionDeniedError, Anthropic.APIError],
    fields: anthropicFields,
  },
  {
    provider: 'anthropic',
    fault: 'quota',
    reason: 'quota_exceeded',
    classes: [Anthropic.BadRequestError, Anthropic.APIError],
    fields: anthropicFields,
  },
  {
    provider: 'gemini',
    fault: 'unauthorized',
    reason: 'unauthorized',
    classes: [GoogleGenerativeAIFetchError],
  },
  { provider: 'gemini', fault: 'forbidden', reason: 'forbidden', classes: [GoogleGenerativeAIFetchError] },
  { provider: 'gemini', fault: 'quota', reason: 'quota_exceeded', classes: [GoogleGenerativeAIFetchError] },
  { provider: 'google-genai', fault: 'unauthorized', reason: 'unauthorized', classes: [ApiError] },
  { provider: 'google-genai', fault: 'forbidden', reason: 'forbidden', classes: [ApiError] },
  { provider: 'google-genai', fault: 'quota', reason: 'quota_exceeded', classes: [ApiError] },
  { provider: 'slack', fault: 'unauthorized', reason: 'unauthorized', classes: [Error], fields: slackFields },
  { provider: 'slack', fault: 'forbidden', reason: 'forbidden', classes: [Error], fields: slackFields },
  { provider: 'telegram', fault: 'unauthorized', reason: 'unauthorized', classes: [TelegramError] },
  {
    provider: 'discord',
    fault: 'unauthorized',
    reason: 'unauthorized',
    classes: [DiscordAPIError],
    fields: discordFields(0),
  },
  {
    provider: 'discord',
    fault: 'forbidden',
    reason: 'forbidden',
    classes: [DiscordAPIError],
    fields: discordFields(50013),
  },
];

describe.each(cases)('$provider $fault', ({ provider, fault, reason, classes, fields }) => {
  it(`rejects with the SDK's own class that is also a CredentialError (${reason})`, async () => {
    const fixture = await clientFixture(provider);
    try {
      fixture.simulator.failNext(fault);
      const error = await rejection(calls[provider](fixture));
      for (const type of classes) expect(error).toBeInstanceOf(type);
      // keycard's view of the same error.
      expect(isCredentialError(error)).toBe(true);
      expect(isKeycardError(error)).toBe(true);
      expect(CredentialError.is(error)).toBe(true);
      expect(error instanceof CredentialError).toBe(true);
      expect(error instanceof KeycardError).toBe(true);
      expect(error).toMatchObject({
        reason,
        // A client of another SDK reports its provider ('google-genai' → 'gemini').
        provider: providerOf(provider),
        source: 'literal',
        maskedId: fixture.client.maskedId,
        fingerprint: fixture.client.fingerprint,
        status: expect.any(Number),
        retryable: false,
      });
      const credential = error as SdkCredentialError;
      expect(credential.hint.length).toBeGreaterThan(10);
      expect(credential.message).toContain(credential.hint);
      expect(credential.stack?.split('\n')[0]).toContain(credential.message.split('\n')[0]);
      // The SDK's original error, redacted, is the cause.
      for (const type of classes) expect(credential.cause).toBeInstanceOf(type);
      expect(isCredentialError(credential.cause)).toBe(false);
      fields?.(error, fixture);
      // No key anywhere: message, stack, fields, headers, body, cause.
      const secret = fixture.key.slice(-12);
      const printed = [
        credential.message,
        credential.stack ?? '',
        inspect(error, { depth: 20, showHidden: true }),
        JSON.stringify(error),
        inspect(credential.cause, { depth: 20, showHidden: true }),
        JSON.stringify((error as { error?: unknown }).error ?? null),
      ].join('\n');
      expect(printed.includes(secret)).toBe(false);
      expect(JSON.parse(JSON.stringify(error))).toMatchObject({ reason, provider: providerOf(provider) });
    } finally {
      await fixture.close();
    }
  });
});

describe('errors that are not about the key', () => {
  it('stay the SDK error alone, with no keycard fields', async () => {
    const fixture = await clientFixture('openai');
    try {
      fixture.simulator.failNext('rate_limit');
      const error = await rejection(calls.openai(fixture));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error instanceof CredentialError).toBe(false);
      expect(error instanceof KeycardError).toBe(false);
      expect(isKeycardError(error)).toBe(false);
      expect((error as { reason?: unknown }).reason).toBeUndefined();
    } finally {
      await fixture.close();
    }
  });
});

describe('instanceof', () => {
  it('keeps the ordinary check for other keycard classes', () => {
    const plain = new KeycardError('x');
    const credential = new CredentialError({ reason: 'missing', message: 'No key.', hint: 'Set it.' });
    expect(plain instanceof CredentialError).toBe(false);
    expect(credential instanceof KeycardError).toBe(true);
    expect(credential instanceof Error).toBe(true);
    expect(new Error('x') instanceof KeycardError).toBe(false);
    expect((null as unknown as object) instanceof KeycardError).toBe(false);
    const impostor = Object.assign(new Error('x'), { name: 'CredentialError', reason: 'missing' });
    expect(impostor instanceof CredentialError).toBe(false);
  });
});
