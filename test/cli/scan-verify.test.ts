/**
 * `keycard scan --verify` and the scan formats: the built CLI in a child process, verifying the
 * keys it finds against the simulator (base URLs from `<PROVIDER>_BASE_URL`) for live, revoked,
 * rate-limited, timed-out and network-down keys; table, JSON, JSON lines and SARIF (validated
 * against the SARIF 2.1.0 schema), remediation lines and exit codes. No output holds a key.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openKeystore } from '../../src/keys/keystore.js';
import { literal } from '../../src/keys/literal.js';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const live = testKey('openai', 'scan-verify-live');
const revoked = testKey('openai', 'scan-verify-revoked');
const slack = testKey('slack', 'scan-verify');
const telegram = testKey('telegram', 'scan-verify');
const stored = testKey('anthropic', 'scan-verify-stored');
const unverifiable = testKey('openai-compatible', 'scan-verify');
const ALL_KEYS = [live, revoked, slack, telegram, stored, unverifiable];

let simulator: Simulator;
let home: string;

/** The base URL variables of every provider, so that the developer's own never apply. */
const BASE_VARIABLES = [
  'OPENAI_BASE_URL',
  'ANTHROPIC_BASE_URL',
  'GEMINI_BASE_URL',
  'GOOGLE_GEMINI_BASE_URL',
  'SLACK_BASE_URL',
  'TELEGRAM_BASE_URL',
  'XAI_BASE_URL',
  'GROQ_BASE_URL',
  'OPENROUTER_BASE_URL',
  'DEEPSEEK_BASE_URL',
  'TOGETHER_BASE_URL',
  'MISTRAL_BASE_URL',
  'DISCORD_BASE_URL',
];

function env(overrides: Record<string, string> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = Object.fromEntries(
    BASE_VARIABLES.map((name) => [name, undefined]),
  );
  return {
    ...base,
    KEYCARD_HOME: home,
    OPENAI_BASE_URL: simulator.baseURL('openai'),
    ANTHROPIC_BASE_URL: simulator.baseURL('anthropic'),
    SLACK_BASE_URL: simulator.baseURL('slack'),
    TELEGRAM_BASE_URL: simulator.baseURL('telegram'),
    ...overrides,
  };
}

/** A directory holding `files` (name → text). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keycard-scan-verify-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function expectNoKey(...outputs: string[]): void {
  for (const output of outputs) {
    expect(output).not.toMatch(CLEAR_KEY);
    for (const key of ALL_KEYS) expect(output).not.toContain(key);
  }
}

interface Report {
  file: string;
  line: number;
  provider: string;
  maskedId: string;
  fingerprint: string;
  rule: string;
  remediation: { revokeAt: string; rotate?: string };
  verification?: { status: string; provider?: string; identity?: Record<string, unknown>; reason?: string };
}

let repo: string;

/** A validator of the published SARIF 2.1.0 schema (JSON Schema draft-04), formats included. */
async function sarifValidator() {
  const schema = JSON.parse(
    await readFile(join(import.meta.dirname, '../fixtures/sarif/sarif-2.1.0-rtm.5.json'), 'utf8'),
  ) as Record<string, unknown>;
  // The schema's patterns are ECMAScript regular expressions without the `u` flag.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

beforeAll(async () => {
  simulator = await startSimulator({ keys: [live, revoked, slack, telegram, stored] });
  simulator.revokeKey(revoked);
  home = await mkdtemp(join(tmpdir(), 'keycard-scan-verify-home-'));
  // The anthropic key is in the local keystore: remediation names `keycard keys rotate`.
  await openKeystore({
    passphrase: literal('scan-verify-passphrase'),
    path: join(home, 'keys.json'),
    kdf: { N: 2 ** 14 },
  }).add('claude', stored);
  repo = await tree({
    'config.ts': `const key = '${revoked}';\nconst other = '${live}';\n`,
    'copy.ts': `export const again = '${live}';\n`,
    '.env': `SLACK_BOT_TOKEN=${slack}\nTELEGRAM_BOT_TOKEN=${telegram}\nANTHROPIC_API_KEY=${stored}\n`,
    'deepseek.txt': `${unverifiable}\n`,
  });
});
afterEach(() => {
  simulator.reset();
});
afterAll(async () => {
  await simulator.close();
});

describe('keycard scan --verify', () => {
  it('says which keys are live (with their owner), revoked or unknown; live first; exit 3', async () => {
    const result = await keycard(['scan', '--verify'], { cwd: repo, env: env() });
    expect(result.code).toBe(3);
    const lines = result.stdout.split('\n');
    const first = lines.findIndex((line) => line.includes('LIVE'));
    const revokedLine = lines.findIndex((line) => line.includes('revoked'));
    const unknownLine = lines.findIndex((line) => line.includes('unknown ('));
    expect(first).toBe(0);
    expect(unknownLine).toBeGreaterThan(first);
    expect(revokedLine).toBeGreaterThan(unknownLine);
    expect(result.stdout).toMatch(
      /config\.ts:2 {2}openai {2}sk-proj-\*\*\*\*\S+ {2}[0-9a-f]{12} {2}LIVE organization=org-simulated/,
    );
    expect(result.stdout).toMatch(/\.env:1 {2}slack {2}xoxb-\*\*\*\*\S+ {2}[0-9a-f]{12} {2}LIVE team=/);
    expect(result.stdout).toMatch(/\.env:2 {2}telegram .*LIVE id=\d+ username=/);
    expect(result.stdout).toMatch(/config\.ts:1 {2}openai .* revoked/);
    expect(result.stdout).toMatch(/deepseek\.txt:1 .*unknown \(an OpenAI-compatible key/);
    expect(result.stdout).toContain("Verified with each key's provider: 5 live, 1 revoked, 1 unknown.");
    expectNoKey(result.stdout, result.stderr);
    // Each distinct key is sent once, to its own provider; the ambiguous one is sent nowhere.
    const sent = simulator.requests.map((request) => `${request.provider}:${request.keyMaskedId}`);
    expect(sent.filter((entry) => entry.startsWith('openai:'))).toHaveLength(2);
    expect(new Set(sent).size).toBe(sent.length);
    expect(simulator.requests.some((request) => request.provider === 'deepseek')).toBe(false);
    // No retry on a 401: the revoked key was sent once.
    expect(simulator.requests.filter((request) => request.status === 401)).toHaveLength(1);
  });

  it('sends nothing without --verify; exit 1, with where to revoke each key and the keystore command', async () => {
    const result = await keycard(['scan'], { cwd: repo, env: env() });
    expect(result.code).toBe(1);
    expect(simulator.requests).toHaveLength(0);
    expect(result.stdout).toContain('→ revoke it at https://platform.openai.com/api-keys');
    expect(result.stdout).toContain('→ revoke it at @BotFather (https://t.me/BotFather)');
    expect(result.stdout).toContain('"OAuth & Permissions" page at https://api.slack.com/apps');
    expect(result.stdout).toContain('→ it is in your keystore: keycard keys rotate claude');
    expect(result.stdout.match(/keycard keys rotate/g)).toHaveLength(1);
    expect(result.stdout).not.toMatch(/LIVE|revoked|unknown|Verified/);
    expectNoKey(result.stdout, result.stderr);
  });

  it('carries the verification and remediation in JSON and JSON lines; --json is --format json', async () => {
    const json = await keycard(['scan', '--verify', '--format', 'json'], { cwd: repo, env: env() });
    expect(json.code).toBe(3);
    const reports = JSON.parse(json.stdout) as Report[];
    expect(reports).toHaveLength(7);
    expect(reports.map((report) => report.verification?.status)).toEqual([
      'live',
      'live',
      'live',
      'live',
      'live',
      'unknown',
      'revoked',
    ]);
    const openai = reports.find(
      (report) => report.verification?.status === 'live' && report.provider === 'openai',
    );
    expect(openai?.verification).toMatchObject({
      provider: 'openai',
      identity: { organization: 'org-simulated' },
    });
    expect(reports.find((report) => report.provider === 'anthropic')?.remediation).toEqual({
      revokeAt: 'https://console.anthropic.com/settings/keys',
      rotate: 'keycard keys rotate claude',
    });
    const alias = await keycard(['scan', '--json'], { cwd: repo, env: env() });
    const plain = await keycard(['scan', '--format', 'json'], { cwd: repo, env: env() });
    expect(alias.stdout).toBe(plain.stdout);
    expect((JSON.parse(alias.stdout) as Report[])[0]).not.toHaveProperty('verification');
    const lines = await keycard(['scan', '--verify', '--format', 'jsonl'], { cwd: repo, env: env() });
    expect(lines.code).toBe(3);
    const parsed = lines.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Report);
    expect(parsed).toEqual(reports);
    expectNoKey(json.stdout, json.stderr, alias.stdout, lines.stdout, lines.stderr);
  });

  it('writes SARIF 2.1.0 that the published schema accepts, with the status as level and properties', async () => {
    const validate = await sarifValidator();
    const plain = await keycard(['scan', '--format', 'sarif'], { cwd: repo, env: env() });
    const verified = await keycard(['scan', '--verify', '--format', 'sarif'], { cwd: repo, env: env() });
    expect(plain.code).toBe(1);
    expect(verified.code).toBe(3);
    // A path that needs percent-encoding to be a URI reference.
    const spaced = await tree({});
    await mkdir(join(spaced, 'my dir'));
    await writeFile(join(spaced, 'my dir', 'key file #1.ts'), `'${live}'\n`);
    const encoded = await keycard(['scan', '--format', 'sarif'], { cwd: spaced, env: env() });
    expect(encoded.stdout).toContain('"uri": "my%20dir/key%20file%20%231.ts"');
    for (const output of [plain.stdout, verified.stdout, encoded.stdout]) {
      const log = JSON.parse(output) as unknown;
      expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    }
    const log = JSON.parse(verified.stdout) as {
      version: string;
      runs: Array<{
        tool: { driver: { name: string; rules: Array<{ id: string }> } };
        results: Array<{
          ruleId: string;
          level: string;
          message: { text: string };
          locations: Array<{
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }>;
          properties: Record<string, unknown>;
        }>;
      }>;
    };
    const run = log.runs[0];
    expect(log.version).toBe('2.1.0');
    expect(run?.tool.driver.name).toBe('keycard');
    // Rule ids are the pattern table's ids (one per key form).
    const ruleIds = run?.tool.driver.rules.map((rule) => rule.id) ?? [];
    expect(ruleIds).toEqual(expect.arrayContaining(['keycard/openai', 'keycard/slack-token']));
    expect(ruleIds.some((id) => id.startsWith('keycard/telegram'))).toBe(true);
    expect(run?.results.map((result) => result.level)).toEqual([
      'error',
      'error',
      'error',
      'error',
      'error',
      'warning',
      'note',
    ]);
    const revokedResult = run?.results.find((result) => result.properties['verification'] === 'revoked');
    expect(revokedResult?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'config.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 1 },
    });
    expect(revokedResult?.properties).toMatchObject({
      provider: 'openai',
      maskedId: expect.stringMatching(/^sk-proj-\*{4}/),
    });
    const liveOpenai = run?.results.find(
      (result) => result.properties['verification'] === 'live' && result.properties['provider'] === 'openai',
    );
    expect(liveOpenai?.properties['identity']).toMatchObject({ organization: 'org-simulated' });
    expect(liveOpenai?.message.text).toContain('It is live');
    expectNoKey(plain.stdout, verified.stdout, verified.stderr);
  });

  it('verifies keys found in the git history, and says in SARIF which commit holds them', async () => {
    const dir = await tree({ 'settings.ts': `export const key = '${live}';\n` });
    const git = (...args: string[]) =>
      promisify(execFile)('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], {
        cwd: dir,
      });
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'a key');
    await writeFile(join(dir, 'settings.ts'), 'export const key = process.env.OPENAI_API_KEY;\n');
    await git('commit', '-q', '-am', 'no key');
    const result = await keycard(['scan', '--git', '--verify', '--format', 'sarif'], {
      cwd: dir,
      env: env(),
    });
    expect(result.code).toBe(3);
    const log = JSON.parse(result.stdout) as {
      runs: Array<{ results: Array<{ level: string; properties: Record<string, unknown> }> }>;
    };
    const validate = await sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.runs[0]?.results).toHaveLength(1);
    expect(log.runs[0]?.results[0]).toMatchObject({
      level: 'error',
      properties: { verification: 'live', commit: expect.stringMatching(/^[0-9a-f]{12}$/) },
    });
    expectNoKey(result.stdout, result.stderr);
  });

  it('reports a rate-limited provider as unknown, and sends it no more keys', async () => {
    const dir = await tree({ 'a.ts': `'${live}'\n'${revoked}'\n` });
    const lift = simulator.failNext('rate_limit', { provider: 'openai', times: Infinity });
    const result = await keycard(['scan', '--verify', '--json'], { cwd: dir, env: env() });
    lift();
    expect(result.code).toBe(1);
    const reports = JSON.parse(result.stdout) as Report[];
    expect(reports.map((report) => report.verification?.status)).toEqual(['unknown', 'unknown']);
    expect(reports[0]?.verification?.reason).toBe('rate limited');
    expect(reports[1]?.verification?.reason).toMatch(/^rate limited: .* not sent/);
    expect(simulator.requests).toHaveLength(1);
    expectNoKey(result.stdout, result.stderr);
  });

  it("reads each SDK's rate limit as rate limited: Slack's and Telegram's 429 too", async () => {
    const dir = await tree({ '.env': `SLACK_BOT_TOKEN=${slack}\nTELEGRAM_BOT_TOKEN=${telegram}\n` });
    const lifts = [
      simulator.failNext('rate_limit', { provider: 'slack', times: Infinity }),
      simulator.failNext('rate_limit', { provider: 'telegram', times: Infinity }),
    ];
    const result = await keycard(['scan', '--verify', '--json'], { cwd: dir, env: env() });
    for (const lift of lifts) lift();
    expect(result.code).toBe(1);
    const reports = JSON.parse(result.stdout) as Report[];
    expect(
      reports.map((report) => [report.provider, report.verification?.status, report.verification?.reason]),
    ).toEqual([
      ['slack', 'unknown', 'rate limited'],
      ['telegram', 'unknown', 'rate limited'],
    ]);
    // No retry: one request each.
    expect(simulator.requests).toHaveLength(2);
    expectNoKey(result.stdout, result.stderr);
  });

  it('sends nowhere the forms no who-am-I call takes: webhook URLs, app tokens, Vault tokens', async () => {
    const random = (length: number, alphabet: string) =>
      Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const mixed = `${upper}abcdefghijklmnopqrstuvwxyz`;
    const slackWebhook = `https://hooks.slack.com/services/T${random(9, upper)}/B${random(9, upper)}/${random(24, mixed)}`;
    const discordWebhook = `https://discord.com/api/webhooks/1${random(17, '0123456789')}/${random(68, `${mixed}_-`)}`;
    const vaultToken = ['hv', 's.'].join('') + random(95, mixed);
    const appToken = testKey('slack-app', 'scan-verify');
    const dir = await tree({
      'hooks.txt': `${slackWebhook}\n${discordWebhook}\nVAULT_TOKEN=${vaultToken}\nSLACK_APP_TOKEN=${appToken}\n`,
    });
    const result = await keycard(['scan', '--verify', '--format', 'jsonl'], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    const reports = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Report);
    expect(reports.map((report) => [report.provider, report.verification?.status])).toEqual([
      ['slack', 'unknown'],
      ['discord', 'unknown'],
      ['vault', 'unknown'],
      ['slack', 'unknown'],
    ]);
    expect(reports.map((report) => report.verification?.reason)).toEqual([
      expect.stringContaining('Slack webhook URL'),
      expect.stringContaining('Discord webhook URL'),
      expect.stringContaining('Vault token'),
      expect.stringContaining('app-level token'),
    ]);
    expect(simulator.requests).toHaveLength(0);
    for (const secret of [slackWebhook, discordWebhook, vaultToken, appToken]) {
      expect(result.stdout).not.toContain(secret.slice(-16));
      expect(result.stderr).not.toContain(secret.slice(-16));
    }
  });

  it('counts a key out of credit, or without permission for the call, as live, with that note', async () => {
    const broke = testKey('openai', 'scan-verify-broke');
    simulator.addKey(broke);
    const dir = await tree({ 'a.ts': `'${live}'\n'${broke}'\n` });
    const lifts = [
      simulator.failNext('forbidden', { key: live, times: Infinity }),
      simulator.failNext('quota', { key: broke, times: Infinity }),
    ];
    const result = await keycard(['scan', '--verify', '--json'], { cwd: dir, env: env() });
    for (const lift of lifts) lift();
    expect(result.code).toBe(3);
    expect((JSON.parse(result.stdout) as Report[]).map((report) => report.verification)).toEqual([
      { status: 'live', provider: 'openai', reason: expect.stringContaining('no permission') },
      { status: 'live', provider: 'openai', reason: 'the key works but is out of credit' },
    ]);
    expectNoKey(result.stdout, result.stderr);
  });

  it('reports a check that gets no answer in time as unknown (timed out), and exits', async () => {
    const dir = await tree({ 'a.ts': `'${live}'\n` });
    const lift = simulator.failNext('hang', { provider: 'openai', times: Infinity });
    const result = await keycard(['scan', '--verify', '--verify-timeout', '300', '--json'], {
      cwd: dir,
      env: env(),
    });
    lift();
    expect(result.code).toBe(1);
    const [report] = JSON.parse(result.stdout) as Report[];
    expect(report?.verification).toEqual({ status: 'unknown', provider: 'openai', reason: 'timed out' });
    expectNoKey(result.stdout, result.stderr);
  });

  it('reports a network that is down as unknown: connection refused, and reset', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const dir = await tree({
      'a.ts': `'${live}'\n`,
      'b.env': `SLACK_BOT_TOKEN=${slack}\n`,
      'c.sh': `curl https://api.telegram.org/bot${telegram}/getMe\n`,
    });
    simulator.failNext('reset', { provider: 'slack', times: Infinity });
    const result = await keycard(['scan', '--verify', '--format', 'jsonl'], {
      cwd: dir,
      env: env({
        OPENAI_BASE_URL: `http://127.0.0.1:${closed}/v1`,
        TELEGRAM_BASE_URL: `http://127.0.0.1:${closed}/telegram`,
      }),
    });
    expect(result.code).toBe(1);
    const reports = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Report);
    const byProvider = Object.fromEntries(reports.map((report) => [report.provider, report.verification]));
    expect(byProvider['openai']).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/^network: .*ECONNREFUSED/),
    });
    expect(byProvider['slack']).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/^network: /),
    });
    expect(byProvider['telegram']).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/^network: .*ECONNREFUSED/),
    });
    // Where keys were sent instead of the provider's own API is said, on stderr.
    expect(result.stderr).toContain(
      `openai keys are verified at http://127.0.0.1:${closed}/v1 (OPENAI_BASE_URL)`,
    );
    expectNoKey(result.stdout, result.stderr);
  });

  it('exits 0 when nothing is found, 2 on a usage error', async () => {
    const clean = await tree({ 'readme.md': 'nothing here\n' });
    const none = await keycard(['scan', '--verify'], { cwd: clean, env: env() });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No keys found in 1 file(s)');
    const sarif = await keycard(['scan', '--format', 'sarif'], { cwd: clean, env: env() });
    expect(sarif.code).toBe(0);
    expect((JSON.parse(sarif.stdout) as { runs: Array<{ results: unknown[] }> }).runs[0]?.results).toEqual(
      [],
    );
    const bad = await keycard(['scan', '--format', 'xml'], { cwd: clean, env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are table, json, jsonl, sarif');
    const badTimeout = await keycard(['scan', '--verify', '--verify-timeout', 'soon'], {
      cwd: clean,
      env: env(),
    });
    expect(badTimeout.code).toBe(2);
  });

  it('documents the exit codes and what --verify sends where in its help', async () => {
    const help = await keycard(['scan', '--help']);
    expect(help.stdout).toContain('sends each key found to its own provider, and nowhere else');
    expect(help.stdout).toMatch(/Exit codes: 0 no key found; 1 a key found; 2 .*\n3 with --verify/);
  });
});
