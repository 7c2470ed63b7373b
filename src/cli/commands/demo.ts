/**
 * `keycard demo`: keycard in a few seconds, offline. The provider and Vault simulators start on
 * loopback; a small workflow summarises with OpenAI, classifies with Anthropic, translates with
 * Gemini, posts to Slack, notifies on Telegram and posts to Discord, with keys from an environment variable, a
 * file, Vault and the encrypted keystore; then a bad key is caught, a budget alerts and blocks,
 * a debug line shows redaction, and the ledger prints what each key used.
 *
 * Each provider's step runs only when its SDK is installed (`npm i keycard openai` installs one);
 * the others are shown as skipped with the command that installs them, and the demo says so at
 * the end. It exits 0 either way.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createClient } from '../../client.js';
import { CredentialError, KeycardError } from '../../errors.js';
import { keys } from '../../keys/index.js';
import { openKeystore } from '../../keys/keystore.js';
import type { BaseLedger } from '../../ledger/base.js';
import { BudgetExceededError } from '../../ledger/budget.js';
import { openLedger } from '../../ledger/open.js';
import { PROVIDERS, type ProviderId } from '../../providers/ids.js';
import { isSdkInstalled } from '../../providers/load.js';
import { adapters } from '../../providers/registry.js';
import type { LoggerLike } from '../../redact/logger.js';
import { fakeKey } from '../../testing/fake-keys.js';
import { startSimulator } from '../../testing/simulator.js';
import { startVaultSimulator } from '../../testing/vault.js';
import { colors, out, table, usd } from '../output.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function random(length: number): string {
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += ALNUM[byte % ALNUM.length];
  return text;
}

function step(title: string): void {
  out('');
  out(colors.bold(colors.cyan(`▸ ${title}`)));
}

/** Lines a logger received, to show one of them. */
function collectingLogger(lines: string[]): LoggerLike {
  const write = (level: string) => (message: unknown) => lines.push(`${level} ${String(message)}`);
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * The demo's ledger, as the default ledger chooses: SQLite in KEYCARD_HOME; when no SQLite driver
 * works here, the append-only file beside it; when neither can open (a read-only disk), one in
 * memory, and why.
 */
async function openDemoLedger(
  home: string,
): Promise<{ ledger: BaseLedger; unavailable?: string; fallback?: string }> {
  const why = (error: KeycardError) => {
    const reason = error.message.replace(/^keycard: /, '');
    return reason.charAt(0).toUpperCase() + reason.slice(1);
  };
  try {
    return { ledger: await openLedger(`sqlite:${join(home, 'ledger.db')}`) };
  } catch (error) {
    if (!KeycardError.is(error)) throw error;
    try {
      return { ledger: await openLedger(`jsonl:${join(home, 'ledger.jsonl')}`), fallback: why(error) };
    } catch {
      return { ledger: await openLedger('memory:'), unavailable: why(error) };
    }
  }
}

/** The providers the demo shows, in the order of the workflow. */
const DEMO_PROVIDERS = [
  'openai',
  'anthropic',
  'gemini',
  'slack',
  'telegram',
  'discord',
] as const satisfies readonly ProviderId[];
type DemoProvider = (typeof DEMO_PROVIDERS)[number];

/** The demo providers whose SDK is not installed here, with the package each needs. */
async function missingSdks(): Promise<Map<DemoProvider, string>> {
  const missing = new Map<DemoProvider, string>();
  for (const provider of DEMO_PROVIDERS) {
    if (!(await isSdkInstalled(adapters[provider]))) missing.set(provider, adapters[provider].packageName);
  }
  return missing;
}

function skipped(packageName: string): string {
  return colors.yellow(`skipped: npm i ${packageName}`);
}

/** `path` as one shell word: as is when it is plain, else in single quotes. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./~-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/**
 * The last lines: commands that show this demo's ledger (its KEYCARD_HOME given with --home),
 * never the user's own, empty one. A temporary home is gone by then: how to keep one instead.
 */
export function nextSteps(home: string | undefined, hasLedger: boolean): string {
  const lines: Array<[string, string]> = [];
  if (home !== undefined && hasLedger) {
    const flag = `--home ${shellWord(home)}`;
    lines.push(
      [`keycard usage ${flag} --chart`, "this demo's daily cost per key"],
      [`keycard usage ${flag} --by provider,model`, 'its totals, with a totals row'],
      [`keycard usage ${flag} --html report.html`, 'its report: tables and charts'],
    );
  } else if (hasLedger) {
    lines.push(
      ['keycard demo --home ./keycard-demo', "keeps the demo's ledger (this run's is removed); then"],
      ['keycard usage --home ./keycard-demo --chart', "the demo's daily cost per key"],
    );
  }
  const width = Math.max(0, ...lines.map(([command]) => command.length));
  return [
    'Next:',
    ...lines.map(([command, what]) => `  ${command.padEnd(width)}   ${what}`),
    '  keycard check, keycard scan, and the README.',
  ].join('\n');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('see keycard work in a few seconds, offline, with made-up keys and local simulators')
    .option('--home <dir>', 'use this KEYCARD_HOME (and keep its ledger) instead of a temporary one')
    .action(async (options: { home?: string }) => {
      const started = performance.now();
      const home = options.home ?? (await mkdtemp(join(tmpdir(), 'keycard-demo-')));
      process.env['KEYCARD_HOME'] = home;
      const demoKeys = {
        openai: fakeKey('openai'),
        anthropic: fakeKey('anthropic'),
        gemini: fakeKey('gemini'),
        slack: fakeKey('slack'),
        telegram: fakeKey('telegram'),
        discord: fakeKey('discord'),
      };
      const simulator = await startSimulator({ keys: Object.values(demoKeys), latencyMs: 5 });
      const vault = await startVaultSimulator();
      const lines: string[] = [];
      let ledger: BaseLedger | undefined;
      try {
        out(
          colors.bold(
            'keycard demo: offline, made-up keys, local simulators of OpenAI, Anthropic, Gemini, Slack, Telegram, Discord and Vault.',
          ),
        );
        out(colors.dim(`KEYCARD_HOME=${home}`));
        const opened = await openDemoLedger(home);
        ledger = opened.ledger;
        if (opened.unavailable !== undefined) {
          out(`${colors.yellow('The ledger is unavailable here.')} ${opened.unavailable}`);
          out('The demo keeps usage in memory for its budget, and skips the usage table.');
        } else if (opened.fallback !== undefined) {
          out(`${colors.yellow('SQLite is unavailable here.')} ${opened.fallback}`);
          out('Usage goes to the append-only file ledger.jsonl instead, as the default ledger does.');
        }
        const missing = await missingSdks();
        const has = (provider: DemoProvider) => !missing.has(provider);

        step('1. Keys come from sources, never from code');
        process.env['DEMO_OPENAI_API_KEY'] = demoKeys.openai;
        const anthropicFile = join(home, 'anthropic.key');
        await writeFile(anthropicFile, `${demoKeys.anthropic}\n`, { mode: 0o600 });
        vault.mount('secret', { version: 2 });
        vault.put('secret', 'gemini', { api_key: demoKeys.gemini });
        const vaultToken = vault.createToken({ policies: ['secret/data/gemini'] });
        process.env['KEYCARD_PASSPHRASE'] = `demo ${random(16)}`;
        await openKeystore({ kdf: { N: 2 ** 14 } }).add('slack', demoKeys.slack);
        process.env['DEMO_TELEGRAM_BOT_TOKEN'] = demoKeys.telegram;
        // As copied from a header: the `Bot ` prefix is cleaned off.
        process.env['DEMO_DISCORD_BOT_TOKEN'] = `Bot ${demoKeys.discord}`;
        const sources = {
          openai: keys.env('DEMO_OPENAI_API_KEY'),
          anthropic: keys.file(anthropicFile),
          gemini: keys.vault(`${vault.address}/v1/secret/data/gemini#api_key`, { token: vaultToken }),
          slack: keys.keystore('slack'),
          telegram: keys.env('DEMO_TELEGRAM_BOT_TOKEN'),
          discord: keys.env('DEMO_DISCORD_BOT_TOKEN'),
        };
        for (const [provider, source] of Object.entries(sources))
          out(`  ${provider.padEnd(10)} ${source.describe()}`);

        const common = { ledger, maxRetries: 0, workflow: 'demo-inbox' };
        const openai = has('openai')
          ? await createClient('openai', sources.openai, {
              ...common,
              baseURL: simulator.baseURL('openai'),
              logger: collectingLogger(lines),
              budget: { requests: 3, period: 'day', alertAt: [0.5, 1] },
            })
          : undefined;
        const anthropic = has('anthropic')
          ? await createClient('anthropic', sources.anthropic, {
              ...common,
              baseURL: simulator.baseURL('anthropic'),
            })
          : undefined;
        const gemini = has('gemini')
          ? await createClient('gemini', sources.gemini, { ...common, baseURL: simulator.baseURL('gemini') })
          : undefined;
        const slack = has('slack')
          ? await createClient('slack', sources.slack, { ...common, baseURL: simulator.baseURL('slack') })
          : undefined;
        const telegram = has('telegram')
          ? await createClient('telegram', sources.telegram, {
              ...common,
              baseURL: simulator.baseURL('telegram'),
            })
          : undefined;
        const discord = has('discord')
          ? await createClient('discord', sources.discord, {
              ...common,
              baseURL: simulator.baseURL('discord'),
            })
          : undefined;
        const clients = [openai, anthropic, gemini, slack, telegram, discord].filter(
          (client) => client !== undefined,
        );
        const alerts: string[] = [];
        ledger.on('alert', (alert) => alerts.push(alert.message));
        if (clients[0] !== undefined)
          out(`  clients print only masked ids: ${colors.dim(String(JSON.stringify(clients[0])))}`);

        step('2. A workflow across six providers (the official SDKs, unchanged)');
        const email =
          'Hi team, the Q3 launch moves to 14 October; please update the checklist and tell the customers.';
        let summaryText = skipped('openai');
        if (openai !== undefined) {
          const summary = await openai.sdk.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: `Summarise: ${email}` }],
          });
          summaryText = summary.choices[0]?.message.content ?? '';
        }
        out(`  OpenAI summarised:    ${summaryText}`);
        let labelText = skipped(adapters.anthropic.packageName);
        if (anthropic !== undefined) {
          const label = await anthropic.sdk.messages.create({
            model: 'claude-haiku-4-5',
            max_tokens: 20,
            messages: [{ role: 'user', content: `Classify as urgent or routine: ${email}` }],
          });
          labelText = label.content[0]?.type === 'text' ? label.content[0].text : '';
        }
        out(`  Anthropic classified: ${labelText}`);
        let translatedText = skipped(adapters.gemini.packageName);
        if (gemini !== undefined) {
          const translated = await gemini.sdk
            .getGenerativeModel({ model: 'gemini-2.0-flash' })
            .generateContent(`Translate into French: ${email}`);
          translatedText = translated.response.text();
        }
        out(`  Gemini translated:    ${translatedText}`);
        let postedText = skipped(adapters.slack.packageName);
        if (slack !== undefined) {
          const posted = await slack.sdk.chat.postMessage({
            channel: 'C0GENERAL',
            text: 'Launch moved to 14 October.',
          });
          postedText = `message ${posted.ts ?? ''} in #general`;
        }
        out(`  Slack posted:         ${postedText}`);
        let sentText = skipped(adapters.telegram.packageName);
        if (telegram !== undefined) {
          const sent = await telegram.sdk.sendMessage(1234567, 'Launch moved to 14 October.');
          sentText = `message ${sent.message_id} to chat 1234567`;
        }
        out(`  Telegram notified:    ${sentText}`);
        let discordText = skipped(adapters.discord.packageName);
        if (discord !== undefined) {
          const channel = '1100000000000000009';
          const message = (await discord.sdk.post(`/channels/${channel}/messages`, {
            body: { content: 'Launch moved to 14 October.' },
          })) as { id: string };
          discordText = `message ${message.id} in channel ${channel}`;
        }
        out(`  Discord posted:       ${discordText}`);

        step('3. A bad key is caught with one error type and a hint, whatever the provider');
        // The shape check runs before the SDK is loaded: this needs no Anthropic SDK.
        try {
          await createClient('anthropic', keys.literal(demoKeys.openai), { ledger: false });
        } catch (error) {
          if (!CredentialError.is(error)) throw error;
          out(`  ${colors.red(`CredentialError (${error.reason})`)}: ${error.message}`);
        }
        try {
          if (telegram !== undefined) {
            simulator.revokeKey(demoKeys.telegram);
            await telegram.sdk.sendMessage(1234567, 'still there?');
          } else if (openai !== undefined) {
            // No Telegram SDK: an OpenAI key revoked at the provider instead.
            const revoked = fakeKey('openai');
            simulator.addKey(revoked);
            const client = await createClient('openai', keys.literal(revoked), {
              ledger: false,
              maxRetries: 0,
              baseURL: simulator.baseURL('openai'),
            });
            simulator.revokeKey(revoked);
            try {
              await client.sdk.models.list();
            } finally {
              await client.close();
            }
          }
        } catch (error) {
          if (!CredentialError.is(error)) throw error;
          out(`  ${colors.red(`CredentialError (${error.reason})`)}: ${error.message}`);
        }

        step('4. A budget: 3 OpenAI requests a day for this key; alerts at 50 % and 100 %, then a block');
        if (openai === undefined) out(`  ${skipped('openai')}`);
        for (let call = 0; openai !== undefined && call < 3; call += 1) {
          try {
            await openai.sdk.chat.completions.create({
              model: 'gpt-4o-mini',
              messages: [{ role: 'user', content: `ping ${call}` }],
            });
          } catch (error) {
            if (!BudgetExceededError.is(error)) throw error;
            out(`  ${colors.yellow('BudgetExceededError')}: ${error.message}`);
          }
        }
        await ledger.flush();
        for (const alert of alerts) out(`  ${colors.yellow('alert')}: ${alert}`);

        step('5. Redaction: the debug line keycard logged for a call, and a key pasted into a log');
        const debug = lines.find((line) => line.startsWith('debug keycard openai chat.completions'));
        if (debug !== undefined) out(`  ${debug}`);
        const { redactText } = await import('../../redact/redactor.js');
        out(`  ${redactText(`2026-11-28 ERROR retrying with Authorization: Bearer ${demoKeys.anthropic}`)}`);

        for (const client of clients) await client.close();

        if (opened.unavailable !== undefined) {
          step('6. The ledger: skipped, the SQLite ledger is unavailable (see above)');
        } else {
          step(
            `6. The ledger: what each key used and cost (${opened.fallback === undefined ? 'SQLite' : 'ledger.jsonl'}, in KEYCARD_HOME)`,
          );
          const rows = await ledger.totals({ by: ['provider', 'fingerprint'] });
          out(
            table(
              ['provider', 'key', 'requests', 'errors', 'input', 'output', 'cost'],
              rows.map((row) => [
                row.provider ?? '',
                row.maskedId ?? '',
                row.requests,
                row.errors,
                row.inputTokens,
                row.outputTokens,
                usd(row.costUsd, 6),
              ]),
            ),
          );
        }
        out('');
        if (missing.size > 0) {
          const labels = [...missing.keys()].map((provider) => PROVIDERS[provider].label).join(', ');
          out(
            colors.yellow(
              `Skipped ${labels}: ${missing.size === 1 ? 'its SDK is' : 'their SDKs are'} not installed. To see every step: npm i ${[...new Set(missing.values())].join(' ')}`,
            ),
          );
        }
        out(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
        out(nextSteps(options.home, opened.unavailable === undefined));
      } finally {
        await ledger?.close();
        await Promise.all([simulator.close(), vault.close()]);
        if (options.home === undefined) await rm(home, { recursive: true, force: true });
      }
    });
}
