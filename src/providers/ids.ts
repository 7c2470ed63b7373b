/**
 * The providers keycard knows, with the facts that need no SDK: a label for messages and the
 * environment variables a key is read from by default. Adapters (one file each) add the SDK side.
 * @module
 */

/** Every provider keycard knows the keys of. */
export const PROVIDER_IDS = [
  'openai',
  'anthropic',
  'gemini',
  'slack',
  'telegram',
  'xai',
  'groq',
  'openrouter',
  'deepseek',
  'together',
  'mistral',
  'discord',
] as const;

/** The id of a provider built into keycard. */
export type BuiltInProviderId = (typeof PROVIDER_IDS)[number];

/**
 * The providers you registered with `registerProvider()`, by id, for TypeScript: add yours with
 * a declaration, and `createClient('my-llm')` is typed as the built-in providers are:
 *
 * ```ts
 * export const myLlm = registerProvider({ id: 'my-llm', … });
 * declare module 'keycard' {
 *   interface RegisteredProviders {
 *     'my-llm': typeof myLlm;
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in users' code
export interface RegisteredProviders {}

/**
 * A provider id: a built-in one (`'openai'`, `'anthropic'`, `'gemini'`, `'slack'`, `'telegram'`,
 * `'xai'`, `'groq'`, `'openrouter'`, `'deepseek'`, `'together'`, `'mistral'`, `'discord'`, …) or one declared in
 * {@link RegisteredProviders}.
 */
export type ProviderId = BuiltInProviderId | Extract<keyof RegisteredProviders, string>;

/** Static facts about one provider. */
export interface ProviderInfo {
  /** The provider's id. */
  readonly id: ProviderId;
  /** The name people know it by, for messages. */
  readonly label: string;
  /** Environment variables read, in order, when no key source is given. */
  readonly envVars: readonly string[];
  /** What a key is called by this provider ("API key", "bot token"). */
  readonly keyNoun: string;
}

export const PROVIDERS: Readonly<Record<ProviderId, ProviderInfo>> = {
  openai: { id: 'openai', label: 'OpenAI', envVars: ['OPENAI_API_KEY'], keyNoun: 'API key' },
  anthropic: { id: 'anthropic', label: 'Anthropic', envVars: ['ANTHROPIC_API_KEY'], keyNoun: 'API key' },
  gemini: {
    id: 'gemini',
    label: 'Google Gemini',
    envVars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    keyNoun: 'API key',
  },
  slack: { id: 'slack', label: 'Slack', envVars: ['SLACK_BOT_TOKEN', 'SLACK_TOKEN'], keyNoun: 'token' },
  telegram: { id: 'telegram', label: 'Telegram', envVars: ['TELEGRAM_BOT_TOKEN'], keyNoun: 'bot token' },
  xai: { id: 'xai', label: 'xAI', envVars: ['XAI_API_KEY'], keyNoun: 'API key' },
  groq: { id: 'groq', label: 'Groq', envVars: ['GROQ_API_KEY'], keyNoun: 'API key' },
  openrouter: { id: 'openrouter', label: 'OpenRouter', envVars: ['OPENROUTER_API_KEY'], keyNoun: 'API key' },
  deepseek: { id: 'deepseek', label: 'DeepSeek', envVars: ['DEEPSEEK_API_KEY'], keyNoun: 'API key' },
  together: { id: 'together', label: 'Together AI', envVars: ['TOGETHER_API_KEY'], keyNoun: 'API key' },
  mistral: { id: 'mistral', label: 'Mistral AI', envVars: ['MISTRAL_API_KEY'], keyNoun: 'API key' },
  discord: {
    id: 'discord',
    label: 'Discord',
    envVars: ['DISCORD_BOT_TOKEN', 'DISCORD_TOKEN'],
    keyNoun: 'bot token',
  },
};

/** Providers added with `registerProvider()`, in the order they were registered. */
const registered: ProviderId[] = [];

/**
 * Every provider keycard knows now: the built-in ones, then those added with
 * `registerProvider()`.
 */
export function providerIds(): readonly ProviderId[] {
  return registered.length === 0 ? PROVIDER_IDS : [...PROVIDER_IDS, ...registered];
}

/** Whether `value` is a provider id keycard knows (built in, or added with `registerProvider()`). */
export function isProviderId(value: unknown): value is ProviderId {
  return (
    typeof value === 'string' &&
    ((PROVIDER_IDS as readonly string[]).includes(value) || (registered as string[]).includes(value))
  );
}

/**
 * Adds a provider's facts (`registerProvider()` calls it once the rest of the provider is in
 * place). @internal
 */
export function addProviderInfo(info: ProviderInfo): void {
  (PROVIDERS as Record<string, ProviderInfo>)[info.id] = info;
  registered.push(info.id);
}
