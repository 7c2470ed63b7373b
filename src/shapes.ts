/**
 * `keycard/shapes`: what every provider's keys look like, as plain data and as zod 4 schemas,
 * with `detectProvider` and `checkKeyShape`. Importing this entry loads zod.
 *
 * @example
 * import { keySchemas, detectProvider } from 'keycard/shapes';
 * keySchemas.openai.safeParse(process.env.OPENAI_API_KEY).success;
 * @module
 */
export {
  AnthropicKeySchema,
  type CheckKeyShapeContext,
  checkKeyShape,
  DeepSeekKeySchema,
  DiscordKeySchema,
  GeminiKeySchema,
  GroqKeySchema,
  type KeySchema,
  keySchemas,
  MistralKeySchema,
  OpenAIKeySchema,
  OpenRouterKeySchema,
  SlackKeySchema,
  TelegramKeySchema,
  TogetherKeySchema,
  XAIKeySchema,
} from './keys/schemas.js';
export {
  detectProvider,
  KEY_SHAPES,
  type KeyShape,
  looksLikeKey,
  type UnusableShape,
} from './keys/shapes.js';
