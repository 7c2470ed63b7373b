/**
 * Every documented key form of every provider keycard knows, each a generator of fresh keys at
 * run time (no key-shaped literal in the repository), with the contexts a key is found in. The
 * forms come from the providers' documentation and from the public rule sets of gitleaks and
 * trufflehog (facts only: shapes and lengths), see `shared/research/keys-vault-pricing.md`.
 */
import { randomString } from './keys.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = `${ALNUM}_-`;
const HEX = '0123456789abcdef';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DIGITS = '0123456789';
const BASE64 = `${ALNUM}+/`;
const OPENAI_MARK = ['T3Bl', 'bkFJ'].join('');
const j = (...parts: string[]) => parts.join('');

export interface KeyForm {
  /** What it is, for test names. */
  name: string;
  /** The pattern id that must find it. */
  rule: string;
  /** The label of its replacement. */
  label: string;
  make(random: () => number): string;
  /** The part that is secret when the rest stays readable (a webhook's address). Default: all. */
  secret?(key: string): string;
  /**
   * The lines the key is found whole in: `$` stands for the key. Default: bare in prose, in
   * JSON, after `=`, in quotes in code.
   */
  contexts?: readonly string[];
}

const s = (random: () => number, length: number, alphabet = ALNUM) => randomString(random, length, alphabet);
const digits = (random: () => number, length: number) => s(random, length, DIGITS).replace(/^0/, '1');
/** `length` characters of `alphabet` with at least one digit and one letter (random ones may lack one). */
const mixed = (random: () => number, length: number, alphabet = ALNUM) =>
  `${s(random, length - 2, alphabet)}${s(random, 1, alphabet.replace(/[^A-Za-z]/g, ''))}${s(random, 1, alphabet.replace(/[^1-9]/g, ''))}`;

export const DEFAULT_CONTEXTS = [
  'WARN retrying with $ after 429',
  '{"level":"info","value":"$","n":3}',
  'KEY=$',
  "const key = '$';",
];

export const KEY_FORMS: readonly KeyForm[] = [
  // OpenAI: project, service account, admin, legacy user keys and org keys without a project.
  ...['proj', 'svcacct', 'None', 'service'].map(
    (kind): KeyForm => ({
      name: `openai sk-${kind}-`,
      rule: 'openai',
      label: 'openai',
      make: (r) => j('sk-', kind, '-', s(r, 74, URLSAFE), OPENAI_MARK, s(r, 74, URLSAFE)),
    }),
  ),
  {
    name: 'openai sk-admin-',
    rule: 'openai',
    label: 'openai',
    make: (r) => j('sk-', 'admin-', s(r, 58, URLSAFE), OPENAI_MARK, s(r, 58, URLSAFE)),
  },
  {
    name: 'openai sk-proj- 58/58',
    rule: 'openai',
    label: 'openai',
    make: (r) => j('sk-', 'proj-', s(r, 58, URLSAFE), OPENAI_MARK, s(r, 58, URLSAFE)),
  },
  {
    name: 'openai legacy',
    rule: 'openai',
    label: 'openai',
    make: (r) => j('sk-', s(r, 20), OPENAI_MARK, s(r, 20)),
  },
  // Anthropic: API keys, admin keys, Claude Code OAuth access and refresh tokens.
  ...['api03', 'admin01', 'oat01', 'ort01'].map(
    (kind): KeyForm => ({
      name: `anthropic sk-ant-${kind}-`,
      rule: 'anthropic',
      label: 'anthropic',
      make: (r) => j('sk-', 'ant-', kind, '-', s(r, 93, URLSAFE), 'AA'),
    }),
  ),
  { name: 'gemini AIza', rule: 'gemini', label: 'gemini', make: (r) => j('AI', 'za', s(r, 35, URLSAFE)) },
  { name: 'gemini AQ.', rule: 'gemini-aq', label: 'gemini', make: (r) => j('AQ', '.', s(r, 53, URLSAFE)) },
  // The OpenAI-compatible providers.
  { name: 'xai', rule: 'xai', label: 'xai', make: (r) => j('xa', 'i-', s(r, 80)) },
  { name: 'groq', rule: 'groq', label: 'groq', make: (r) => j('gs', 'k_', s(r, 52)) },
  {
    name: 'openrouter',
    rule: 'openrouter',
    label: 'openrouter',
    make: (r) => j('sk-', 'or-', 'v1-', s(r, 64, HEX)),
  },
  {
    name: 'deepseek',
    rule: 'sk-plain',
    label: 'openai-compatible',
    make: (r) => j('sk-', mixed(r, 32, HEX)),
  },
  {
    name: 'together tgp_v1_',
    rule: 'together',
    label: 'together',
    make: (r) => j('tg', 'p_v1_', s(r, 43, URLSAFE)),
  },
  {
    name: 'together legacy hex',
    rule: 'together-legacy',
    label: 'together',
    make: (r) => mixed(r, 64, HEX),
    contexts: ['TOGETHER_API_KEY=$', '{"TOGETHER_API_KEY": "$"}', "together_api_key: '$'"],
  },
  {
    name: 'mistral',
    rule: 'mistral',
    label: 'mistral',
    make: (r) => mixed(r, 32),
    contexts: ['MISTRAL_API_KEY=$', '{"MISTRAL_API_KEY": "$"}'],
  },
  // Slack: bot, user, app-level, configuration access and refresh, legacy tokens, webhooks.
  {
    name: 'slack xoxb-',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xb-', digits(r, 12), '-', digits(r, 13), '-', s(r, 24)),
  },
  {
    name: 'slack legacy bot xoxb-',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xb-', digits(r, 12), '-', s(r, 24)),
  },
  {
    name: 'slack xoxp-',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xp-', digits(r, 12), '-', digits(r, 12), '-', digits(r, 13), '-', s(r, 32, HEX)),
  },
  {
    name: 'slack xoxe- (user-token shape)',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xe-', digits(r, 13), '-', digits(r, 13), '-', digits(r, 13), '-', s(r, 32, HEX)),
  },
  {
    name: 'slack xoxa-2-',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xa-2-', digits(r, 9), '-', digits(r, 11), '-', digits(r, 13), '-', s(r, 18, HEX)),
  },
  {
    name: 'slack xoxa- bare',
    rule: 'slack-legacy',
    label: 'slack',
    make: (r) => j('xo', 'xa-', mixed(r, 12)),
  },
  {
    name: 'slack xoxa-1- bare',
    rule: 'slack-legacy',
    label: 'slack',
    make: (r) => j('xo', 'xa-1-', mixed(r, 12)),
  },
  {
    name: 'slack xoxr- bare',
    rule: 'slack-legacy',
    label: 'slack',
    make: (r) => j('xo', 'xr-', mixed(r, 40)),
  },
  {
    name: 'slack xoxr- digits',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xr-', digits(r, 11), '-', s(r, 34)),
  },
  {
    name: 'slack xoxs-',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xs-', digits(r, 10), '-', digits(r, 10), '-', digits(r, 10), '-', s(r, 10, HEX)),
  },
  {
    name: 'slack xoxo- (short ids)',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xo-', digits(r, 6), '-', digits(r, 6), '-', digits(r, 6), '-', s(r, 18, HEX)),
  },
  {
    name: 'slack xoxc- session',
    rule: 'slack-token',
    label: 'slack',
    make: (r) => j('xo', 'xc-', digits(r, 12), '-', digits(r, 12), '-', digits(r, 13), '-', s(r, 64, HEX)),
  },
  {
    name: 'slack xapp- hex tail',
    rule: 'slack-app',
    label: 'slack',
    make: (r) => j('xa', 'pp-1-A', s(r, 10, UPPER_ALNUM), '-', digits(r, 13), '-', s(r, 64, HEX)),
  },
  {
    name: 'slack xapp- alphanumeric tail',
    rule: 'slack-app',
    label: 'slack',
    make: (r) => j('xa', 'pp-1-A', s(r, 10, UPPER_ALNUM), '-', digits(r, 13), '-', s(r, 64)),
  },
  {
    name: 'slack xoxe- refresh',
    rule: 'slack-config',
    label: 'slack',
    make: (r) => j('xo', 'xe-1-', s(r, 146)),
  },
  {
    name: 'slack xoxe.xoxp- config',
    rule: 'slack-config',
    label: 'slack',
    make: (r) => j('xo', 'xe.', 'xo', 'xp-1-', s(r, 163)),
  },
  {
    name: 'slack xoxe.xoxb- config',
    rule: 'slack-config',
    label: 'slack',
    make: (r) => j('xo', 'xe.', 'xo', 'xb-1-', s(r, 165)),
  },
  {
    name: 'slack webhook T…/B…',
    rule: 'slack-webhook',
    label: 'slack',
    make: (r) =>
      j(
        'https://hooks.',
        'slack',
        '.com/services/T',
        s(r, 10, UPPER_ALNUM),
        '/B',
        s(r, 10, UPPER_ALNUM),
        '/',
        s(r, 24),
      ),
  },
  {
    name: 'slack webhook, other ids',
    rule: 'slack-webhook',
    label: 'slack',
    make: (r) =>
      j('https://hooks.', 'slack', '.com/services/', mixed(r, 11), '/', mixed(r, 11), '/', s(r, 24)),
  },
  {
    name: 'slack workflow webhook',
    rule: 'slack-webhook',
    label: 'slack',
    make: (r) =>
      j(
        'https://hooks.',
        'slack',
        '.com/workflows/T',
        s(r, 10, UPPER_ALNUM),
        '/A',
        s(r, 10, UPPER_ALNUM),
        '/',
        digits(r, 18),
        '/',
        s(r, 24),
      ),
  },
  {
    name: 'slack webhook without scheme',
    rule: 'slack-webhook',
    label: 'slack',
    make: (r) => j('hooks.', 'slack', '.com/triggers/', mixed(r, 11), '/', mixed(r, 11), '/', s(r, 32)),
  },
  // Telegram: tokens whose secret starts with `AA`, with `A` and another letter, and with
  // anything (found in a Bot API path or after a Telegram variable name).
  {
    name: 'telegram AA',
    rule: 'telegram',
    label: 'telegram',
    make: (r) => j(digits(r, 10), ':', 'AA', s(r, 33, URLSAFE)),
  },
  {
    name: 'telegram A…',
    rule: 'telegram',
    label: 'telegram',
    make: (r) => j(digits(r, 9), ':', 'A', s(r, 1, 'BCDEFGHIJ'), s(r, 33, URLSAFE)),
  },
  {
    name: 'telegram, secret not starting with A',
    rule: 'telegram-context',
    label: 'telegram',
    make: (r) => j(digits(r, 10), ':', s(r, 1, 'BCDEFGHbcdefgh'), s(r, 34, URLSAFE)),
    contexts: [
      'GET https://api.telegram.org/bot$/getMe',
      'TELEGRAM_BOT_TOKEN=$',
      'telegram_token: "$"',
      '{"telegramToken": "$"}',
    ],
  },
  // Discord: bot tokens (17- to 19-digit ids, 27- and 38-character HMACs), webhooks on every host.
  ...[17, 18, 19].flatMap((idDigits) =>
    [27, 38].map(
      (hmac): KeyForm => ({
        name: `discord bot token, ${idDigits}-digit id, ${hmac}-character HMAC`,
        rule: 'discord',
        label: 'discord',
        make: (r) =>
          [
            Buffer.from(digits(r, idDigits)).toString('base64url'),
            s(r, 6, URLSAFE),
            s(r, hmac, URLSAFE),
          ].join('.'),
      }),
    ),
  ),
  ...[
    'discord.com',
    'discordapp.com',
    'ptb.discord.com',
    'canary.discord.com',
    'canary.discordapp.com',
  ].flatMap((host) =>
    ['', 'v10/'].map(
      (version): KeyForm => ({
        name: `discord webhook ${host}/api/${version}`,
        rule: 'discord-webhook',
        label: 'discord',
        make: (r) =>
          j('https://', host, '/api/', version, 'webhooks/', digits(r, 19), '/', s(r, 68, URLSAFE)),
        secret: (key) => key.slice(key.indexOf('/webhooks/') + '/webhooks/'.length),
      }),
    ),
  ),
  // Vault: service, batch and recovery tokens; legacy tokens (found bare, high only in context).
  { name: 'vault hvs.', rule: 'vault', label: 'vault', make: (r) => j('hv', 's.', s(r, 95, URLSAFE)) },
  { name: 'vault hvb.', rule: 'vault', label: 'vault', make: (r) => j('hv', 'b.', s(r, 150, URLSAFE)) },
  { name: 'vault hvr.', rule: 'vault', label: 'vault', make: (r) => j('hv', 'r.', s(r, 24, URLSAFE)) },
  {
    name: 'vault legacy s.',
    rule: 'vault-legacy',
    label: 'vault',
    make: (r) => j('s', '.', mixed(r, 24)),
    contexts: ['VAULT_TOKEN=$', 'X-Vault-Token: $', 'vault login $', '{"token": "$"}'],
  },
  // AWS: access key ids (long-term and temporary), secret keys after their name.
  ...['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3TX'].map(
    (prefix): KeyForm => ({
      name: `aws ${prefix}`,
      rule: 'aws-access-key',
      label: 'aws',
      make: (r) => j(prefix.slice(0, 2), prefix.slice(2), mixed(r, 16, UPPER_ALNUM)),
    }),
  ),
  {
    name: 'aws secret access key',
    rule: 'aws-secret-key',
    label: 'aws',
    make: (r) => mixed(r, 40, BASE64),
    contexts: [
      'aws_secret_access_key = $',
      'AWS_SECRET_ACCESS_KEY=$',
      '"SecretAccessKey": "$"',
      "secretAccessKey: '$',",
    ],
  },
];
