/**
 * The key shapes the redactor (and the scanner) finds whether or not keycard ever resolved the
 * key: the six providers' keys in all their forms, Slack webhook URLs and app/config tokens,
 * Telegram bot tokens in and out of URLs, Discord bot tokens, Vault tokens, credentials after
 * `Authorization:` or an API-key header, and Mistral keys (which have no prefix) after their
 * variable's name. Each pattern is anchored on a literal prefix where the
 * format has one, and names its triggers: what any of its matches contains, looked for first by a
 * byte scan over the whole text (`trigger-scan.ts`), so that a line without any costs nothing
 * more.
 *
 * Sources: gitleaks, trufflehog and secretlint rules and the measured table in
 * `shared/research/keys-vault-pricing.md` part A, widened where those miss real shapes
 * (Anthropic admin and OAuth tokens, `AQ.` Gemini keys, `xoxe` Slack tokens, bare Telegram and
 * Discord tokens).
 * @module
 */

import type { ByteTest } from './trigger-scan.js';

/** What a shape is: who issues it and what it is called in a replacement label. */
export interface KeyPattern {
  /** A stable id, e.g. `openai`, `slack-webhook`. */
  readonly id: string;
  /** The label in `[REDACTED <label> <masked id>]`: a provider id or `discord`, `vault`, `credential`. */
  readonly label: string;
  /**
   * The regular expression source of the key (no flags, no capturing group). It starts with a
   * literal character (or a small class) and checks what comes before with a lookbehind placed
   * after that character, so that the engine skips every position that cannot start a key.
   */
  readonly source: string;
  /** Context that must come right before the key and is not part of it (a header or variable name). */
  readonly prefix?: string;
  /** The key starts with the digits right before the match (Telegram's bot id before `:A…`). */
  readonly leadingDigits?: true;
  /**
   * The key goes on after the match over the characters of its last class (a header value
   * longer than the 1,024 characters the expression reads): found by a plain loop, not by the
   * expression, whose backtracking would keep one entry per character.
   */
  readonly extends?: true;
  /**
   * What every match contains (see {@link Trigger}): only lines where one of these is found are
   * matched against the pattern at all.
   */
  readonly triggers: readonly Trigger[];
  /**
   * The lowest Shannon entropy, in bits per character, a match must have to count; placeholders
   * such as `xoxb-0000000000-…` fall below it. 0: no floor.
   */
  readonly minEntropy: number;
}

/**
 * A sign that a key may be on a line: something every match of a pattern contains, at a place
 * called its origin (`sk-` at the `s`; for a Telegram token, the `:A` after the bot id).
 *
 * `bytes` must follow from `source`: wherever `source` matches, each test holds. The byte scan
 * finds the positions where the tests hold, `source` then confirms them. `source` uses no
 * negative lookaround, so that what it accepts within a line it also accepts within the whole
 * text.
 */
export interface Trigger {
  /** A regular expression source that matches at the origin (a lookbehind for what precedes it). */
  readonly source: string;
  /** Characters at offsets from the origin (from -32 to 48) that every match of `source` has. */
  readonly bytes: readonly ByteTest[];
}

/** `text` as a regular expression source that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A literal trigger, its first three characters tested by the byte scan. */
export function literalTrigger(text: string): Trigger {
  const bytes: ByteTest[] = [];
  for (let index = 0; index < Math.min(3, text.length); index += 1) bytes.push([index, text.charAt(index)]);
  return { source: escapeRegExp(text), bytes };
}

const DIGITS = '0123456789';
const ALNUM = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz${DIGITS}`;
const KEY_CHARS_LIST = `${ALNUM}_-`;

/**
 * Offsets from a Discord token's first dot, or from the dot of a legacy Vault token, where every
 * match has a key character: one test, computed once for both.
 */
const KEY_OFFSETS = [4, 12, 24];

/**
 * A Discord token's first dot, `length` key characters before the next one. The dots are the only
 * fixed characters of the shape; the byte scan also tests key characters in the three segments,
 * since dots seven characters apart are common in logs (host names: `.example.`; a version at the
 * end of a line and an IP address at the start of the next).
 */
function discordDots(length: 6 | 7): Trigger {
  return {
    source: `\\.(?<=[A-Za-z0-9_-]{23}\\.)[A-Za-z0-9_-]{${length}}\\.[A-Za-z0-9_-]{27}`,
    bytes: [[0, '.'], [length + 1, '.'], ...KEY_OFFSETS.map((offset): ByteTest => [offset, KEY_CHARS_LIST])],
  };
}

/** Key characters (URL-safe base64). */
const KEY_CHARS = 'A-Za-z0-9_-';
/** Key characters and the dot: `AQ.`, `hvs.` and `s.` tokens do not follow a dot. */
const KEY_CHARS_OR_DOT = 'A-Za-z0-9_.-';
const URLSAFE = `[${KEY_CHARS}]`;
/** Not followed by a key character. */
const NA = `(?![${KEY_CHARS}])`;

/**
 * `first` (one literal character or class), not preceded by a character of `notAfter`. The
 * lookbehind comes after the first character, not before it: a regular expression that starts
 * with a lookbehind is tried at every position, one that starts with a literal only where it is.
 */
function start(first: string, notAfter = KEY_CHARS): string {
  return `${first}(?<![${notAfter}]${first})`;
}

/**
 * Header names after which a value is a credential (`Authorization:`, `x-api-key=` and the like),
 * grouped by first letter so that each letter is tried once.
 */
const HEADER_NAME = [
  // `Authorization` and `AUTHORIZATION`, also after `Proxy-`; `api-key` and `api_key`, not after
  // `-` (`x-api-key` is one name, not `x-` and `api-key`).
  `[Aa](?:(?<![A-Za-z0-9][Aa])(?:uthorization|UTHORIZATION)|(?<![A-Za-z0-9-][Aa])pi[-_][Kk]ey)`,
  `${start('[Xx]', 'A-Za-z0-9-')}-(?:[Aa][Pp][Ii]-[Kk][Ee][Yy]|[Gg]oog-[Aa]pi-[Kk]ey)`,
].join('|');

/**
 * `i-k` of `api-key`, `api_key`, `x-api-key`, `MISTRAL_API_KEY` and the like, in any case: a
 * trigger of the header credential and of the Mistral key's context.
 */
const API_KEY_TRIGGER: Trigger = {
  source: '[Ii][-_][Kk](?<=[Aa][Pp][Ii][-_][Kk])[Ee][Yy]',
  bytes: [
    [0, 'Ii'],
    [1, '-_'],
    [2, 'Kk'],
  ],
};

/**
 * The digits of a Telegram bot id (5 to 16, not more) right before the `:` or `%3A` at which the
 * match starts: checked backwards from there, so that a run of digits is not a run of starts.
 */
const BOT_ID_BEFORE = '(?<![0-9])[0-9]{5,16}';

/**
 * The colon of a Telegram bot token: after five digits (a bot id, not a time of day), before a
 * key character. Both Telegram shapes share it (the byte scan tests it once).
 */
const BOT_TOKEN_COLON: Trigger = {
  source: `:(?<=[0-9]{5}:)${URLSAFE}`,
  bytes: [...[-5, -4, -3, -2, -1].map((offset): ByteTest => [offset, DIGITS]), [0, ':'], [1, KEY_CHARS_LIST]],
};

/**
 * The shapes, most specific first (at one position the first that matches wins). The `header`
 * pattern is last: a value after `Authorization:` that is itself a known shape is labelled by
 * its shape.
 *
 * Every quantifier is bounded (real keys are far shorter than the bounds), and every pattern starts
 * at a literal, so that matching stays linear in the length of a line and no match keeps more
 * than a few hundred backtracking entries: `test/redact/hostile.test.ts` holds the lines that
 * check it.
 */
export const KEY_PATTERNS: KeyPattern[] = [
  {
    id: 'openai',
    label: 'openai',
    triggers: [literalTrigger('sk-')],
    source: `${start('s')}k-(?:(?:proj|svcacct|admin|None|service)-${URLSAFE}{20,250}|[A-Za-z0-9]{20})T3BlbkFJ${URLSAFE}{20,250}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'anthropic',
    label: 'anthropic',
    triggers: [literalTrigger('sk-')],
    // api03 and admin01 keys, and Claude Code's OAuth access (oat01) and refresh (ort01) tokens.
    source: `${start('s')}k-ant-(?:api|admin|oat|ort)\\d{2}-${URLSAFE}{80,120}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'gemini',
    label: 'gemini',
    triggers: [literalTrigger('AIza')],
    source: `${start('A')}Iza${URLSAFE}{35}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'gemini-aq',
    label: 'gemini',
    triggers: [literalTrigger('AQ.')],
    // AI Studio's newer keys: no published length, so a floor of 20 characters after the dot.
    source: `${start('A', KEY_CHARS_OR_DOT)}Q\\.${URLSAFE}{20,250}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'xai',
    label: 'xai',
    triggers: [literalTrigger('xai-')],
    source: `${start('x')}ai-[A-Za-z0-9]{80}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'openrouter',
    label: 'openrouter',
    triggers: [literalTrigger('sk-or-')],
    // 64 lowercase hex in the keys seen; letters of any case, as the client's shape accepts.
    source: `${start('s')}k-or-v\\d{1,2}-[A-Za-z0-9]{64,80}${NA}`,
    minEntropy: 3,
  },
  {
    // DeepSeek's keys and other OpenAI-compatible vendors' (Moonshot, gateways): `sk-` and 32 or
    // more letters and digits, at least one of each, with no separator (OpenAI's, Anthropic's
    // and OpenRouter's named forms have one after a word, and are matched above).
    id: 'sk-plain',
    label: 'openai-compatible',
    triggers: [literalTrigger('sk-')],
    source: `${start('s')}k-(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z])[A-Za-z0-9]{32,64}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'together',
    label: 'together',
    triggers: [literalTrigger('tgp_')],
    // `tgp_v1_` + 43 URL-safe characters in the keys seen; Together documents no shape.
    source: `${start('t')}gp_v\\d{1,2}_${URLSAFE}{40,80}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'groq',
    label: 'groq',
    triggers: [literalTrigger('gsk_')],
    // 52 alphanumerics in the keys seen (trufflehog); 48 in a proposed gitleaks rule.
    source: `${start('g')}sk_[A-Za-z0-9]{48,64}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'slack-webhook',
    label: 'slack',
    // At the `k` of `slack.com`: rarer than the `h` of `hooks`.
    triggers: [
      {
        source: 'k\\.com/(?<=hooks\\.slack\\.com/)',
        bytes: [
          [0, 'k'],
          [1, '.'],
          [2, 'c'],
        ],
      },
    ],
    // Team and hook ids of any letters (not only `T…/B…`: workflow and trigger URLs, old
    // hooks), the scheme optional (gitleaks' rule reads the address without it).
    source:
      '(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{6,16}/[A-Za-z0-9]{6,16}/(?:\\d{10,20}/)?[A-Za-z0-9]{16,40}(?![A-Za-z0-9])',
    minEntropy: 0,
  },
  {
    id: 'slack-config',
    label: 'slack',
    triggers: [literalTrigger('xox')],
    source: `${start('x')}oxe(?:\\.xox[bp])?-\\d-[A-Za-z0-9]{140,170}(?![A-Za-z0-9])`,
    minEntropy: 3,
  },
  {
    id: 'slack-app',
    label: 'slack',
    triggers: [literalTrigger('xapp-')],
    source: `${start('x')}app-\\d-[A-Za-z0-9]{8,14}-\\d{8,15}-[A-Za-z0-9]{32,80}(?![A-Za-z0-9])`,
    minEntropy: 2.5,
  },
  {
    id: 'slack-token',
    label: 'slack',
    triggers: [literalTrigger('xox')],
    // Bot, user, legacy workspace (`xoxa-2-`), refresh (`xoxr-`), legacy (`xoxo-`, `xoxs-`),
    // browser session (`xoxc-`) and `xoxe-` tokens shaped like user tokens: digit groups, then
    // the secret.
    source: `${start('x')}ox[abceposr]-(?:\\d-)?\\d{5,14}-[A-Za-z0-9-]{8,250}(?![A-Za-z0-9-])`,
    minEntropy: 3,
  },
  {
    // Legacy workspace access and refresh tokens without digit groups (`xoxa-…`, `xoxr-1-…`).
    id: 'slack-legacy',
    label: 'slack',
    triggers: [literalTrigger('xox')],
    source: `${start('x')}ox[ar]-(?:\\d-)?(?=[A-Za-z]{0,47}[0-9])(?=[0-9]{0,47}[A-Za-z])[A-Za-z0-9]{10,48}(?![A-Za-z0-9-])`,
    minEntropy: 3,
  },
  {
    id: 'telegram',
    label: 'telegram',
    triggers: [
      BOT_TOKEN_COLON,
      {
        source: '%3[Aa]A(?<=[0-9]%3[Aa]A)',
        bytes: [
          [0, '%'],
          [1, '3'],
          [2, 'Aa'],
        ],
      },
    ],
    // In text and in Bot API URLs (`/bot<token>/getMe`), and URL-encoded (`%3A`). The match
    // starts at the colon; the bot id before it is part of the key (`leadingDigits`).
    source: `(?::A(?<=${BOT_ID_BEFORE}:A)|%3[Aa]A(?<=${BOT_ID_BEFORE}%3[Aa]A))${URLSAFE}{34}${NA}`,
    leadingDigits: true,
    minEntropy: 3,
  },
  {
    // A bot token whose secret part does not start with `A` (the shape above takes it only
    // then), where its context names it: in a Bot API path (`/bot<token>/`) or after a variable
    // named for Telegram (`TELEGRAM_BOT_TOKEN=`, `telegram_token: "…"`).
    id: 'telegram-context',
    label: 'telegram',
    triggers: [BOT_TOKEN_COLON],
    prefix: `(?:/bot|(?:TELEGRAM|[Tt]elegram)[A-Za-z_]{0,24}["']?[ \\t]{0,16}[:=][ \\t]{0,16}["']?)`,
    source: `[0-9]{5,16}:${URLSAFE}{35}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'discord',
    label: 'discord',
    triggers: [discordDots(6), discordDots(7)],
    // base64(snowflake id) . base64(timestamp) . HMAC: the id starts with M, N or O; 23
    // characters for the 17-digit ids of 2015-2016, 24 to 26 since.
    source: `${start('[MNO]')}${URLSAFE}{22,27}\\.${URLSAFE}{6,7}\\.${URLSAFE}{27,40}${NA}`,
    minEntropy: 3.5,
  },
  {
    id: 'discord-webhook',
    label: 'discord',
    // At the webhook's id, right after `/webhooks/`: the id and the token are the match, so that
    // `https://discord.com/api/webhooks/[REDACTED discord ****abcd]` still says what it was.
    triggers: [
      {
        source: '[0-9](?<=/webhooks/[0-9])',
        bytes: [
          [-3, 'k'],
          [-2, 's'],
          [-1, '/'],
          [0, DIGITS],
        ],
      },
    ],
    // Webhook URLs of discord.com, discordapp.com and their ptb. and canary. hosts, versioned
    // (`/api/v10/webhooks/…`) or not, and the same path under any other host (a proxy, a
    // simulator, @discordjs/rest's request URLs with another API root): the id, a snowflake,
    // then a token of 68 URL-safe characters in the URLs seen (Discord documents no length).
    source: `[0-9](?<=/api(?:/v[0-9]{1,2})?/webhooks/[0-9])[0-9]{16,19}/${URLSAFE}{60,100}${NA}`,
    minEntropy: 3,
  },
  {
    // AWS access key ids: long-term (`AKIA`), temporary (`ASIA`) and the rarer `ABIA`, `ACCA`, `A3T…`,
    // then 16 upper-case letters and digits. The id alone is not the secret, but it sits beside one.
    id: 'aws-access-key',
    label: 'aws',
    // One trigger for the four prefixes: one alternative in the expression a short line is searched with.
    triggers: [
      {
        source: 'A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])',
        bytes: [
          [0, 'A'],
          [1, 'KSBC3'],
          [2, 'ICT'],
        ],
      },
    ],
    source: `${start('A', 'A-Za-z0-9')}(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])`,
    minEntropy: 2.5,
  },
  {
    // An AWS secret access key (40 base64 characters) has no shape of its own: it is taken only
    // after its name (`aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY=`, `"SecretAccessKey":`).
    id: 'aws-secret-key',
    label: 'aws',
    triggers: [
      {
        source: '(?:ss_key|SS_KEY|sKey)',
        bytes: [
          [0, 'sS'],
          [1, 'sSK'],
          [2, '_e'],
        ],
      },
    ],
    prefix: `(?:secret_access_key|SECRET_ACCESS_KEY|[Ss]ecretAccessKey)["']?[ \\t]{0,16}[:=][ \\t]{0,16}["']?`,
    source: `[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`,
    minEntropy: 3.5,
  },
  {
    id: 'vault',
    label: 'vault',
    triggers: [
      {
        source: 'hv[sbr]\\.',
        bytes: [
          [0, 'h'],
          [1, 'v'],
          [2, 'sbr'],
        ],
      },
    ],
    source: `${start('h', KEY_CHARS_OR_DOT)}v(?:s\\.${URLSAFE}{90,120}|b\\.${URLSAFE}{138,300}|r\\.${URLSAFE}{20,120})${NA}`,
    minEntropy: 3,
  },
  {
    id: 'vault-legacy',
    label: 'vault',
    // At the dot, as Discord's trigger: the byte scan tests it once for both.
    triggers: [
      {
        source: '\\.(?<=[sbr]\\.)(?=[A-Za-z]{0,23}[0-9])[A-Za-z0-9]{24}',
        bytes: [[-1, 'sbr'], [0, '.'], ...KEY_OFFSETS.map((offset): ByteTest => [offset, KEY_CHARS_LIST])],
      },
    ],
    source: `${start('[sbr]', KEY_CHARS_OR_DOT)}\\.(?=[A-Za-z]{0,23}[0-9])[A-Za-z0-9]{24}(?![A-Za-z0-9_.(-])`,
    minEntropy: 3.5,
  },
  {
    // A Mistral key has no shape of its own (32 letters and digits, like many hashes and ids): it
    // is recognised only where its variable names it, `MISTRAL_API_KEY=…`, `"MISTRAL_API_KEY":
    // "…"`, `mistral_api_key: …` (the value after `Authorization: Bearer` is the header pattern's).
    // A key keycard read is found anywhere, registered by value. The trigger is the header's: it
    // costs the byte scan nothing.
    id: 'mistral',
    label: 'mistral',
    triggers: [API_KEY_TRIGGER],
    prefix: `(?:MISTRAL_API_KEY|[Mm]istral_api_key)["']?[ \\t]{0,16}[:=][ \\t]{0,16}["']?`,
    // 32 in every key seen; a longer value in that place is the key all the same.
    source: `[A-Za-z0-9]{32,128}${NA}`,
    minEntropy: 3,
  },
  {
    // Together's older keys: 64 hex characters, recognised only after their variable's name.
    id: 'together-legacy',
    label: 'together',
    triggers: [API_KEY_TRIGGER],
    prefix: `(?:TOGETHER_API_KEY|[Tt]ogether_api_key)["']?[ \\t]{0,16}[:=][ \\t]{0,16}["']?`,
    source: `[a-fA-F0-9]{64}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'header',
    label: 'credential',
    // `riz` of `authorization` (in either case), and `i-k` of `api-key`, `api_key`, `x-api-key`
    // and `x-goog-api-key` in any case.
    triggers: [
      {
        source: '(?:riz|RIZ)(?<=[Aa](?:uthoriz|UTHORIZ))',
        bytes: [
          [0, 'rR'],
          [1, 'iI'],
          [2, 'zZ'],
        ],
      },
      API_KEY_TRIGGER,
    ],
    // The value after `Authorization: Bearer`, `x-api-key:`, `x-goog-api-key=` and the like, in
    // logs, curl commands and JSON. Spaces around the separator are bounded: a credential is
    // not 16 KiB away from its header name.
    prefix: `(?:${HEADER_NAME})["']?[ \\t]{0,16}[:=][ \\t]{0,16}["']?(?:(?:[Bb]earer|BEARER|[Bb]ot|[Bb]asic|[Tt]oken)[ \\t]{1,16})?`,
    source: '(?![[(<{])[A-Za-z0-9._~+/=:-]{16,1024}',
    extends: true,
    minEntropy: 3,
  },
];

let patternsVersion = 0;

/** Bumped when a pattern is added, so that the redactor rebuilds its expressions. @internal */
export function keyPatternsVersion(): number {
  return patternsVersion;
}

/**
 * The pattern of a registered provider's keys: its literal `prefix` (3 or more characters, which
 * are also the trigger) and `length` key characters after it. @internal
 */
export function prefixPattern(
  id: string,
  label: string,
  prefix: string,
  length: readonly [number, number],
): KeyPattern {
  const first = escapeRegExp(prefix.charAt(0));
  return {
    id,
    label,
    triggers: [literalTrigger(prefix)],
    source: `${start(first)}${escapeRegExp(prefix.slice(1))}${URLSAFE}{${length[0]},${length[1]}}${NA}`,
    minEntropy: 3,
  };
}

/**
 * Adds a pattern after the built-in ones (after `header` too: a header's value is still tested
 * against every shape, so a registered key after `Authorization:` keeps its own label). @internal
 */
export function addKeyPattern(pattern: KeyPattern): void {
  KEY_PATTERNS.push(pattern);
  patternsVersion += 1;
}

/** Counts of ASCII code units, reused by every call (and left at zero). */
const ASCII_COUNTS = new Uint32Array(128);

/** Shannon entropy of `text`, in bits per character (UTF-16 code units). */
export function shannonEntropy(text: string): number {
  const length = text.length;
  if (length === 0) return 0;
  // Keys are ASCII: counts in an array indexed by code unit, a map only for the rest.
  const touched: number[] = [];
  let other: Map<number, number> | undefined;
  for (let index = 0; index < length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 128) {
      const count = ASCII_COUNTS[code] ?? 0;
      if (count === 0) touched.push(code);
      ASCII_COUNTS[code] = count + 1;
    } else {
      other ??= new Map();
      other.set(code, (other.get(code) ?? 0) + 1);
    }
  }
  let entropy = 0;
  for (const code of touched) {
    const p = (ASCII_COUNTS[code] ?? 0) / length;
    entropy -= p * Math.log2(p);
    ASCII_COUNTS[code] = 0;
  }
  if (other !== undefined) {
    for (const count of other.values()) {
      const p = count / length;
      entropy -= p * Math.log2(p);
    }
  }
  return entropy;
}
