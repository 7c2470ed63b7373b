/**
 * The key shapes the redactor (and the scanner) finds whether or not keycard ever resolved the
 * key: the six providers' keys in all their forms, Slack webhook URLs and app/config tokens,
 * Telegram bot tokens in and out of URLs, Discord bot tokens, Vault tokens, and credentials after
 * `Authorization:` or an API-key header. Each pattern is anchored on a literal prefix where the
 * format has one, so that a line without any of them costs one quick scan.
 *
 * Sources: gitleaks, trufflehog and secretlint rules and the measured table in
 * `shared/research/keys-vault-pricing.md` part A, widened where those miss real shapes
 * (Anthropic admin and OAuth tokens, `AQ.` Gemini keys, `xoxe` Slack tokens, bare Telegram and
 * Discord tokens).
 * @module
 */

/** What a shape is: who issues it and what it is called in a replacement label. */
export interface KeyPattern {
  /** A stable id, e.g. `openai`, `slack-webhook`. */
  readonly id: string;
  /** The label in `[REDACTED <label> <masked id>]`: a provider id or `discord`, `vault`, `credential`. */
  readonly label: string;
  /** The regular expression source (no flags; the combined matcher uses `g`). */
  readonly source: string;
  /**
   * The lowest Shannon entropy, in bits per character, a match must have to count; placeholders
   * such as `xoxb-0000000000-…` fall below it. 0: no floor.
   */
  readonly minEntropy: number;
}

/** Not preceded by a key character. */
const NB = '(?<![A-Za-z0-9_-])';
/** Not followed by a key character. */
const NA = '(?![A-Za-z0-9_-])';
const URLSAFE = '[A-Za-z0-9_-]';

/**
 * The shapes, most specific first (at one position the first that matches wins). The `header`
 * pattern is last: a value after `Authorization:` that is itself a known shape is labelled by
 * its shape.
 */
export const KEY_PATTERNS: readonly KeyPattern[] = [
  {
    id: 'openai',
    label: 'openai',
    source: `${NB}sk-(?:(?:proj|svcacct|admin|None|service)-${URLSAFE}{20,}|[A-Za-z0-9]{20})T3BlbkFJ${URLSAFE}{20,}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'anthropic',
    label: 'anthropic',
    // api03 and admin01 keys, and Claude Code's OAuth access (oat01) and refresh (ort01) tokens.
    source: `${NB}sk-ant-(?:api|admin|oat|ort)\\d{2}-${URLSAFE}{80,120}${NA}`,
    minEntropy: 3,
  },
  { id: 'gemini', label: 'gemini', source: `${NB}AIza${URLSAFE}{35}${NA}`, minEntropy: 3 },
  {
    id: 'gemini-aq',
    label: 'gemini',
    // AI Studio's newer keys: no published length, so a floor of 20 characters after the dot.
    source: `(?<![A-Za-z0-9_.-])AQ\\.${URLSAFE}{20,}${NA}`,
    minEntropy: 3,
  },
  { id: 'xai', label: 'xai', source: `${NB}xai-[A-Za-z0-9]{80}${NA}`, minEntropy: 3 },
  {
    id: 'slack-webhook',
    label: 'slack',
    source:
      'https?://hooks\\.slack\\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,12}/[AB][A-Z0-9]{6,12}/(?:\\d{15,20}/)?[A-Za-z0-9]{20,34}(?![A-Za-z0-9])',
    minEntropy: 0,
  },
  {
    id: 'slack-config',
    label: 'slack',
    source: '(?<![A-Za-z0-9])xoxe(?:\\.xox[bp])?-\\d-[A-Za-z0-9]{140,170}(?![A-Za-z0-9])',
    minEntropy: 3,
  },
  {
    id: 'slack-app',
    label: 'slack',
    source: '(?<![A-Za-z0-9])xapp-\\d-[A-Za-z0-9]{8,14}-\\d{8,15}-[A-Fa-f0-9]{32,80}(?![A-Za-z0-9])',
    minEntropy: 2.5,
  },
  {
    id: 'slack-token',
    label: 'slack',
    source: '(?<![A-Za-z0-9])xox[abposr]-(?:\\d-)?\\d{8,14}-[A-Za-z0-9-]{8,}(?![A-Za-z0-9])',
    minEntropy: 3,
  },
  {
    id: 'telegram',
    label: 'telegram',
    // In text and in Bot API URLs (`/bot<token>/getMe`), and URL-encoded (`%3A`).
    source: `(?<![0-9])\\d{5,16}(?::|%3[Aa])A${URLSAFE}{34}${NA}`,
    minEntropy: 3,
  },
  {
    id: 'discord',
    label: 'discord',
    // base64(snowflake id) . base64(timestamp) . HMAC: the id starts with M, N or O.
    source: `${NB}[MNO]${URLSAFE}{23,27}\\.${URLSAFE}{6,7}\\.${URLSAFE}{27,40}${NA}`,
    minEntropy: 3.5,
  },
  {
    id: 'vault',
    label: 'vault',
    source: `${NB}(?:hvs\\.${URLSAFE}{90,120}|hvb\\.${URLSAFE}{138,300}|hvr\\.${URLSAFE}{20,120})${NA}`,
    minEntropy: 3,
  },
  {
    id: 'vault-legacy',
    label: 'vault',
    source: '(?<![A-Za-z0-9_.-])[sbr]\\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])',
    minEntropy: 3.5,
  },
  {
    id: 'header',
    label: 'credential',
    // The value after `Authorization: Bearer`, `x-api-key:`, `x-goog-api-key=` and the like, in
    // logs, curl commands and JSON.
    source:
      '(?<=(?:[Aa]uthorization|AUTHORIZATION|[Xx]-[Aa][Pp][Ii]-[Kk][Ee][Yy]|[Xx]-[Gg]oog-[Aa]pi-[Kk]ey|[Aa]pi[-_][Kk]ey)["\']?\\s*[:=]\\s*["\']?(?:(?:[Bb]earer|BEARER|[Bb]ot|[Bb]asic|[Tt]oken)\\s+)?)(?![[(<{])[A-Za-z0-9._~+/=:-]{16,}',
    minEntropy: 3,
  },
];

/** Shannon entropy of `text`, in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
