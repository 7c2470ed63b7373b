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
  'discord',
] as const;

/** A provider id: `'openai' | 'anthropic' | 'gemini' | 'slack' | 'telegram' | 'xai' | 'groq' | 'openrouter' | 'deepseek' | 'together' | 'discord'`. */
export type ProviderId = (typeof PROVIDER_IDS)[number];

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
  discord: {
    id: 'discord',
    label: 'Discord',
    envVars: ['DISCORD_BOT_TOKEN', 'DISCORD_TOKEN'],
    keyNoun: 'bot token',
  },
};

/** Whether `value` is a provider id keycard knows. */
export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}
