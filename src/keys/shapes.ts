/**
 * What each provider's keys look like, as plain data: a full-match `pattern` (what the client
 * accepts), a `marker` (the distinctive prefix that tells whose a stray key is) and the words
 * used in messages. No zod here: keycard's own import must stay cheap; the zod schemas built
 * from these shapes live in `check-shape.ts` (`zod/mini`, loaded lazily by `createClient`) and
 * `schemas.ts` (zod's full schemas, published as `keycard/shapes`).
 *
 * Strictness policy, the same for every provider:
 * - the **prefix and the character set** are always checked: they are what tells a key from a
 *   placeholder, a masked id or another provider's key;
 * - an **exact length** is pinned only where the provider has kept it for years and every
 *   scanner agrees (Gemini `AIza`, Telegram); elsewhere a sane minimum (or a range) is used,
 *   because rejecting a real key that merely got longer blocks users for no benefit: the
 *   provider answers a wrong key with a 401 anyway.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';

/** One provider's key shape. */
export interface KeyShape {
  /** The provider these keys belong to. */
  readonly provider: ProviderId;
  /** What the key is called in messages, e.g. `OpenAI API key`. */
  readonly label: string;
  /** The forms a key takes, for messages, e.g. `sk-proj-…, sk-svcacct-…, sk-…`. */
  readonly examples: string;
  /** Full match (anchored) of every key the client accepts. */
  readonly pattern: RegExp;
  /**
   * The distinctive prefix (anchored at the start) that says a value is this provider's key; one
   * that matches nothing for a provider whose keys have none (DeepSeek's plain `sk-`).
   */
  readonly marker: RegExp;
  /**
   * A prefix the provider's keys share with other providers' (`sk-`): not a marker, but a value
   * with it that does not fit is called cut off rather than foreign.
   */
  readonly sharedPrefix?: string | undefined;
  /** What a key looks like and where to get one: the hint for a malformed key. */
  readonly hint: string;
  /** What to call the key in "Set OPENAI_API_KEY to the key from …": `key`, `bot token`, … */
  readonly keyNoun: string;
  /** Where a key is created, e.g. `https://platform.openai.com/api-keys`. */
  readonly keyFrom: string;
  /**
   * Values that are this provider's credentials but cannot be used by its client (a Slack
   * app-level token, an OAuth refresh token). Checked before `pattern`; each says why and what
   * to use instead.
   */
  readonly unusable: readonly UnusableShape[];
  /**
   * The pattern is too broad to tell a key from a name (a registered provider's keys with no
   * prefix): `looksLikeKey` does not use it.
   */
  readonly broad?: true | undefined;
}

/** A credential of the provider that its client cannot use, with what to say about it. */
export interface UnusableShape {
  /** Matches the start of such a value. */
  readonly marker: RegExp;
  /** What the value is, e.g. `a Slack app-level token (xapp-…)`. */
  readonly what: string;
  /** What to use instead, one sentence. */
  readonly hint: string;
}

// Built from pieces so that no scanner keyword sits in the source: base64 of "OpenAI", which
// every OpenAI project, service-account, admin and legacy key carries in its middle.
const OPENAI_INFIX = ['T3Bl', 'bkFJ'].join('');

const openai: KeyShape = {
  provider: 'openai',
  label: 'OpenAI API key',
  examples: 'sk-proj-…, sk-svcacct-…, sk-admin-…, sk-None-… or legacy sk-…',
  pattern: new RegExp(
    [
      '^sk-(?:',
      // Named prefixes: today 124–158 characters after the prefix, but OpenAI has changed the
      // lengths before (58/74-character halves), so only a minimum of 40 is required.
      '(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,}',
      '|',
      // Legacy `sk-` + 48, and the `sk-` + 32 hex keys of OpenAI-compatible vendors (DeepSeek,
      // Moonshot, local gateways), which people use with the openai client and a baseURL: at
      // least 20 characters. The lookahead keeps Anthropic keys and cut-off named keys out.
      '(?!(?:proj|svcacct|admin|None|ant)-)[A-Za-z0-9_-]{20,}',
      ')$',
    ].join(''),
  ),
  // The named prefixes, or the base64 "OpenAI" infix of legacy keys. A plain `sk-` key is not
  // recognised as OpenAI's: other vendors issue them too.
  marker: new RegExp(`^sk-(?:(?:proj|svcacct|admin|None)-|(?=[A-Za-z0-9_-]*${OPENAI_INFIX}))`),
  sharedPrefix: 'sk-',
  hint: 'Use an OpenAI API key (sk-proj-…, sk-svcacct-… or sk-…) from https://platform.openai.com/api-keys.',
  keyNoun: 'key',
  keyFrom: 'https://platform.openai.com/api-keys',
  unusable: [],
};

const anthropic: KeyShape = {
  provider: 'anthropic',
  label: 'Anthropic API key',
  examples: 'sk-ant-api03-…, sk-ant-admin01-… or sk-ant-oat01-…',
  pattern: new RegExp(
    [
      '^sk-ant-(?:',
      // API and admin keys: 93 characters then `AA` today (108 and 110 in total). The version
      // number may move (api04), and the body gets a range around 93 rather than an exact
      // length; the trailing `AA`, which every scanner relies on, catches most cut-off pastes.
      '(?:api|admin)\\d{2}-[A-Za-z0-9_-]{80,150}AA',
      '|',
      // OAuth access tokens (Claude Code setup tokens): undocumented shape, so prefix,
      // character set and a minimum only.
      'oat\\d{2}-[A-Za-z0-9_-]{40,}',
      ')$',
    ].join(''),
  ),
  marker: /^sk-ant-/,
  hint: 'Use an Anthropic API key (sk-ant-api03-…) from https://console.anthropic.com/settings/keys.',
  keyNoun: 'key',
  keyFrom: 'https://console.anthropic.com/settings/keys',
  unusable: [
    {
      marker: /^sk-ant-ort\d{2}-/,
      what: 'an Anthropic OAuth refresh token (sk-ant-ort01-…)',
      hint: 'Use an API key (sk-ant-api03-…) or an OAuth access token (sk-ant-oat01-…), not the refresh token.',
    },
  ],
};

const gemini: KeyShape = {
  provider: 'gemini',
  label: 'Google Gemini API key',
  examples: 'AIza… of 39 characters, or AQ.…',
  // `AIza` + exactly 35: unchanged for a decade and pinned by every scanner, so a wrong length
  // is a bad paste. `AQ.` keys (AI Studio, 2026) have no published length: opaque, with a
  // minimum of 16. A few users report `IQ.`; it is accepted the same way rather than blocked.
  pattern: /^(?:AIza[A-Za-z0-9_-]{35}|[AI]Q\.[A-Za-z0-9_.-]{16,})$/,
  marker: /^(?:AIza|AQ\.)/,
  hint: 'Use a Gemini API key (AIza… or AQ.…) from https://aistudio.google.com/apikey.',
  keyNoun: 'key',
  keyFrom: 'https://aistudio.google.com/apikey',
  unusable: [],
};

const SLACK_BOT_TOKEN_HINT =
  "Use the bot token (xoxb-…) from your app's OAuth & Permissions page at https://api.slack.com/apps.";

const slack: KeyShape = {
  provider: 'slack',
  label: 'Slack token',
  examples: 'xoxb-…, xoxp-…, xoxe.xoxb-… or xoxe.xoxp-…',
  // Slack documents tokens as opaque and their lengths have grown, so the body is not pinned:
  // bot and user tokens start with a numeric id group; rotating (xoxe.) access tokens are
  // `xoxe.xoxb-1-` + 160-odd characters today, of which 40 are required.
  pattern: /^(?:xox[bp]-\d+-[A-Za-z0-9-]{10,}|xoxe\.xox[bp]-\d-[A-Za-z0-9-]{40,})$/,
  marker: /^(?:xoxe\.xox[a-z]-|xox[a-z]-|xapp-)/,
  hint: "Use the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page at https://api.slack.com/apps.",
  keyNoun: 'bot token (xoxb-…)',
  keyFrom: "your app's OAuth & Permissions page at https://api.slack.com/apps",
  unusable: [
    {
      marker: /^xapp-/,
      what: 'a Slack app-level token (xapp-…), which opens Socket Mode connections but cannot call the Web API',
      hint: SLACK_BOT_TOKEN_HINT,
    },
    {
      marker: /^xoxe-/,
      what: 'a Slack refresh token (xoxe-…)',
      hint: 'Use the access token (xoxe.xoxb-… or xoxb-…) that oauth.v2.access returns, not the refresh token.',
    },
    {
      marker: /^xox[^bpe]-/,
      what: 'a legacy Slack token of a kind keycard does not support',
      hint: SLACK_BOT_TOKEN_HINT,
    },
    {
      marker: /^https?:\/\/hooks\.slack\.com\//,
      what: 'a Slack incoming-webhook URL, not a token',
      hint: SLACK_BOT_TOKEN_HINT,
    },
  ],
};

const telegram: KeyShape = {
  provider: 'telegram',
  label: 'Telegram bot token',
  examples: '<bot id>:<35 characters>, e.g. 123456789:AA…',
  // Bot id of 5–16 digits (gitleaks' range), a colon, then exactly 35 characters: stable since
  // the Bot API began. The first character (`A`, `AA` on new tokens) is not required, as
  // trufflehog does not require it either.
  pattern: /^\d{5,16}:[A-Za-z0-9_-]{35}$/,
  marker: /^\d{5,16}:(?=[A-Za-z0-9_-])/,
  hint: 'Use the bot token @BotFather gave you (https://t.me/BotFather), of the form <bot id>:<35 characters>.',
  keyNoun: 'bot token',
  keyFrom: '@BotFather (https://t.me/BotFather)',
  unusable: [],
};

const xai: KeyShape = {
  provider: 'xai',
  label: 'xAI API key',
  examples: 'xai-…',
  // `xai-` + 80 alphanumerics today (trufflehog also allows `_`). xAI is young and documents no
  // shape, so a minimum of 40 of `[A-Za-z0-9_-]` instead of an exact 80.
  pattern: /^xai-[A-Za-z0-9_-]{40,}$/,
  marker: /^xai-/,
  hint: 'Use an xAI API key (xai-…) from https://console.x.ai.',
  keyNoun: 'key',
  keyFrom: 'https://console.x.ai',
  unusable: [],
};

const groq: KeyShape = {
  provider: 'groq',
  label: 'Groq API key',
  examples: 'gsk_…',
  // `gsk_` + 52 alphanumerics in trufflehog's detector; a proposed gitleaks rule has 48. Groq
  // documents no length: a minimum of 48.
  pattern: /^gsk_[A-Za-z0-9]{48,}$/,
  marker: /^gsk_/,
  hint: 'Use a Groq API key (gsk_…) from https://console.groq.com/keys.',
  keyNoun: 'key',
  keyFrom: 'https://console.groq.com/keys',
  unusable: [],
};

const openrouter: KeyShape = {
  provider: 'openrouter',
  label: 'OpenRouter API key',
  examples: 'sk-or-v1-…',
  // `sk-or-v1-` + 64 lowercase hex in every key seen (trufflehog's detector). OpenRouter
  // documents no shape: the version may move (`v` and digits), and letters and digits of any
  // case are accepted, at least 64, as for xAI.
  pattern: /^sk-or-v\d+-[A-Za-z0-9]{64,}$/,
  marker: /^sk-or-v\d+-/,
  hint: 'Use an OpenRouter API key (sk-or-v1-…) from https://openrouter.ai/settings/keys.',
  keyNoun: 'key',
  keyFrom: 'https://openrouter.ai/settings/keys',
  unusable: [],
};

const deepseek: KeyShape = {
  provider: 'deepseek',
  label: 'DeepSeek API key',
  examples: 'sk-… (32 letters and digits)',
  // `sk-` + 32 lowercase hex in the keys seen (trufflehog's detector wants `[a-z0-9]{32}` and the
  // word "deepseek" nearby). DeepSeek documents no shape: letters and digits, at least 32.
  // OpenAI's legacy keys (`sk-` and 48, with the "OpenAI" infix) are OpenAI's, not DeepSeek's.
  pattern: new RegExp(`^sk-(?![A-Za-z0-9]*${OPENAI_INFIX})[A-Za-z0-9]{32,}$`),
  // Nothing tells a DeepSeek key from other vendors' plain `sk-` keys: never detected by shape.
  marker: /^(?!)/,
  sharedPrefix: 'sk-',
  hint: 'Use a DeepSeek API key (sk-…) from https://platform.deepseek.com/api_keys.',
  keyNoun: 'key',
  keyFrom: 'https://platform.deepseek.com/api_keys',
  unusable: [],
};

const together: KeyShape = {
  provider: 'together',
  label: 'Together AI API key',
  examples: 'tgp_v1_… (or an older key of 64 hex digits)',
  // Together documents no shape. Newer keys are `tgp_v1_` + 43 URL-safe characters (a proposed
  // trufflehog detector); older ones are said to be 64 hex digits (unconfirmed, accepted).
  pattern: /^(?:tgp_v\d+_[A-Za-z0-9_-]{40,}|[a-f0-9]{64})$/,
  marker: /^tgp_v\d+_/,
  hint: 'Use a Together AI API key (tgp_v1_…) from https://api.together.ai/settings/api-keys.',
  keyNoun: 'key',
  keyFrom: 'https://api.together.ai/settings/api-keys',
  unusable: [],
};

const mistral: KeyShape = {
  provider: 'mistral',
  label: 'Mistral AI API key',
  examples: '… of 32 letters and digits, no prefix',
  // Mistral documents no shape; the keys seen are 32 letters (both cases) and digits with no
  // prefix (trufflehog's detector: `[A-Za-z0-9]{32}`, and only near the word "mistral"). With no
  // prefix the length is all that tells a key from another opaque value, so it is pinned: a
  // Together key of 64 hex digits, or any longer token, is not a Mistral key.
  pattern: /^[A-Za-z0-9]{32}$/,
  // Nothing marks a bare 32-character string as Mistral's (hashes, ids and other vendors' tokens
  // look the same): never detected by shape. The client still accepts it, and names another
  // provider's key (by its marker) as wrong_provider.
  marker: /^(?!)/,
  hint: 'Use a Mistral AI API key (32 letters and digits) from https://console.mistral.ai/api-keys.',
  keyNoun: 'key',
  keyFrom: 'https://console.mistral.ai/api-keys',
  unusable: [],
  // 32 letters and digits fit names too (a variable or keystore name without `_`): `looksLikeKey`
  // keeps to its own rule (mixed case and digits) for them.
  broad: true,
};

const discord: KeyShape = {
  provider: 'discord',
  label: 'Discord bot token',
  examples: '<base64 bot id>.<6 characters>.<38 characters>, e.g. MTI…',
  // Three dot-separated URL-safe base64 parts: the bot's user id (a snowflake of 17–20 digits,
  // so 23–27 characters that start with M, N or O, the base64 of a digit), a timestamp of 6
  // (older tokens: 7) characters, and an HMAC of 27 (older) or 38 characters (since 2022). Discord
  // documents no shape: the HMAC is given a minimum of 27, as gitleaks and trufflehog match it.
  pattern: /^[MNO][A-Za-z0-9_-]{22,26}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}$/,
  marker: /^[MNO][A-Za-z0-9_-]{22,26}\.[A-Za-z0-9_-]{6,7}\./,
  hint: "Use the bot token from your application's Bot page at https://discord.com/developers/applications (Reset Token shows a new one), without the `Bot ` prefix.",
  keyNoun: 'bot token',
  keyFrom: "your application's Bot page at https://discord.com/developers/applications",
  unusable: [
    {
      marker: /^https?:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\//,
      what: 'a Discord webhook URL, not a bot token',
      hint: "Use the bot token from your application's Bot page at https://discord.com/developers/applications; a webhook URL is posted to with fetch, or with REST's webhook routes (auth: false).",
    },
  ],
};

/** Every provider's key shape, by provider id. */
export const KEY_SHAPES: Readonly<Record<ProviderId, KeyShape>> = {
  openai,
  anthropic,
  gemini,
  slack,
  telegram,
  xai,
  groq,
  openrouter,
  deepseek,
  together,
  mistral,
  discord,
};

/**
 * The order markers are tried in. It matters where prefixes overlap: Anthropic's `sk-ant-` and
 * OpenRouter's `sk-or-v1-` must win over OpenAI's `sk-` family.
 */
const DETECTION_ORDER: ProviderId[] = [
  'anthropic',
  'openrouter',
  'openai',
  'gemini',
  'slack',
  'telegram',
  'xai',
  'groq',
  'together',
  'discord',
];

/**
 * Adds a registered provider's key shape. Its marker is tried before the built-in ones: a
 * registered prefix is checked not to be one of theirs, and may be longer than a prefix it
 * shares with them (`sk-my-` over OpenAI's plain `sk-`). @internal
 */
export function addKeyShape(shape: KeyShape): void {
  (KEY_SHAPES as Record<string, KeyShape>)[shape.provider] = shape;
  DETECTION_ORDER.unshift(shape.provider);
}

/**
 * Whose key `value` is, by its distinctive prefix; `undefined` when it carries none. A plain
 * `sk-…` key without OpenAI's markers gives `undefined`: OpenAI-compatible vendors issue those too.
 *
 * @example
 * detectProvider(process.env.SOME_KEY ?? ''); // 'anthropic' for an sk-ant-… key
 */
export function detectProvider(value: string): ProviderId | undefined {
  return DETECTION_ORDER.find((provider) => KEY_SHAPES[provider].marker.test(value));
}

/**
 * The recognised prefix of `value` for messages, e.g. `sk-ant-…`, never more of the value.
 * Telegram's bot id is shown as `<bot id>:…`. `undefined` when no provider is recognised.
 */
export function describeKeyKind(value: string): string | undefined {
  const provider = detectProvider(value);
  if (provider === undefined) return undefined;
  if (provider === 'telegram') return '<bot id>:…';
  // Never a part of the key, not even the bot id's base64.
  if (provider === 'discord') return '<bot id>.<timestamp>.<HMAC>';
  const prefix = KEY_SHAPES[provider].marker.exec(value)?.[0] ?? '';
  return `${prefix}…`;
}

/** `a` or `an` before a label, as it is read aloud ("an OpenAI", "an xAI", "a Slack"). */
export function withArticle(label: string): string {
  return `${/^[AEIOUaeioux]/.test(label) ? 'an' : 'a'} ${label}`;
}

/** The label of `provider`'s keys, e.g. `OpenAI API key`, or `key` when no provider is known. */
export function keyLabel(provider: ProviderId | undefined): string {
  return provider === undefined ? 'key' : KEY_SHAPES[provider].label;
}

/**
 * Where to get a key of `provider`, to end a sentence: `the key from https://…`, or `your key`
 * when no provider is known.
 */
export function keyOrigin(provider: ProviderId | undefined): string {
  if (provider === undefined) return 'your key';
  const shape = KEY_SHAPES[provider];
  return `the ${shape.keyNoun} from ${shape.keyFrom}`;
}

/**
 * Whether `text` looks like a key rather than a name, path or spec: a known provider's prefix or
 * shape, or (with no `scheme:`) a long random-looking token: 20+ characters of `[A-Za-z0-9_-]`
 * mixing upper case, lower case and digits, or 32+ hex digits. Used to refuse a key passed where
 * a source was expected, without echoing it.
 *
 * @example
 * looksLikeKey('env:OPENAI_API_KEY'); // false
 */
export function looksLikeKey(text: string): boolean {
  const value = text.trim();
  if (detectProvider(value) !== undefined) return true;
  for (const shape of Object.values(KEY_SHAPES)) {
    if (shape.broad === true) continue;
    if (shape.pattern.test(value) || shape.unusable.some((unusable) => unusable.marker.test(value)))
      return true;
  }
  if (value.length < 20 || !/^[A-Za-z0-9_-]+$/.test(value)) return false;
  if (/^[0-9a-f]{32,}$/i.test(value)) return true;
  return /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value);
}
