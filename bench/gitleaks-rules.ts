/**
 * gitleaks' rules for the key kinds keycard knows, ported to JavaScript regular expressions as
 * quoted in `shared/research/keys-vault-pricing.md` part A.1 (gitleaks' own Go RE2 sources),
 * with their entropy minimums. Go's inline `(?-i:A)` has no JavaScript equivalent on Node 20; the
 * Telegram rule keeps the `A` case-insensitive instead. This is the subset of gitleaks' rule set
 * that covers keycard's providers, not all of its rules.
 */
const END = '(?:[\\x60\'"\\s;]|\\\\[nr]|$)';
const MARK = ['T3Bl', 'bkFJ'].join('');

export interface PortedRule {
  id: string;
  regex: RegExp;
  /** The capture group holding the secret (0: the whole match). */
  group: number;
  minEntropy: number;
}

const rule = (id: string, source: string, flags = '', group = 0, minEntropy = 0): PortedRule => ({
  id,
  regex: new RegExp(source, `g${flags}`),
  group,
  minEntropy,
});

export const GITLEAKS_RULES: readonly PortedRule[] = [
  rule(
    'openai-api-key',
    `\\b(sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})${MARK}(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})\\b|sk-[a-zA-Z0-9]{20}${MARK}[a-zA-Z0-9]{20})${END}`,
    '',
    1,
    3,
  ),
  rule('anthropic-api-key', `\\b(sk-ant-api03-[a-zA-Z0-9_\\-]{93}AA)${END}`, '', 1),
  rule('anthropic-admin-api-key', `\\b(sk-ant-admin01-[a-zA-Z0-9_\\-]{93}AA)${END}`, '', 1),
  rule('gcp-api-key', `\\b(AIza[\\w-]{35})${END}`, '', 1, 4),
  // gitleaks `aws-access-token` (the corpus plants AWS access key ids since keycard finds them).
  rule('aws-access-token', '\\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\\b', '', 1, 3),
  rule('slack-bot-token', 'xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*', '', 0, 3),
  rule('slack-legacy-bot-token', 'xoxb-[0-9]{8,14}-[a-zA-Z0-9]{18,26}', '', 0, 2),
  rule('slack-user-token', 'xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}', '', 0, 2),
  rule('slack-app-token', 'xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+', 'i', 0, 2),
  rule('slack-config-access-token', 'xoxe.xox[bp]-\\d-[A-Z0-9]{163,166}', 'i', 0, 2),
  rule('slack-config-refresh-token', 'xoxe-\\d-[A-Z0-9]{146}', 'i', 0, 2),
  rule('slack-legacy-workspace-token', 'xox[ar]-(?:\\d-)?[0-9a-zA-Z]{8,48}', '', 0, 2),
  rule('slack-legacy-token', 'xox[os]-\\d+-\\d+-\\d+-[a-fA-F\\d]+', '', 0, 2),
  rule(
    'slack-webhook-url',
    '(?:https?://)?hooks.slack.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}',
  ),
  rule(
    'telegram-bot-api-token',
    `[\\w.-]{0,50}?(?:telegr)(?:[ \\t\\w.-]{0,20})[\\s'"]{0,3}(?:=|>|:{1,3}=|\\|\\||:|=>|\\?=|,)[\\x60'"\\s=]{0,5}([0-9]{5,16}:A[a-z0-9_\\-]{34})${END}`,
    'i',
    1,
  ),
  rule(
    'discord-api-token',
    `[\\w.-]{0,50}?(?:discord)(?:[ \\t\\w.-]{0,20})[\\s'"]{0,3}(?:=|>|:{1,3}=|\\|\\||:|=>|\\?=|,)[\\x60'"\\s=]{0,5}([a-f0-9]{64})${END}`,
    'i',
    1,
  ),
];
