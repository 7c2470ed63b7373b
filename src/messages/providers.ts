/**
 * What messages need to know of each provider, per language: what its key is called and where a
 * new one is made.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';

export interface ProviderWords {
  /** What the key is called: "API key", "bot token". */
  readonly key: string;
  /** Where a new key is made, as a place a person can go to. */
  readonly newKeyAt: string;
  /** Where credit and limits are managed. */
  readonly billingAt: string | undefined;
}

const PAGES: Record<ProviderId, { keys: string; billing: string | undefined }> = {
  openai: {
    keys: 'https://platform.openai.com/api-keys',
    billing: 'https://platform.openai.com/settings/organization/billing',
  },
  anthropic: {
    keys: 'https://console.anthropic.com/settings/keys',
    billing: 'https://console.anthropic.com/settings/billing',
  },
  gemini: { keys: 'https://aistudio.google.com/apikey', billing: 'https://aistudio.google.com/apikey' },
  slack: { keys: 'https://api.slack.com/apps', billing: undefined },
  telegram: { keys: '@BotFather (https://t.me/BotFather)', billing: undefined },
  xai: { keys: 'https://console.x.ai', billing: 'https://console.x.ai' },
  // Groq has no prepaid credit: its spend limit is set under Settings, Billing, Limits (the page's
  // address is not in Groq's docs; this is where the console keeps it).
  groq: { keys: 'https://console.groq.com/keys', billing: 'https://console.groq.com/settings/billing' },
  // Credits: the page the console links as Credits (older links: https://openrouter.ai/credits).
  openrouter: {
    keys: 'https://openrouter.ai/settings/keys',
    billing: 'https://openrouter.ai/settings/credits',
  },
  deepseek: {
    keys: 'https://platform.deepseek.com/api_keys',
    billing: 'https://platform.deepseek.com/top_up',
  },
  // Together's billing page is not in its docs; its settings hold keys and billing.
  together: {
    keys: 'https://api.together.ai/settings/api-keys',
    billing: 'https://api.together.ai/settings/billing',
  },
  // Mistral's docs send billing to the Admin Console (Admin Panel, Subscriptions, Billing); the
  // page's own address is not in the docs, so the console's root.
  mistral: { keys: 'https://console.mistral.ai/api-keys', billing: 'https://admin.mistral.ai' },
  // The bot's page of the application in the Developer Portal (Bot, Reset Token); no billing.
  discord: { keys: 'https://discord.com/developers/applications', billing: undefined },
};

const ENGLISH_NOUNS: Record<ProviderId, string> = {
  openai: 'API key',
  anthropic: 'API key',
  gemini: 'API key',
  slack: 'token',
  telegram: 'bot token',
  xai: 'API key',
  groq: 'API key',
  openrouter: 'API key',
  deepseek: 'API key',
  together: 'API key',
  mistral: 'API key',
  discord: 'bot token',
};

const KOREAN_NOUNS: Record<ProviderId, string> = {
  openai: 'API 키',
  anthropic: 'API 키',
  gemini: 'API 키',
  slack: '토큰',
  telegram: '봇 토큰',
  xai: 'API 키',
  groq: 'API 키',
  openrouter: 'API 키',
  deepseek: 'API 키',
  together: 'API 키',
  mistral: 'API 키',
  discord: '봇 토큰',
};

/**
 * Adds a registered provider's words: its key page, billing page and what its key is called
 * (in English; in Korean, a known noun's translation, else the English one). @internal
 */
export function addProviderWords(
  provider: ProviderId,
  words: { keys: string; billing: string | undefined; keyNoun: string },
): void {
  PAGES[provider] = { keys: words.keys, billing: words.billing };
  ENGLISH_NOUNS[provider] = words.keyNoun;
  const korean: Record<string, string> = {
    'API key': 'API 키',
    token: '토큰',
    'bot token': '봇 토큰',
    key: '키',
  };
  KOREAN_NOUNS[provider] = korean[words.keyNoun] ?? words.keyNoun;
}

export function englishWords(provider: ProviderId): ProviderWords {
  const pages = PAGES[provider];
  return {
    key: ENGLISH_NOUNS[provider],
    newKeyAt: provider === 'slack' ? `your app's "OAuth & Permissions" page at ${pages.keys}` : pages.keys,
    billingAt: pages.billing,
  };
}

export function koreanWords(provider: ProviderId): ProviderWords {
  const pages = PAGES[provider];
  return {
    key: KOREAN_NOUNS[provider],
    newKeyAt: provider === 'slack' ? `${pages.keys} 의 앱 "OAuth & Permissions" 페이지` : pages.keys,
    billingAt: pages.billing,
  };
}
