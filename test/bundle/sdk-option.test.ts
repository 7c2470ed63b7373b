/**
 * `createClient`'s `sdk` option: the SDK the user imported is used as given (class or module),
 * and anything else is a `KeycardError` at creation, before the key is read.
 */

import Anthropic from '@anthropic-ai/sdk';
import * as discordModule from '@discordjs/rest';
import * as genai from '@google/generative-ai';
import * as slackModule from '@slack/web-api';
import OpenAI, * as openaiModule from 'openai';
import * as telegraf from 'telegraf';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { isKeycardError } from '../../src/errors.js';
import { keys } from '../../src/keys/index.js';
import { startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';

/** A subclass keycard cannot import: the client is built from it only if the option is used. */
class MyOpenAI extends OpenAI {}

describe('createClient sdk option', () => {
  it('builds the client from the class given, and the call goes through keycard', async () => {
    const key = testKey('openai', 'sdk-option');
    const simulator = await startSimulator({ keys: [key], providers: ['openai'] });
    try {
      const client = await createClient('openai', keys.literal(key), {
        sdk: MyOpenAI,
        baseURL: simulator.baseURL('openai'),
        ledger: 'memory:',
        telemetry: false,
      });
      expect(client.sdk).toBeInstanceOf(MyOpenAI);
      const models = await client.sdk.models.list();
      expect(models.data.length).toBeGreaterThan(0);
      expect(simulator.requests.at(-1)?.keyAccepted).toBe(true);
      await client.close();
    } finally {
      await simulator.close();
    }
  });

  it('takes the module namespace, and the class alone where keycard needs no more', async () => {
    const cases = [
      ['openai', openaiModule, testKey('openai', 'ns')],
      ['xai', OpenAI, testKey('xai', 'cls')],
      ['anthropic', Anthropic, testKey('anthropic', 'cls')],
      ['gemini', genai, testKey('gemini', 'ns')],
      ['slack', slackModule.WebClient, testKey('slack', 'cls')],
      ['slack', slackModule, testKey('slack', 'ns')],
      ['telegram', telegraf.Telegram, testKey('telegram', 'cls')],
      ['telegram', telegraf, testKey('telegram', 'ns')],
      ['discord', discordModule.REST, testKey('discord', 'cls')],
      ['discord', discordModule, testKey('discord', 'ns')],
    ] as const;
    for (const [provider, sdk, key] of cases) {
      const client = await createClient(provider, keys.literal(key), { sdk: sdk as never, ledger: false });
      expect(client.provider).toBe(provider);
      await client.close();
    }
  });

  it('refuses what is not the SDK, before reading the key, and says what to pass', async () => {
    const refused = async (provider: 'openai' | 'gemini' | 'telegram' | 'anthropic', sdk: unknown) => {
      // A source that would fail if read: the option is checked first.
      const error = await createClient(provider, keys.env('KEYCARD_TEST_UNSET_VARIABLE'), {
        sdk: sdk as never,
        ledger: false,
      }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(isKeycardError(error)).toBe(true);
      return (error as Error).message;
    };
    expect(await refused('openai', Anthropic)).toMatch(
      /^createClient\('openai'\): sdk must be the OpenAI SDK as you imported it: its OpenAI class .*; got the function Anthropic\.$/,
    );
    expect(await refused('anthropic', openaiModule)).toContain('got an object that is not that module');
    expect(await refused('openai', 'openai')).toContain('got a string');
    expect(await refused('gemini', genai.GoogleGenerativeAI)).toContain(
      'sdk is the GoogleGenerativeAI class, but keycard needs the whole Google Gemini module',
    );
    expect(await refused('telegram', telegraf.Telegraf)).toContain('got the Telegraf class (the bot)');
    expect(await refused('openai', null)).toContain('sdk');
  });
});
