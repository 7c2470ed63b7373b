import Anthropic from '@anthropic-ai/sdk';
import type { GoogleGenerativeAI } from '@google/generative-ai';
import * as genai from '@google/generative-ai';
import { WebClient } from '@slack/web-api';
import OpenAI, * as openaiModule from 'openai';
import { Telegraf, Telegram } from 'telegraf';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type KeycardClient, type SdkSourceFor } from '../../src/index.js';

describe('createClient sdk option types', () => {
  it('keeps the SDK type of the client', () => {
    expectTypeOf(createClient('openai', 'env:OPENAI_API_KEY', { sdk: OpenAI })).resolves.toEqualTypeOf<
      KeycardClient<OpenAI>
    >();
    expectTypeOf(createClient('openai', 'env:OPENAI_API_KEY', { sdk: openaiModule })).resolves.toEqualTypeOf<
      KeycardClient<OpenAI>
    >();
    expectTypeOf(createClient('gemini', 'env:GEMINI_API_KEY', { sdk: genai })).resolves.toEqualTypeOf<
      KeycardClient<GoogleGenerativeAI>
    >();
    createClient('anthropic', 'env:ANTHROPIC_API_KEY', { sdk: Anthropic });
    createClient('slack', 'env:SLACK_BOT_TOKEN', { sdk: WebClient });
    createClient('telegram', 'env:TELEGRAM_BOT_TOKEN', { sdk: Telegram });
    expectTypeOf<SdkSourceFor<'xai'>>().toEqualTypeOf<SdkSourceFor<'openai'>>();
  });

  it("refuses another provider's SDK", () => {
    // @ts-expect-error Anthropic is not the OpenAI SDK
    createClient('openai', 'env:OPENAI_API_KEY', { sdk: Anthropic });
    // @ts-expect-error Gemini needs the module, not the class
    createClient('gemini', 'env:GEMINI_API_KEY', { sdk: genai.GoogleGenerativeAI });
    // @ts-expect-error Telegraf is the bot, keycard's client is a Telegram
    createClient('telegram', 'env:TELEGRAM_BOT_TOKEN', { sdk: Telegraf });
  });
});
