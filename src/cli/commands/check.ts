/**
 * `keycard check [PROVIDER] [SOURCE]`: reads keys, checks their shapes offline, verifies them
 * live (unless `--offline`), and prints a table (a row for each member of a `pool:` source).
 * Exit 1 when any check fails.
 * @module
 */
import type { Command } from 'commander';
import { createClient } from '../../client.js';
import { CredentialError } from '../../errors.js';
import { keyAgeDays } from '../../instrument/key-age.js';
import { env } from '../../keys/env.js';
import { isKeyPool } from '../../keys/pool.js';
import { from } from '../../keys/spec.js';
import type { KeySource } from '../../keys/types.js';
import { PROVIDERS, type ProviderId, providerIds } from '../../providers/ids.js';
import { isSdkNotInstalled } from '../../providers/load.js';
import {
  adapters,
  isSupportedProvider,
  providerOf,
  type SupportedProvider,
} from '../../providers/registry.js';
import type { Secret } from '../../secret.js';
import { CliError, colors, json, out, table } from '../output.js';
import { plain } from '../sanitize.js';

interface CheckOptions {
  offline?: boolean;
  json?: boolean;
  baseUrl?: string;
  allowPlainHttp?: boolean;
  timeout?: string;
}

/** One row of the report. */
export interface CheckRow {
  provider: ProviderId;
  source: string;
  status: 'ok' | 'not set' | CredentialError['reason'] | 'error';
  maskedId?: string | undefined;
  fingerprint?: string | undefined;
  identity?: string | undefined;
  keyAgeDays?: number | undefined;
  hint?: string | undefined;
  message?: string | undefined;
}

function identityText(identity: Record<string, unknown>): string {
  return Object.entries(identity)
    .filter(([, value]) => value !== undefined && value !== null && value !== '' && typeof value !== 'object')
    .slice(0, 3)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
}

/**
 * The clients that can verify a key of `provider`, in order: a provider with clients on two SDKs
 * (Gemini: `@google/generative-ai`, `@google/genai`) is verified with the first one installed.
 */
export function clientsOf(provider: ProviderId): SupportedProvider[] {
  return (Object.keys(adapters) as SupportedProvider[]).filter((id) => providerOf(id) === provider);
}

async function checkOne(
  provider: ProviderId,
  source: KeySource,
  options: CheckOptions,
  clients: readonly SupportedProvider[] = clientsOf(provider),
): Promise<CheckRow> {
  const row: CheckRow = { provider, source: source.describe(), status: 'ok' };
  const [clientId = provider, ...others] = clients;
  try {
    let secret: Secret;
    if (options.offline === true) {
      secret = await source.resolve({ provider });
      const { checkKeyShape } = await import('../../keys/check-shape.js');
      await checkKeyShape(provider, secret, { source: source.describe() });
      row.keyAgeDays = keyAgeDays(secret);
    } else {
      const client = await createClient(clientId, source, {
        ledger: false,
        // Nothing is recorded: a prices file (KEYCARD_PRICES) is not read, nor can it fail a check.
        prices: false,
        telemetry: false,
        maxRetries: 0,
        timeout: Number(options.timeout ?? 15_000),
        maxKeyAgeDays: false,
        ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
        ...(options.allowPlainHttp === true ? { dangerouslyAllowPlainHttp: true } : {}),
      });
      try {
        const verified = await client.verify();
        row.identity = identityText(verified.identity);
        row.keyAgeDays = verified.keyAgeDays;
      } finally {
        row.maskedId = client.maskedId;
        row.fingerprint = client.fingerprint;
        await client.close();
      }
      return row;
    }
    row.maskedId = secret.maskedId;
    row.fingerprint = secret.fingerprint;
    return row;
  } catch (error) {
    if (options.offline !== true && isSdkNotInstalled(error)) {
      return others.length > 0
        ? checkOne(provider, source, options, others)
        : withoutSdk(provider, source, options, clientId);
    }
    if (CredentialError.is(error)) {
      return {
        ...row,
        status: error.reason,
        hint: error.hint,
        message: error.message,
        maskedId: error.maskedId ?? row.maskedId,
        fingerprint: error.fingerprint ?? row.fingerprint,
      };
    }
    return { ...row, status: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * A live check whose SDK is not installed: the key is still read and its shape checked (that
 * needs no SDK), and the row says what to install to verify it live.
 */
async function withoutSdk(
  provider: ProviderId,
  source: KeySource,
  options: CheckOptions,
  clientId: SupportedProvider,
): Promise<CheckRow> {
  const row = await checkOne(provider, source, { ...options, offline: true });
  if (row.status !== 'ok') return row;
  const packageName = adapters[clientId].packageName;
  return {
    ...row,
    status: 'error',
    message: `the key has the right shape, but verifying it live needs the ${PROVIDERS[provider].label} SDK: run \`npm i ${packageName}\` (or check the shape only with --offline).`,
  };
}

/** The checks to run: one provider (with a source or its default variables), or every provider whose variables are set. */
function targets(
  providerArg: string | undefined,
  sourceArg: string | undefined,
): Array<{ provider: ProviderId; client?: SupportedProvider; source: KeySource | undefined }> {
  if (providerArg === undefined) {
    return providerIds().map((provider) => ({
      provider,
      source: PROVIDERS[provider].envVars.some((name) => (process.env[name] ?? '').trim() !== '')
        ? env(...PROVIDERS[provider].envVars)
        : undefined,
    }));
  }
  if (!isSupportedProvider(providerArg)) {
    throw new CliError(
      `keycard check: unknown provider "${providerArg.slice(0, 32)}". Run keycard providers to see them.`,
      2,
    );
  }
  // 'google-genai' checks a Gemini key with that SDK; 'gemini' with whichever Gemini SDK is installed.
  const provider = providerOf(providerArg);
  const client = providerArg === provider ? undefined : providerArg;
  const source = sourceArg === undefined ? env(...PROVIDERS[provider].envVars) : from(sourceArg);
  // A pool: a row for each member.
  const sources = isKeyPool(source) ? source.members : [source];
  return sources.map((member) => ({ provider, ...(client === undefined ? {} : { client }), source: member }));
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .argument(
      '[provider]',
      `one provider (${Object.keys(adapters).join(', ')}); default: every provider whose key variables are set`,
    )
    .argument(
      '[source]',
      "where the key is: env:NAME, file:PATH, vault://…, keystore:NAME; default: the provider's variables",
    )
    .description('check keys: read them, check their shape, and verify them with the provider')
    .option('--offline', 'check shapes only; make no network request')
    .option('--json', 'print JSON')
    .option('--base-url <url>', 'the API root to verify against (a proxy, a gateway, the simulator)')
    .option(
      '--allow-plain-http',
      'send the key over plain http:// to --base-url on another host (refused by default: it crosses the network in clear)',
    )
    .option('--timeout <ms>', 'how long a live check may take', '15000')
    .addHelpText(
      'after',
      `
Status is ok, or the reason a key cannot be used (missing, malformed, wrong_provider,
unauthorized, forbidden, quota_exceeded, source_unavailable, insecure_source) with a hint.
Exit code 1 when any check fails, or when no key is set at all.

Examples:
  keycard check
  keycard check openai
  keycard check anthropic file:./secrets/anthropic.key --offline
  keycard check openai vault://vault.internal/secret/openai#api_key --json`,
    )
    .action(async (providerArg: string | undefined, sourceArg: string | undefined, options: CheckOptions) => {
      let planned: Array<{ provider: ProviderId; client?: SupportedProvider; source: KeySource | undefined }>;
      try {
        planned = targets(providerArg, sourceArg);
      } catch (error) {
        if (CredentialError.is(error) || error instanceof CliError)
          throw error instanceof CliError ? error : new CliError(error.message, 2);
        throw new CliError(error instanceof Error ? error.message : String(error), 2);
      }
      const rows: CheckRow[] = [];
      for (const { provider, client, source } of planned) {
        if (source === undefined) {
          rows.push({ provider, source: `env:${PROVIDERS[provider].envVars.join('|')}`, status: 'not set' });
          continue;
        }
        rows.push(await checkOne(provider, source, options, client === undefined ? undefined : [client]));
      }
      const checked = rows.filter((row) => row.status !== 'not set');
      const failed = checked.filter((row) => row.status !== 'ok');
      if (checked.length === 0 || failed.length > 0) process.exitCode = 1;
      if (options.json === true) {
        json(rows);
        return;
      }
      out(
        table(
          ['provider', 'source', 'masked id', 'fingerprint', 'status', 'identity', 'age'],
          rows.map((row) => [
            row.provider,
            row.source,
            row.maskedId ?? '–',
            row.fingerprint ?? '–',
            row.status === 'ok'
              ? colors.green('ok')
              : row.status === 'not set'
                ? colors.dim('not set')
                : colors.red(row.status),
            plain(row.identity ?? ''),
            row.keyAgeDays === undefined ? '–' : `${row.keyAgeDays} d`,
          ]),
        ),
      );
      for (const row of failed)
        out(
          `${colors.red('✗')} ${row.provider}: ${plain(row.message ?? row.status)}${row.hint === undefined || row.message?.includes(row.hint) ? '' : ` ${plain(row.hint)}`}`,
        );
      if (checked.length === 0)
        out("No key is set: set a provider's variable (keycard providers lists them), or name a source.");
    });
}
