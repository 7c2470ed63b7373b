/**
 * zod 4 schemas of every provider's keys, built from the shapes in `shapes.ts`, published as
 * `keycard/shapes` with `checkKeyShape` (`check-shape.ts`).
 *
 * These are zod's full schemas (`.parse`, `.safeParse`, `.optional()`, `.or()`…), so importing
 * this module loads zod's full build (50 ms or more): keycard itself never imports it. What
 * `createClient` runs is `check-shape.ts`, the same shapes and messages through `zod/mini`,
 * bundled into keycard's build. No other module in `src/keys` imports zod.
 * @module
 */
import { z } from 'zod';
import type { ProviderId } from '../providers/ids.js';
import { shapeMessage } from './check-shape.js';
import { KEY_SHAPES } from './shapes.js';

export { type CheckKeyShapeContext, checkKeyShape } from './check-shape.js';

/** A key schema: a string that matches one provider's key shape. */
export type KeySchema = z.ZodString;

function schemaFor(provider: ProviderId): KeySchema {
  return z.string().regex(KEY_SHAPES[provider].pattern, { error: shapeMessage(provider) });
}

/**
 * OpenAI API keys: `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`, `sk-None-…`, and plain `sk-…`
 * (legacy keys and OpenAI-compatible vendors).
 *
 * @example
 * OpenAIKeySchema.safeParse(process.env.OPENAI_API_KEY).success;
 */
export const OpenAIKeySchema: KeySchema = schemaFor('openai');

/** Anthropic keys: `sk-ant-api03-…`, `sk-ant-admin01-…`, and `sk-ant-oat01-…` OAuth access tokens. */
export const AnthropicKeySchema: KeySchema = schemaFor('anthropic');

/** Google Gemini keys: `AIza` + 35 characters, or the opaque `AQ.…` keys. */
export const GeminiKeySchema: KeySchema = schemaFor('gemini');

/** Slack tokens the Web API accepts: `xoxb-…`, `xoxp-…`, `xoxe.xoxb-…`, `xoxe.xoxp-…` (not `xapp-…`). */
export const SlackKeySchema: KeySchema = schemaFor('slack');

/** Telegram bot tokens: `<bot id>:<35 characters>`. */
export const TelegramKeySchema: KeySchema = schemaFor('telegram');

/** xAI keys: `xai-…`. */
export const XAIKeySchema: KeySchema = schemaFor('xai');

/** Groq keys: `gsk_…`. */
export const GroqKeySchema: KeySchema = schemaFor('groq');

/** OpenRouter keys: `sk-or-v1-…`. */
export const OpenRouterKeySchema: KeySchema = schemaFor('openrouter');

/** DeepSeek keys: `sk-` and 32 letters and digits. */
export const DeepSeekKeySchema: KeySchema = schemaFor('deepseek');

/** Together AI keys: `tgp_v1_…`, or older keys of 64 hex digits. */
export const TogetherKeySchema: KeySchema = schemaFor('together');

/** Mistral AI keys: 32 letters and digits, no prefix. */
export const MistralKeySchema: KeySchema = schemaFor('mistral');
/** Discord bot tokens: `<base64 bot id>.<timestamp>.<HMAC>`. */
export const DiscordKeySchema: KeySchema = schemaFor('discord');

/**
 * Every provider's key schema, by provider id.
 *
 * @example
 * const result = keySchemas.anthropic.safeParse(value);
 */
export const keySchemas: Readonly<Record<ProviderId, KeySchema>> = {
  openai: OpenAIKeySchema,
  anthropic: AnthropicKeySchema,
  gemini: GeminiKeySchema,
  slack: SlackKeySchema,
  telegram: TelegramKeySchema,
  xai: XAIKeySchema,
  groq: GroqKeySchema,
  openrouter: OpenRouterKeySchema,
  deepseek: DeepSeekKeySchema,
  together: TogetherKeySchema,
  mistral: MistralKeySchema,
  discord: DiscordKeySchema,
};
