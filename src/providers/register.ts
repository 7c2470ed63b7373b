/**
 * `registerProvider()`: adds a provider to keycard at run time, after which `createClient`, key
 * shape checks, the redactor, masked ids, the ledger, prices, budgets, pools, telemetry and the
 * CLI treat it as they treat the built-in ones. An OpenAI-compatible service takes a few lines
 * (its base URL, variables and key shape); any other SDK takes an adapter, the contract the
 * built-in providers implement (`ProviderAdapter`, in `./types.ts`).
 *
 * Registration is per copy of keycard: a process that loads keycard twice (its ESM and CommonJS
 * builds) registers in each, or lets `createClient` do it when handed the registered provider.
 * @module
 */
import type { OpenAI } from 'openai';
import { didYouMean } from '../did-you-mean.js';
import { KeycardError } from '../errors.js';
import { addKeyShape, KEY_SHAPES, type KeyShape, withArticle } from '../keys/shapes.js';
import { addProviderPricing } from '../ledger/pricing.js';
import { addProviderWords } from '../messages/providers.js';
import { addKeyPattern, escapeRegExp, prefixPattern } from '../redact/patterns.js';
import { addMaskPrefix, knownMaskPrefixes } from '../secret.js';
import { addTelemetryName } from '../telemetry/names.js';
import { addProviderInfo, PROVIDER_IDS, type ProviderId } from './ids.js';
import { addSdkExample } from './load.js';
import { type OpenAISdkOptions, type OpenAISdkSource, openAICompatible } from './openai-compatible.js';
import { addAdapter, isBuiltInClient } from './registry.js';
import type { ProviderAdapter } from './types.js';

/** What a registered provider's keys look like. */
export interface ProviderKeyShape {
  /**
   * The prefix every key starts with (`myllm-`): 3 to 32 letters, digits, `_`, `-` or `.`, and
   * not a built-in provider's. With it, a stray key is recognised (wrong-provider hints), masked
   * as `myllm-****wxyz`, and redacted wherever it appears, also in text keycard never read it
   * from (logs of other processes, `keycard mask`, `keycard scan`). Without it, a key is redacted
   * once keycard has read it, and never recognised by shape.
   */
  prefix?: string | undefined;
  /**
   * What the client accepts (a full match; anchors are added when missing).
   * @default the prefix and 20 or more of `A-Z a-z 0-9 _ -`; without a prefix, 16 or more of
   * those characters and `.`
   */
  pattern?: RegExp | undefined;
  /**
   * The forms a key takes, for messages.
   * @default `myllm-…` (the prefix), or "a key from" the key page
   */
  examples?: string | undefined;
}

/** What every registered provider states about itself. */
export interface ProviderDefinitionBase<Id extends string> {
  /** The id for `createClient(id)`, the ledger and the CLI: lower-case letters, digits and `-`. */
  id: Id;
  /** The name people know it by, for messages (`My LLM`). */
  label: string;
  /** Environment variables read, in order, when `createClient` is given no key source. */
  envVars: readonly string[];
  /** Where a key is made: a URL (or a place a person can go to), for hints. */
  keyPage: string;
  /** Where credit and limits are managed, for quota hints. */
  billingPage?: string | undefined;
  /**
   * What a key is called.
   * @default 'API key'
   */
  keyNoun?: string | undefined;
  /** The key's shape. @default no prefix, 16 or more key characters */
  key?: ProviderKeyShape | undefined;
  /**
   * How calls are priced: a provider id of the price data (`@pydantic/genai-prices`: `'openai'`,
   * `'mistral'`, `'groq'`, …) when the service serves those models at those prices, or `'free'`.
   * @default none: a call's tokens are recorded, its cost is unknown (`null`) unless the client
   * sets `requestPriceUsd`
   */
  prices?: string | undefined;
  /**
   * Whether model ids carry a vendor's name that is part of the id (`openai/gpt-oss-120b`), so
   * that prices are looked up with it.
   * @default false: a leading `openai/`, `anthropic/`, `google/` or `x-ai/` is removed
   */
  vendorPrefixedModels?: boolean | undefined;
  /**
   * The OpenTelemetry `gen_ai.provider.name` of its spans and metrics.
   * @default the id
   */
  telemetryName?: string | undefined;
}

/** A service with an OpenAI-compatible API, reached through the official `openai` SDK. */
export interface OpenAICompatibleProviderDefinition<Id extends string> extends ProviderDefinitionBase<Id> {
  openAICompatible: {
    /** The API root (`https://llm.example.com/v1`); `createClient`'s `baseURL` overrides it. */
    baseURL: string;
    /**
     * Hints for key problems.
     * @default sentences that point at `keyPage` and `billingPage`
     */
    hints?: { unauthorized?: string; forbidden?: string; quota_exceeded?: string } | undefined;
  };
}

/** The adapter of a registered provider: the built-in providers' contract, with the id given apart. */
export type CustomProviderAdapter<Sdk extends object, SdkModule, SdkOptions, SdkSource> = Omit<
  ProviderAdapter<Sdk, SdkModule, SdkOptions, SdkSource>,
  'id'
>;

/** A provider with an SDK of its own, through an adapter. */
export interface CustomProviderDefinition<
  Id extends string,
  Sdk extends object,
  SdkModule,
  SdkOptions,
  SdkSource,
> extends ProviderDefinitionBase<Id> {
  /** How keycard builds, meters and checks the SDK (see `ProviderAdapter`). */
  adapter: CustomProviderAdapter<Sdk, SdkModule, SdkOptions, SdkSource>;
  /**
   * What to pass as `sdk` when the SDK is not installed, for that message (`MyClient`).
   * @default the package name
   */
  sdkExample?: string | undefined;
}

/** Either kind of definition. */
export type ProviderDefinition =
  | OpenAICompatibleProviderDefinition<string>
  | CustomProviderDefinition<string, object, unknown, unknown, unknown>;

const DEFINITION = Symbol.for('keycard.provider.definition');

/**
 * A provider added with `registerProvider()`. Pass it to `createClient` (types follow from it),
 * or its id once declared in `RegisteredProviders`.
 */
export interface RegisteredProvider<
  Id extends string = string,
  Sdk extends object = object,
  SdkOptions = unknown,
  SdkSource = unknown,
> {
  readonly id: Id;
  readonly label: string;
  readonly envVars: readonly string[];
  /** The adapter keycard uses for it. */
  readonly adapter: ProviderAdapter<Sdk, unknown, SdkOptions, SdkSource>;
}

/** Registered providers of this copy of keycard, by id. */
const handles = new Map<string, RegisteredProvider>();

const BASE_FIELDS = [
  'id',
  'label',
  'envVars',
  'keyPage',
  'billingPage',
  'keyNoun',
  'key',
  'prices',
  'vendorPrefixedModels',
  'telemetryName',
];
const KEY_FIELDS = ['prefix', 'pattern', 'examples'];
const ADAPTER_FUNCTIONS = ['load', 'fromUser', 'create', 'failureFromError', 'classify', 'verify'];
const HTTP_FUNCTIONS = ['authorize', 'plan', 'usage', 'failureFromResponse'];

function refuse(id: unknown, problem: string): never {
  const where = typeof id === 'string' && id !== '' ? `registerProvider('${id}')` : 'registerProvider()';
  throw new KeycardError(`${where}: ${problem}`);
}

function checkFields(id: unknown, what: string, value: object, known: readonly string[]): void {
  for (const name of Object.keys(value)) {
    if (known.includes(name)) continue;
    const near = didYouMean(name, known);
    refuse(
      id,
      `${what} has no option ${JSON.stringify(name)}${near === undefined ? '' : ` (did you mean ${near}?)`}.`,
    );
  }
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** Checks a definition; throws a `KeycardError` naming the first thing wrong. */
function checkDefinition(definition: unknown): asserts definition is ProviderDefinition {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    refuse(undefined, 'the definition must be an object ({ id, label, envVars, keyPage, … }).');
  }
  const given = definition as Record<string, unknown>;
  const id = given['id'];
  const compatible = 'openAICompatible' in given;
  const custom = 'adapter' in given;
  checkFields(id, 'the definition', given, [
    ...BASE_FIELDS,
    ...(compatible ? ['openAICompatible'] : []),
    ...(custom ? ['adapter', 'sdkExample'] : []),
  ]);
  if (typeof id !== 'string' || !/^[a-z][a-z0-9-]{1,39}$/.test(id)) {
    refuse(undefined, 'id must be 2 to 40 lower-case letters, digits or "-", starting with a letter.');
  }
  if ((PROVIDER_IDS as readonly string[]).includes(id) || isBuiltInClient(id)) {
    refuse(id, `'${id}' is built into keycard: use createClient('${id}') as it is.`);
  }
  if (!isText(given['label'])) refuse(id, 'label must be a name, such as "My LLM".');
  const envVars = given['envVars'];
  if (
    !Array.isArray(envVars) ||
    envVars.length === 0 ||
    !envVars.every((name) => typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
  ) {
    refuse(id, 'envVars must list one or more environment variable names, such as ["MY_LLM_API_KEY"].');
  }
  if (!isText(given['keyPage'])) refuse(id, 'keyPage must say where a key is made (a URL).');
  for (const name of ['billingPage', 'keyNoun', 'prices', 'telemetryName', 'sdkExample']) {
    if (given[name] !== undefined && !isText(given[name])) refuse(id, `${name} must be a string.`);
  }
  if (given['vendorPrefixedModels'] !== undefined && typeof given['vendorPrefixedModels'] !== 'boolean') {
    refuse(id, 'vendorPrefixedModels must be true or false.');
  }
  checkKey(id, given['key']);
  if (compatible === custom) {
    refuse(
      id,
      'give either openAICompatible: { baseURL } (a service reached with the openai SDK) or adapter.',
    );
  }
  if (compatible) checkCompatible(id, given['openAICompatible']);
  else checkAdapter(id, given['adapter']);
}

function checkKey(id: string, key: unknown): void {
  if (key === undefined) return;
  if (typeof key !== 'object' || key === null) refuse(id, 'key must be an object ({ prefix, pattern }).');
  checkFields(id, 'key', key, KEY_FIELDS);
  const { prefix, pattern, examples } = key as Record<string, unknown>;
  if (pattern !== undefined && !(pattern instanceof RegExp)) refuse(id, 'key.pattern must be a RegExp.');
  if (examples !== undefined && !isText(examples)) refuse(id, 'key.examples must be a string.');
  if (prefix === undefined) return;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._-]{3,32}$/.test(prefix)) {
    refuse(id, 'key.prefix must be 3 to 32 letters, digits, "_", "-" or ".".');
  }
  // A prefix that built-in keys start with, or that starts like one, would take their keys.
  const sample = `${prefix}${'aB3'.repeat(16)}`;
  const taken = Object.values(KEY_SHAPES).find(
    (shape) => shape.marker.test(sample) || shape.unusable.some((unusable) => unusable.marker.test(sample)),
  );
  const shared = knownMaskPrefixes().find((known) => known.startsWith(prefix));
  if (taken !== undefined || shared !== undefined) {
    const owner = taken === undefined ? `keys starting with ${shared}` : `${taken.label}s`;
    refuse(
      id,
      `key.prefix ${JSON.stringify(prefix)} would also match ${owner}: use a longer, distinct prefix.`,
    );
  }
}

function checkCompatible(id: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) refuse(id, 'openAICompatible must be { baseURL }.');
  checkFields(id, 'openAICompatible', value, ['baseURL', 'hints']);
  const { baseURL, hints } = value as Record<string, unknown>;
  if (typeof baseURL !== 'string' || !URL.canParse(baseURL) || !/^https?:$/.test(new URL(baseURL).protocol)) {
    refuse(id, 'openAICompatible.baseURL must be an http:// or https:// URL.');
  }
  if (hints === undefined) return;
  if (typeof hints !== 'object' || hints === null) refuse(id, 'openAICompatible.hints must be an object.');
  checkFields(id, 'openAICompatible.hints', hints, ['unauthorized', 'forbidden', 'quota_exceeded']);
  for (const [name, hint] of Object.entries(hints)) {
    if (hint !== undefined && !isText(hint)) refuse(id, `openAICompatible.hints.${name} must be a string.`);
  }
}

function checkAdapter(id: string, adapter: unknown): void {
  if (typeof adapter !== 'object' || adapter === null)
    refuse(id, 'adapter must be an object (see ProviderAdapter).');
  const fields = adapter as Record<string, unknown>;
  if (!isText(fields['packageName'])) refuse(id, "adapter.packageName must name the SDK's npm package.");
  for (const name of ADAPTER_FUNCTIONS) {
    if (typeof fields[name] !== 'function') refuse(id, `adapter.${name} must be a function.`);
  }
  const http = fields['http'];
  if (http === undefined) return;
  if (typeof http !== 'object' || http === null) refuse(id, 'adapter.http must be an object of hooks.');
  for (const name of HTTP_FUNCTIONS) {
    if (typeof (http as Record<string, unknown>)[name] !== 'function') {
      refuse(id, `adapter.http.${name} must be a function.`);
    }
  }
}

/** The key shape keycard checks, detects and describes, from the definition. */
function keyShapeOf(definition: ProviderDefinition, keyNoun: string): KeyShape {
  const prefix = definition.key?.prefix;
  const given = definition.key?.pattern;
  const pattern =
    given === undefined
      ? prefix === undefined
        ? /^[A-Za-z0-9._-]{16,}$/
        : new RegExp(`^${escapeRegExp(prefix)}[A-Za-z0-9_-]{20,}$`)
      : new RegExp(
          `^(?:${given.source.replace(/^\^/, '').replace(/\$$/, '')})$`,
          given.flags.replace(/[gy]/g, ''),
        );
  const examples =
    definition.key?.examples ?? (prefix === undefined ? `a key from ${definition.keyPage}` : `${prefix}…`);
  return {
    provider: definition.id as ProviderId,
    label: `${definition.label} ${keyNoun}`,
    examples,
    pattern,
    marker: prefix === undefined ? /^(?!)/ : new RegExp(`^${escapeRegExp(prefix)}`),
    hint: `Use ${withArticle(definition.label)} ${keyNoun}${prefix === undefined ? '' : ` (${prefix}…)`} from ${definition.keyPage}.`,
    keyNoun: keyNoun === 'API key' ? 'key' : keyNoun,
    keyFrom: definition.keyPage,
    unusable: [],
    // Without a prefix the shape is a length and a character set, which names fit too.
    ...(prefix === undefined && given === undefined ? { broad: true as const } : {}),
  };
}

/** The adapter of an OpenAI-compatible definition. */
function compatibleAdapter(definition: OpenAICompatibleProviderDefinition<string>): ProviderAdapter<OpenAI> {
  const hints = definition.openAICompatible.hints ?? {};
  const billing = definition.billingPage ?? definition.keyPage;
  return openAICompatible({
    id: definition.id as ProviderId,
    defaultBaseURL: definition.openAICompatible.baseURL,
    hints: {
      unauthorized:
        hints.unauthorized ??
        `The key is wrong, revoked or expired: create a new one at ${definition.keyPage} and update the key source.`,
      forbidden:
        hints.forbidden ?? `The key works but may not do this: check its access at ${definition.keyPage}.`,
      quota_exceeded:
        hints.quota_exceeded ??
        `The account behind this key has no credit or reached its limit: see ${billing}.`,
    },
  }) as unknown as ProviderAdapter<OpenAI>;
}

/**
 * Adds a provider, after which `createClient`, the key checks, the redactor, masked ids, the
 * ledger, budgets, pools, telemetry and the CLI treat it as built in. Returns the registered
 * provider: pass it to `createClient` and `.sdk` is typed from it. Registering the same
 * definition again returns the same provider; another definition under a taken id throws.
 *
 * For the CLI (another process), name the module that registers your providers in
 * `KEYCARD_PROVIDERS` (see docs/providers.md).
 *
 * @example
 * const myLlm = registerProvider({
 *   id: 'my-llm',
 *   label: 'My LLM',
 *   envVars: ['MY_LLM_API_KEY'],
 *   keyPage: 'https://llm.example.com/keys',
 *   key: { prefix: 'myllm-' },
 *   prices: 'openai',
 *   openAICompatible: { baseURL: 'https://llm.example.com/v1' },
 * });
 * const client = await createClient(myLlm); // client.sdk is an OpenAI client
 * @throws {KeycardError} when the definition is incomplete or wrong, or the id or prefix is taken.
 */
export function registerProvider<const Id extends string>(
  definition: OpenAICompatibleProviderDefinition<Id>,
): RegisteredProvider<Id, OpenAI, OpenAISdkOptions, OpenAISdkSource>;
export function registerProvider<
  const Id extends string,
  Sdk extends object,
  SdkModule,
  SdkOptions = Record<string, never>,
  SdkSource = SdkModule,
>(
  definition: CustomProviderDefinition<Id, Sdk, SdkModule, SdkOptions, SdkSource>,
): RegisteredProvider<Id, Sdk, SdkOptions, SdkSource>;
export function registerProvider(definition: ProviderDefinition): RegisteredProvider {
  const again = registeredFrom(definition);
  if (again !== undefined) return again;
  checkDefinition(definition);
  const id = definition.id;
  const existing = handles.get(id);
  if (existing !== undefined) {
    if ((existing as { [DEFINITION]?: unknown })[DEFINITION] === definition) return existing;
    refuse(id, `'${id}' is already registered (with another definition).`);
  }
  const prefix = definition.key?.prefix;
  const keyNoun = definition.keyNoun ?? 'API key';
  const adapter =
    'adapter' in definition
      ? ({ ...definition.adapter, id } as unknown as ProviderAdapter<object, unknown, unknown, unknown>)
      : (compatibleAdapter(definition) as unknown as ProviderAdapter<object, unknown, unknown, unknown>);
  const providerId = id as ProviderId;
  addAdapter(adapter);
  addKeyShape(keyShapeOf(definition, keyNoun));
  if (prefix !== undefined) {
    addKeyPattern(prefixPattern(`provider:${id}`, id, prefix, [16, 512]));
    addMaskPrefix(prefix);
  }
  addProviderWords(providerId, { keys: definition.keyPage, billing: definition.billingPage, keyNoun });
  addProviderPricing(providerId, definition.prices, definition.vendorPrefixedModels === true);
  addTelemetryName(providerId, definition.telemetryName ?? id);
  addSdkExample(
    providerId,
    'adapter' in definition ? (definition.sdkExample ?? adapter.packageName) : 'OpenAI',
  );
  addProviderInfo({ id: providerId, label: definition.label, envVars: [...definition.envVars], keyNoun });
  const handle: RegisteredProvider = Object.freeze(
    Object.defineProperty(
      { id, label: definition.label, envVars: Object.freeze([...definition.envVars]), adapter },
      DEFINITION,
      { value: definition, enumerable: false },
    ),
  );
  handles.set(id, handle);
  return handle;
}

/** A registered provider handed back (from this copy of keycard or another), registered here. */
function registeredFrom(value: unknown): RegisteredProvider | undefined {
  if (typeof value !== 'object' || value === null || !(DEFINITION in value)) return undefined;
  const definition = (value as { [DEFINITION]: ProviderDefinition })[DEFINITION];
  const own = handles.get(definition.id);
  if (own !== undefined && (own as { [DEFINITION]?: unknown })[DEFINITION] === definition) return own;
  return registerProvider(definition as OpenAICompatibleProviderDefinition<string>);
}

/** Whether `value` is what `registerProvider()` returned (in this copy of keycard or another). */
export function isRegisteredProvider(value: unknown): value is RegisteredProvider {
  return typeof value === 'object' && value !== null && DEFINITION in value;
}

/**
 * The provider id `createClient` was given: an id, or a registered provider (registered in this
 * copy of keycard now if it came from another). @internal
 */
export function providerIdFrom(choice: unknown): unknown {
  if (!isRegisteredProvider(choice)) return choice;
  return (registeredFrom(choice) as RegisteredProvider).id;
}
