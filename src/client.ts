/**
 * `createClient`: key source → `Secret` → adapter → the official SDK, instrumented.
 * @module
 */
import { inspect } from 'node:util';
import { CredentialError, KeycardError } from './errors.js';
import { BudgetGate } from './instrument/budget-gate.js';
import { mapSdkError } from './instrument/error-map.js';
import { createInstrumentedFetch } from './instrument/fetch.js';
import { DEFAULT_MAX_KEY_AGE_DAYS, keyAgeDays, keyAgeWarner } from './instrument/key-age.js';
import { type ClientKeys, KeyHolder } from './instrument/key-holder.js';
import { KeyPoolHolder, type PoolMemberStatus } from './instrument/key-pool.js';
import { lateGate } from './instrument/late-gate.js';
import { createMeter } from './instrument/meter-call.js';
import { Recorder } from './instrument/recorder.js';
import { wrapSdk } from './instrument/sdk-proxy.js';
import { checkTransport } from './instrument/transport.js';
import { env } from './keys/env.js';
import { isKeyPool } from './keys/pool.js';
import { from } from './keys/spec.js';
import { isKeySource, type KeySource } from './keys/types.js';
import { BaseLedger } from './ledger/base.js';
import { type Budget, resolveBudget } from './ledger/budget.js';
import type { PriceEntry } from './ledger/custom-prices.js';
import { defaultLedgerInBackground, defaultLedgerOrWarn } from './ledger/default.js';
import { DeferredLedger } from './ledger/deferred.js';
import { openLedger } from './ledger/open.js';
import { pendingSettled } from './ledger/pending.js';
import { loadCustomPrices } from './ledger/prices-file.js';
import { isPricedProvider, preloadPrices } from './ledger/pricing.js';
import { checkedTags, NO_TAGS, tagsProblem } from './ledger/tags.js';
import type { Ledger } from './ledger/types.js';
import { hasMessages, localizeError, type MessageOptions, messageLanguages } from './messages/index.js';
import { PROVIDERS, type ProviderId } from './providers/ids.js';
import { loadSdk } from './providers/load.js';
import { providerIdFrom } from './providers/register.js';
import {
  adapters,
  isSupportedProvider,
  type ProviderChoice,
  type ProviderIdOf,
  type SdkFor,
  type SdkOptionsFor,
  type SdkSourceFor,
  type SupportedProvider,
} from './providers/registry.js';
import type { KeyIdentity, ProviderAdapter } from './providers/types.js';
import { type KeycardLogger, type LoggerLike, redactingLogger, toKeycardLogger } from './redact/logger.js';
import type { Secret } from './secret.js';
import { startTelemetry } from './telemetry/otel.js';

/** Options of `createClient`. */
export interface ClientOptions<P extends ProviderChoice = SupportedProvider> {
  /**
   * Workflow name recorded with every ledger event; groups usage (and, later, budgets).
   * @default process.env.KEYCARD_WORKFLOW, else unattributed
   * @example createClient('openai', keys.env(), { workflow: 'summarize-inbox' })
   */
  workflow?: string | undefined;
  /**
   * Tags recorded with every ledger event of this client, for attribution beyond the workflow
   * (`user`, `team`, `customer`, `env`): group totals by them (`by: ['tag:team']`,
   * `keycard usage --by tag:team`) and set budgets per tag value (`scope: 'tag:team'`). Tags of
   * one call go on top with `withTags()`. Names start with a letter and hold letters, digits,
   * `_`, `.` and `-` (64 characters at most); values are strings of 200 characters at most; 16
   * tags at most. A value that looks like a key is stored redacted.
   * @default none
   * @example createClient('openai', keys.env(), { tags: { team: 'search', env: 'prod' } })
   * @see docs/ledger.md, "Tags"
   */
  tags?: Readonly<Record<string, string>> | undefined;
  /**
   * Where usage events go: a ledger from `openLedger()`, a ledger URL that this client opens
   * with `openLedger()` and closes with `close()` (`'memory:'`, `'sqlite:./usage.db'`,
   * `'postgres://…'`), or `false` to record nothing. Share one `openLedger()` ledger between
   * clients rather than giving each the same URL.
   * @default the process-wide `defaultLedger()`: SQLite at `$KEYCARD_HOME/ledger.db`; when no
   * SQLite driver loads, the append-only `$KEYCARD_HOME/ledger.jsonl`; when neither can open,
   * none. Either fallback warns once per process (`KEYCARD_LEDGER_UNAVAILABLE`)
   */
  ledger?: Ledger | string | false | undefined;
  /**
   * Budgets or request quotas for this client's calls, checked before each request against the
   * ledger (every process writing to it) and the calls in flight.
   * @example { usd: 5, period: 'month' }
   * @example { requests: 60, period: 'month', scope: 'key' } // a free tier
   */
  budget?: Budget | readonly Budget[] | undefined;
  /**
   * A price per request in USD, used instead of the price data (for example a paid Slack or
   * Telegram plan, or a gateway that bills per call). A matching `prices` entry comes first.
   * @default the price data for AI providers; Slack and Telegram calls cost nothing
   */
  requestPriceUsd?: number | undefined;
  /**
   * Custom prices, in US dollars, used before the price data (genai-prices) and
   * `requestPriceUsd`: for fine-tuned and private models, a negotiated rate, or a gateway that
   * bills differently. A prices file's path (JSON: an array of entries), one entry, or an array;
   * `false` for none. Each entry matches by `provider`, `model` (exact, or a pattern with `*`) and
   * `gateway` (the origin calls are sent to); the most specific one prices a call, and its source
   * is recorded as the event's `pricing` (`custom (options)`, `custom (prices.json)`). Checked
   * when the client is created: a missing or malformed file, an unknown field or a negative price
   * is a `KeycardError`. See docs/ledger.md, "Custom prices".
   * @default the file `KEYCARD_PRICES` names, else `$KEYCARD_HOME/prices.json` when it exists,
   * else none
   * @example
   * const client = await createClient('openai', keys.env('OPENAI_API_KEY'), {
   *   prices: [
   *     { model: 'ft:gpt-4o-mini:acme:*', inputPerMTok: 0.3, cachedInputPerMTok: 0.15, outputPerMTok: 1.2 },
   *     { gateway: 'https://llm.acme.internal', inputPerMTok: 0.1, outputPerMTok: 0.4, perRequest: 0.0001 },
   *   ],
   * });
   */
  prices?: string | PriceEntry | readonly PriceEntry[] | false | undefined;
  /**
   * Report each call to OpenTelemetry (a span, and the `gen_ai.client.token.usage` and
   * `gen_ai.client.operation.duration` histograms) when `@opentelemetry/api` is installed.
   * @default true
   */
  telemetry?: boolean | undefined;
  /**
   * A console-like or pino logger. keycard writes one redacted debug line per request and
   * warnings (a rotated key); the SDK's own log lines go through it too, redacted.
   * @default none for keycard's lines; the SDK's warnings go to `console`, redacted
   */
  logger?: LoggerLike | undefined;
  /**
   * The API root, for proxies, gateways and simulators (`startSimulator().baseURL('openai')`).
   * Environment variables such as `OPENAI_BASE_URL` are ignored: only this option applies.
   * @default the provider's public API
   */
  baseURL?: string | undefined;
  /**
   * Send the key over plain `http://` to a host other than this machine. keycard refuses that by
   * default (a `CredentialError` with reason `insecure_source`, before anything is sent), as the
   * key would cross the network in clear; `localhost`, `127.0.0.0/8` and `::1` are always allowed.
   * @default false
   */
  dangerouslyAllowPlainHttp?: boolean | undefined;
  /**
   * Request timeout in milliseconds, passed to the SDK. For OpenAI, xAI and Anthropic it also
   * bounds each silence of an event stream (the SDKs' own timeouts end with the headers): past
   * it the stream fails with a `TimeoutError` and its connection is closed.
   * @see docs/errors.md, "Timeouts and aborts"
   * @default the SDK's (10 minutes for OpenAI and Anthropic; none for `@google/genai`), except
   * Slack and Telegram: 60 s
   */
  timeout?: number | undefined;
  /**
   * Retries the SDK may make on connection errors, 408, 409, 429 and 5xx.
   * @default the SDK's (2 for OpenAI and Anthropic), 2 for Slack; Telegram and both Gemini SDKs
   * make no retries
   */
  maxRetries?: number | undefined;
  /**
   * Further options for the SDK's constructor, passed through as given. The key, `fetch`,
   * `baseURL`, `timeout` and `maxRetries` are keycard's to set.
   * @example { organization: 'org-…', defaultHeaders: { 'x-team': 'ops' } }
   */
  sdkOptions?: SdkOptionsFor<P> | undefined;
  /**
   * The provider's SDK as you imported it, for keycard to use instead of importing it itself:
   * the client class (OpenAI's default export → `{ sdk: OpenAI }`; `Anthropic`, `GoogleGenAI`,
   * Slack's `WebClient`, telegraf's `Telegram`) or the module namespace (which `'gemini'` needs:
   * its error classes are used too). Then keycard imports no optional package for this client, and a
   * bundle of your code (esbuild, Rollup, webpack) needs no `external` list: see
   * docs/bundling.md. Something else is a `KeycardError` at creation.
   * @default keycard imports the SDK itself, from where keycard is installed
   * @example createClient('openai', keys.literal(apiKey), { sdk: OpenAI, ledger: 'memory:' })
   */
  sdk?: SdkSourceFor<P> | undefined;
  /**
   * The language and audience of keycard's messages (`CredentialError`, `BudgetExceededError`):
   * `language` `'en'` or `'ko'` (or one added with `registerMessages()`); `audience`
   * `'developer'` (what to change in the code) or `'end-user'` (which credential to fix and where
   * to get a new key). `reason` codes are the same in every language; the English text for
   * developers stays in `error.detail`.
   * @default { language: 'en', audience: 'developer' }
   * @example { language: 'ko', audience: 'end-user' } // a workflow node's user in Korea
   */
  messages?: MessageOptions | undefined;
  /**
   * Check the key's shape before any call (`malformed`, `wrong_provider`). Turn off for
   * OpenAI-compatible gateways whose keys look like nothing keycard knows.
   * @default true
   */
  checkKeyShape?: boolean | undefined;
  /**
   * The `fetch` keycard sends requests with, for proxies or custom TLS (an undici dispatcher).
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * Warn (through `logger`) when the key was created or last changed more than this many days
   * ago, where its source can tell (Vault's `created_time`, a file's modification time, a
   * keystore entry's time). `false` turns the warning off.
   * @default 90
   */
  maxKeyAgeDays?: number | false | undefined;
}

/** What `client.refresh()` did. */
export interface RefreshResult {
  /** Whether the source held another key, now in use. */
  changed: boolean;
  /** Masked id of the key in use after the refresh. */
  maskedId: string;
  /** Fingerprint of the key in use after the refresh. */
  fingerprint: string;
}

/** What `verify()` found: the key works, and whose it is. */
export interface VerifyResult<Id extends string = ProviderId> {
  ok: true;
  provider: Id;
  maskedId: string;
  fingerprint: string;
  /** What the provider says about the key's owner (organisation, project, team, bot). */
  identity: KeyIdentity;
  /** How long the check took. */
  latencyMs: number;
  /** When the key was created or last changed at its source, when the source can tell. */
  keyChangedAt: Date | undefined;
  /** Whole days since `keyChangedAt`, when known. */
  keyAgeDays: number | undefined;
}

/** A client: the official SDK as `.sdk`, with the key kept out of sight and every call metered. */
export interface KeycardClient<Sdk extends object = object, Id extends string = ProviderId> {
  /**
   * The provider id: whose key this is and under which calls are recorded. A client of another
   * SDK reports its provider: `createClient('google-genai')` gives `'gemini'`.
   */
  readonly provider: Id;
  /** Where the key comes from, e.g. `env:OPENAI_API_KEY`. */
  readonly source: string;
  /** Masked id of the key in use (changes when a rotated key is picked up). */
  readonly maskedId: string;
  /** Fingerprint of the key in use. */
  readonly fingerprint: string;
  /** The official SDK instance, with its own types. Every call through it is instrumented. */
  readonly sdk: Sdk;
  /**
   * A cheap live call that needs the key. Resolves with what the provider says about the key's
   * owner; rejects with a `CredentialError` when the key does not work.
   */
  verify(): Promise<VerifyResult<Id>>;
  /**
   * Reads the key again from its source now, bypassing any cache, and uses it from the next
   * request on if it changed. Rejects with a `CredentialError` when the source cannot be read or
   * holds an invalid key (the key in use stays). Concurrent refreshes share one read.
   */
  refresh(): Promise<RefreshResult>;
  /**
   * For a client made from `keys.pool()`: each member's source, masked id, fingerprint, state
   * (`ok`, `cooling`, `exhausted`, `revoked`), until when it is left aside, the models it was
   * refused, and the requests this client sent with it. `undefined` for a client with one key.
   * (`maskedId` and `fingerprint` above are then those of the key of the last request.)
   */
  pool(): readonly PoolMemberStatus[] | undefined;
  /** Flushes the ledger and ends the client: later calls through `.sdk` fail. Idempotent. */
  close(): Promise<void>;
}

type AnyAdapter = ProviderAdapter<object, unknown, unknown, unknown>;

/** `createClient(p, process.env.UNSET)`: the caller meant a key, and got nothing. */
function undefinedSource(client: SupportedProvider, provider: ProviderId, api: ClientApi): CredentialError {
  const info = PROVIDERS[provider];
  return new CredentialError({
    reason: 'missing',
    message: `${api}('${client}'): the key source passed is undefined, so there is no ${info.label} ${info.keyNoun}.`,
    hint: `An unset variable read with process.env.NAME gives undefined: set it, pass keys.env('NAME') to get a clear error, or leave the argument out to read ${info.envVars.join(' or ')}.`,
    provider,
  });
}

function toSource(
  provider: ProviderId,
  keySource: KeySource | string | undefined,
  api: ClientApi,
): KeySource {
  if (keySource === undefined) return env(...PROVIDERS[provider].envVars);
  if (typeof keySource === 'string') return from(keySource);
  if (isKeySource(keySource)) return keySource;
  throw new KeycardError(
    `${api}: the key source for ${provider} must be a KeySource (keys.env(), keys.file(), …), a spec string such as 'env:OPENAI_API_KEY', or left out.`,
  );
}

/** Reads the key; a source that fails with anything but a CredentialError is reported as unavailable. */
async function resolveKey(
  source: KeySource,
  provider: ProviderId,
  options: { fresh?: boolean; onWarning?: ((message: string) => void) | undefined } = {},
): Promise<Secret> {
  try {
    return await source.resolve({ provider, ...options });
  } catch (error) {
    if (CredentialError.is(error)) throw error;
    throw new CredentialError({
      reason: 'source_unavailable',
      message: `Could not read the ${PROVIDERS[provider].label} ${PROVIDERS[provider].keyNoun} from ${source.describe()}.`,
      hint: 'Check that the key source is reachable and configured, then try again.',
      provider,
      source: source.describe(),
      retryable: true,
      cause: error,
    });
  }
}

/**
 * Creates a client for `provider` with the key from `keySource`, and returns the provider's
 * official SDK as `.sdk`, fully typed. The key is read and its shape checked here, so a bad key
 * fails now rather than in the middle of a workflow.
 *
 * @param provider - `'openai'`, … (`keycard providers` lists them), or a provider from
 *   `registerProvider()`; for Gemini, `'google-genai'` (Google's current SDK, `@google/genai`) or
 *   `'gemini'` (the deprecated `@google/generative-ai`)
 * @param keySource - a `KeySource`, a spec string (`'env:OPENAI_API_KEY'`, `'file:./key.txt'`),
 *   or nothing for the provider's default environment variables (`undefined` when options
 *   follow). `createClient(p, undefined)` with no options is refused as a `missing` key: it is
 *   what `createClient(p, process.env.UNSET)` passes. Prefer `keys.env('NAME')` to
 *   `process.env.NAME`: its error names the variable.
 * @throws {CredentialError} when the key is missing, malformed, another provider's, or its source
 *   cannot be read.
 * @throws {KeycardError} when the provider is unknown or its SDK is not installed.
 *
 * @example
 * const openai = await createClient('openai', keys.env('OPENAI_API_KEY'), { workflow: 'summarize' });
 * const completion = await openai.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages });
 */
export async function createClient<P extends ProviderChoice>(
  provider: P,
  keySource?: KeySource | string,
  options: ClientOptions<P> = {},
): Promise<KeycardClient<SdkFor<P>, ProviderIdOf<P>>> {
  try {
    const id = providerIdFrom(provider) as SupportedProvider;
    // biome-ignore lint/complexity/noArguments: an explicit `undefined` differs from no argument
    const client = await buildClient(id, keySource, options as ClientOptions, arguments.length);
    return client as unknown as KeycardClient<SdkFor<P>, ProviderIdOf<P>>;
  } catch (error) {
    throw localizeError(error, messageOptions(options));
  }
}

/**
 * `options.messages`, when it is an object (options are checked later, in `setupClient`).
 * @internal
 */
export function messageOptions(options: unknown): MessageOptions | undefined {
  const messages = (options as { messages?: unknown } | null | undefined)?.messages;
  return typeof messages === 'object' && messages !== null ? (messages as MessageOptions) : undefined;
}

/** The public function a client is set up for, named in its errors. */
type ClientApi = 'createClient' | 'createFetch';

/**
 * What `createClient` and `createFetch` share once set up: the key (or pool) in use, the
 * recorder (ledger, budgets, telemetry) and the client's life.
 * @internal
 */
export interface ClientCore<Prepared> {
  /** The provider asked for (`'google-genai'`). */
  provider: SupportedProvider;
  /** The provider whose keys, prices, budgets and ledger rows these are (`'gemini'`). */
  keyProvider: ProviderId;
  adapter: AnyAdapter;
  /** The key source's `describe()`. */
  source: string;
  keys: ClientKeys;
  pool: KeyPoolHolder | undefined;
  recorder: Recorder;
  logger: KeycardLogger;
  allowPlainHttp: boolean;
  /** What `prepare` resolved to (the SDK module, for a client). */
  prepared: Prepared;
  isClosed(): boolean;
  refresh(): Promise<RefreshResult>;
  close(): Promise<void>;
}

/**
 * Checks the options, reads and checks the key (each member of a pool), opens the ledger and sets
 * up budgets, the recorder and telemetry: what `createClient` and `createFetch` share.
 * `prepare(adapter)` runs before the key is read (to check what it must early), and the function
 * it returns once the keys are read (createClient imports the SDK there).
 * @internal
 */
export async function setupClient<Prepared>(
  api: ClientApi,
  provider: SupportedProvider,
  keySource: KeySource | string | undefined,
  options: ClientOptions,
  argumentCount: number,
  prepare: (adapter: AnyAdapter) => () => Promise<Prepared>,
): Promise<ClientCore<Prepared>> {
  if (!isSupportedProvider(provider)) {
    throw new KeycardError(
      `${api}: unknown provider ${JSON.stringify(String(provider))}. Use one of: ${Object.keys(adapters).join(', ')}, or add it with registerProvider().`,
    );
  }
  const adapter = adapters[provider] as unknown as AnyAdapter;
  // The provider whose keys, prices, budgets and ledger rows these are: the adapter's. It differs
  // from `provider` for a client of another SDK ('google-genai' is a 'gemini' client).
  const keyProvider: ProviderId = adapter.id;
  // zod loads here, not with `import 'keycard'`.
  const { checkClientOptions, checkPriceEntry } = await import('./options.js');
  checkClientOptions(provider, options, api);
  // Tags are checked now (a bad one fails before the key is read) and redacted once it is.
  const tagsWhere = `${api}('${provider}'): options.tags`;
  const tagsError = options.tags === undefined ? undefined : tagsProblem(options.tags, tagsWhere);
  if (tagsError !== undefined) throw new KeycardError(`${tagsError}.`);
  const language = options.messages?.language;
  if (language !== undefined && !hasMessages(language)) {
    throw new KeycardError(
      `${api}('${provider}'): keycard has no messages in ${JSON.stringify(language)}. Use ${messageLanguages()
        .map((tag) => `'${tag}'`)
        .join(', ')}, or add it first with registerMessages().`,
    );
  }
  // `createClient(p, process.env.UNSET)`: two arguments, the second undefined, is a mistake.
  // With options (`createClient(p, undefined, { … })`), undefined keeps meaning the defaults.
  if (argumentCount === 2 && keySource === undefined) throw undefinedSource(provider, keyProvider, api);
  const afterKeys = prepare(adapter);
  const source = toSource(keyProvider, keySource, api);
  const describe = source.describe();
  const validateFrom = (label: string) => async (secret: Secret) => {
    if (options.checkKeyShape === false) return;
    const { checkKeyShape } = await import('./keys/check-shape.js');
    await checkKeyShape(keyProvider, secret, { source: label });
  };

  const maxKeyAgeDays = options.maxKeyAgeDays ?? DEFAULT_MAX_KEY_AGE_DAYS;
  if (maxKeyAgeDays !== false && (typeof maxKeyAgeDays !== 'number' || !(maxKeyAgeDays >= 0))) {
    throw new KeycardError(`${api}: maxKeyAgeDays must be a number of days (0 or more) or false.`);
  }
  const logger = toKeycardLogger(options.logger);
  // Sources report warnings (a cached key served while Vault is down) to the client's logger.
  const onWarning =
    options.logger === undefined
      ? undefined
      : (message: string) => logger.warn(message, { source: describe });
  const allowPlainHttp = options.dangerouslyAllowPlainHttp === true;
  checkTransport(keyProvider, options.baseURL, allowPlainHttp, { source: describe });
  // Custom prices are checked before any key is read: a bad prices file fails creation at once.
  const custom = await loadCustomPrices(`${api}('${provider}')`, options.prices, keyProvider, {
    entry: checkPriceEntry,
    providers: Object.keys(PROVIDERS),
  });
  // A pool: every member is read and checked now, as a single key is.
  const members = isKeyPool(source) ? source.members : [source];
  const secrets: Secret[] = [];
  for (const member of members) {
    const read = await resolveKey(member, keyProvider, { onWarning });
    await validateFrom(member.describe())(read);
    secrets.push(read);
  }
  const prepared = await afterKeys();

  const budgets = (
    options.budget === undefined ? [] : Array.isArray(options.budget) ? options.budget : [options.budget]
  ).map((budget) => resolveBudget(budget as Budget));
  if (
    isKeyPool(source) &&
    source.strategy === 'budget' &&
    !budgets.some((budget) => budget.scope === 'key')
  ) {
    throw new KeycardError(
      `${api}: a pool with the 'budget' strategy needs a budget of scope 'key' (the default scope), e.g. budget: { usd: 50, period: 'month' }.`,
    );
  }
  if (
    options.requestPriceUsd !== undefined &&
    (typeof options.requestPriceUsd !== 'number' || !(options.requestPriceUsd >= 0))
  ) {
    throw new KeycardError(`${api}: requestPriceUsd must be a number of US dollars, 0 or more.`);
  }
  // The default ledger may be unavailable (no SQLite driver, a read-only disk): then a warning, once.
  // Without budgets the client does not wait for it to open (see ledger/deferred.ts).
  const warnLedger = options.logger === undefined ? undefined : (message: string) => logger.warn(message);
  const owned = typeof options.ledger === 'string' ? await openLedger(options.ledger) : undefined;
  const ledger =
    options.ledger === false
      ? undefined
      : (owned ??
        (options.ledger as Ledger | undefined) ??
        (budgets.length > 0
          ? await defaultLedgerOrWarn(warnLedger, true)
          : defaultLedgerInBackground(warnLedger)));
  if (budgets.length > 0 && !(ledger instanceof BaseLedger)) {
    throw new KeycardError(
      `${api}: budgets need one of keycard's ledgers (the default, or one from openLedger()), not ledger: false or a custom ledger.`,
    );
  }
  // The price data takes a moment to load: start now, so that the first call need not wait.
  if (ledger !== undefined && isPricedProvider(keyProvider)) {
    void preloadPrices().catch(() => undefined);
  }
  const workflow = options.workflow ?? process.env['KEYCARD_WORKFLOW'] ?? null;
  // Redacted now that the client's keys are registered with the redactor.
  const tags = options.tags === undefined ? NO_TAGS : checkedTags(options.tags, tagsWhere);
  const warnAge = keyAgeWarner(logger, maxKeyAgeDays);
  const holders = members.map((member, index) => {
    const read = secrets[index] as Secret;
    const holder = new KeyHolder(
      read,
      member,
      keyProvider,
      validateFrom(member.describe()),
      logger,
      onWarning,
    );
    holder.onKey = warnAge;
    warnAge(read);
    return { holder, source: member.describe() };
  });
  const pool = isKeyPool(source) ? new KeyPoolHolder(holders, source, keyProvider, logger) : undefined;
  pool?.useBudgets(budgets);
  const keys: ClientKeys = pool ?? (holders[0] as { holder: KeyHolder }).holder;
  const gateOver = (open: BaseLedger) => new BudgetGate(budgets, open, keyProvider, workflow, logger);
  const gate =
    ledger instanceof BaseLedger
      ? gateOver(ledger)
      : ledger instanceof DeferredLedger
        ? lateGate(ledger, gateOver)
        : undefined;
  // Loaded in the background too: nothing after the key and the SDK keeps createClient waiting.
  const telemetry = options.telemetry === false ? undefined : startTelemetry();
  const recorder = new Recorder(
    keyProvider,
    workflow,
    ledger,
    logger,
    gate,
    {
      requestPriceUsd: options.requestPriceUsd,
      custom,
      origin: options.baseURL === undefined ? undefined : new URL(options.baseURL).origin,
    },
    telemetry,
    tags,
  );
  let closed = false;
  const isClosed = () => closed;
  // A pool shares what it finds about its keys with every process on the ledger's store.
  if (pool !== undefined) {
    if (ledger instanceof BaseLedger) pool.share(ledger);
    else if (ledger instanceof DeferredLedger)
      ledger.whenOpen((open) => {
        if (open instanceof BaseLedger && !closed) pool.share(open);
      });
  }

  const messages = options.messages;
  return {
    provider,
    keyProvider,
    adapter,
    source: describe,
    keys,
    pool,
    recorder,
    logger,
    allowPlainHttp,
    prepared,
    isClosed,
    async refresh() {
      try {
        const changed = await keys.force();
        return { changed, maskedId: keys.current.maskedId, fingerprint: keys.current.fingerprint };
      } catch (error) {
        if (CredentialError.is(error)) throw localizeError(error, messages);
        throw localizeError(
          new CredentialError({
            reason: 'source_unavailable',
            message: `Could not read the ${PROVIDERS[keyProvider].label} ${PROVIDERS[keyProvider].keyNoun} again from ${describe}.`,
            hint: 'Check that the key source is reachable and configured, then try again.',
            provider: keyProvider,
            source: describe,
            retryable: true,
            cause: error,
          }),
          messages,
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      pool?.stopSharing();
      // What the client's budget leases did not spend goes back to the store.
      await gate?.close().catch(() => undefined);
      // A ledger this client opened from a URL is this client's to close. A store that is down or
      // full does not fail close(): the ledger keeps the events and warns (or counts them lost).
      try {
        // Events still waiting for the price data first: a ledger that is not keycard's own (or
        // another copy's) would not wait for them.
        await pendingSettled();
        await (owned === undefined ? ledger?.flush() : owned.close());
      } catch (error) {
        logger.warn(
          `keycard: the ledger could not be written while closing the client: ${describeCause(error)}`,
        );
      }
    },
  };
}

async function buildClient(
  provider: SupportedProvider,
  keySource: KeySource | string | undefined,
  options: ClientOptions,
  argumentCount: number,
): Promise<KeycardClient> {
  const core = await setupClient('createClient', provider, keySource, options, argumentCount, (adapter) => {
    // An SDK handed over is checked now, before the key is read; otherwise keycard imports it.
    const given = options.sdk === undefined ? undefined : adapter.fromUser(options.sdk);
    return () => (given === undefined ? loadSdk(adapter) : Promise.resolve(given));
  });
  const { keyProvider, adapter, keys, pool, recorder, isClosed, allowPlainHttp, source: describe } = core;
  const module = core.prepared;
  const sdkOptions = (options.sdkOptions ?? {}) as Record<string, unknown>;

  const http = adapter.http;
  const fetch: typeof globalThis.fetch =
    http === undefined
      ? () =>
          Promise.reject(new KeycardError(`keycard: the ${provider} adapter does not route through fetch.`))
      : createInstrumentedFetch({
          adapter,
          http,
          keys,
          recorder,
          baseFetch: options.fetch,
          isClosed,
          allowPlainHttp,
          source: describe,
          streamIdleTimeoutMs: options.timeout,
        });
  const raw = adapter.create(module, {
    baseURL: options.baseURL,
    fetch,
    meter: createMeter({ adapter, keys, recorder, isClosed }),
    currentKey: () => keys.current,
    timeout: options.timeout,
    maxRetries: options.maxRetries,
    logger: redactingLogger(sdkLogger(options.logger)),
    sdkOptions,
  });
  const summary = () => ({ provider: keyProvider, source: describe, maskedId: keys.current.maskedId });
  hideInternals(raw, summary);
  const messages = options.messages;
  const sdk = wrapSdk(raw, (error) =>
    localizeError(mapSdkError(error, adapter, keys.current, describe), messages),
  ) as object;

  const client: KeycardClient = {
    provider: keyProvider,
    source: describe,
    get maskedId() {
      return keys.current.maskedId;
    },
    get fingerprint() {
      return keys.current.fingerprint;
    },
    sdk,
    async verify() {
      const started = performance.now();
      const identity = await adapter.verify(sdk);
      return {
        ok: true,
        provider: keyProvider,
        maskedId: keys.current.maskedId,
        fingerprint: keys.current.fingerprint,
        identity,
        latencyMs: Math.round(performance.now() - started),
        keyChangedAt: keys.current.changedAt,
        keyAgeDays: keyAgeDays(keys.current),
      };
    },
    refresh: core.refresh,
    pool() {
      return pool?.status();
    },
    close: core.close,
  };
  hideInternals(client, () => ({ ...summary(), fingerprint: keys.current.fingerprint }));
  return client;
}

/**
 * The logger handed to the SDK: all four methods, whatever subset the user's logger has (the
 * SDKs call each of them); pino's (fields, message) order is kept by `redactingLogger`.
 */
function sdkLogger(
  logger: LoggerLike | undefined,
): Required<Pick<Console, 'error' | 'warn' | 'info' | 'debug'>> {
  const base = logger ?? console;
  const noop = () => undefined;
  const method = (name: 'error' | 'warn' | 'info' | 'debug') => {
    const found = base[name] ?? (name === 'debug' ? base.trace : undefined) ?? base.log;
    return found === undefined ? noop : (...args: unknown[]) => found.apply(base, args);
  };
  return { error: method('error'), warn: method('warn'), info: method('info'), debug: method('debug') };
}

/**
 * Gives `target` an `util.inspect` and `JSON.stringify` form that shows only `summary()`: every
 * official SDK prints its whole options (key included) otherwise.
 */
export function hideInternals(
  target: object,
  summary: () => Record<string, unknown>,
  name = target.constructor === Object ? 'KeycardClient' : target.constructor.name,
): void {
  Object.defineProperties(target, {
    [inspect.custom]: {
      value: (_depth: number, options: Parameters<typeof inspect>[1]) =>
        `${name} ${inspect(summary(), options)}`,
      enumerable: false,
    },
    toJSON: { value: summary, enumerable: false },
  });
}

/** An error's message and its causes', one line, for a warning. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.length === 0 ? String(error) : parts.join(': ');
}
