/**
 * zod schemas of the public option objects (`createClient`'s options and budgets, `openLedger`'s
 * options), and the one place that turns a failed check into a `KeycardError` naming the first
 * wrong or unknown option, with a did-you-mean. Unknown options are errors: a mistyped `baseUrl`
 * would otherwise send the calls to the public API.
 *
 * Written with `zod/mini`, which the build bundles and tree-shakes into keycard's own chunks (a
 * few milliseconds to load, where zod's full build costs 50 ms or more); still loaded lazily
 * (`await import('./options.js')`), like `keys/check-shape.ts`.
 * @module
 */

import * as z from 'zod/mini';
import type { $ZodIssue } from 'zod/v4/core';
import { ALERTS_EXPECTS, alertsSchema } from './alerts/schema.js';
import type { ClientOptions } from './client.js';
import { didYouMean } from './did-you-mean.js';
import { KeycardError } from './errors.js';
import type { FileSourceOptions } from './keys/file.js';
import type { Budget } from './ledger/budget.js';
import { PRICE_KEYS, type PriceEntry } from './ledger/custom-prices.js';
import type { OpenLedgerOptions } from './ledger/open.js';

/**
 * An option's schema, built the first time an option of that name is checked (building every
 * schema up front costs milliseconds, and most options are never given), and what it expects,
 * in words, for the error message.
 */
interface Field {
  build: () => z.ZodMiniType;
  built?: z.ZodMiniType;
  expects: string;
  /** The fixed values among what it takes, for a did-you-mean (when the schema is no plain enum). */
  choices?: readonly string[];
}

const field = (build: () => z.ZodMiniType, expects: string, choices?: readonly string[]): Field =>
  choices === undefined ? { build, expects } : { build, expects, choices };
const atLeastZero = () => z.number().check(z.minimum(0));
const wholeAtLeastZero = () => z.int().check(z.minimum(0));
/** Milliseconds; `Infinity` is "no limit" (zod's numbers are finite). */
const duration = () => z.custom((value) => typeof value === 'number' && value >= 0);
const isFunction = (value: unknown) => typeof value === 'function';

const LOGGER_METHODS = ['error', 'warn', 'info', 'debug', 'trace', 'log'] as const;
const logger = () =>
  z.custom((value) => {
    if (typeof value !== 'object' || value === null) return false;
    const methods = value as Record<string, unknown>;
    return LOGGER_METHODS.some((name) => isFunction(methods[name]));
  });
const ledgerObject = () =>
  z.custom((value) => {
    if (typeof value !== 'object' || value === null) return false;
    const methods = value as Record<string, unknown>;
    return isFunction(methods['record']) && isFunction(methods['flush']);
  });
const httpUrl = () =>
  z.string().check(z.refine((value) => URL.canParse(value) && /^https?:$/i.test(new URL(value).protocol)));

const BUDGET_FIELDS = {
  name: field(() => z.string(), 'a string'),
  usd: field(atLeastZero, 'a number of US dollars, 0 or more'),
  requests: field(atLeastZero, 'a number of requests, 0 or more'),
  tokens: field(atLeastZero, 'a number of tokens, 0 or more'),
  period: field(() => z.enum(['day', 'week', 'month']), "'day', 'week' or 'month'"),
  scope: field(
    () =>
      z.union([
        z.enum(['key', 'workflow', 'provider']),
        z.string().check(z.regex(/^tag:[A-Za-z][A-Za-z0-9_.-]{0,63}$/)),
      ]),
    "'key', 'workflow', 'provider' or 'tag:NAME' (a tag name: a letter, then letters, digits, _, . or -)",
    ['key', 'workflow', 'provider'],
  ),
  onExceed: field(() => z.enum(['block', 'warn']), "'block' or 'warn'"),
  onLedgerDown: field(() => z.enum(['block', 'allow']), "'block' or 'allow'"),
  alertAt: field(
    () => z.array(z.number().check(z.positive())),
    'an array of fractions of the limit, such as [0.5, 1]',
  ),
} satisfies { [Name in keyof Budget]-?: Field };

const CLIENT_FIELDS = {
  workflow: field(() => z.string(), 'a string'),
  // Names, values and count are checked by `checkedTags` (ledger/tags.ts), naming the tag.
  tags: field(
    () => z.record(z.string(), z.unknown()),
    "an object of tag names and string values, such as { team: 'search' }",
  ),
  ledger: field(
    () => z.union([z.literal(false), z.string().check(z.minLength(1)), ledgerObject()]),
    "a ledger from openLedger(), a ledger URL ('memory:', 'sqlite:PATH', 'postgres://…') or false",
  ),
  // Each budget is checked on its own below, so that the message names the budget's field.
  budget: field(
    () => z.union([z.array(z.record(z.string(), z.unknown())), z.record(z.string(), z.unknown())]),
    'a budget ({ usd: 5, period: "month" }) or an array of budgets',
  ),
  requestPriceUsd: field(atLeastZero, 'a number of US dollars, 0 or more'),
  // Each entry is checked on its own (loadCustomPrices), so that the message names its field.
  prices: field(
    () =>
      z.union([
        z.literal(false),
        z.string().check(z.minLength(1)),
        z.array(z.record(z.string(), z.unknown())),
        z.record(z.string(), z.unknown()),
      ]),
    "a prices file's path, a price entry ({ model, inputPerMTok, outputPerMTok }), an array of them, or false",
  ),
  telemetry: field(() => z.boolean(), 'true or false'),
  logger: field(logger, 'a console-like or pino logger (an object with error, warn, info or debug methods)'),
  baseURL: field(httpUrl, 'an http:// or https:// URL'),
  dangerouslyAllowPlainHttp: field(() => z.boolean(), 'true or false'),
  timeout: field(duration, 'a number of milliseconds, 0 or more, or Infinity'),
  maxRetries: field(wholeAtLeastZero, 'a whole number, 0 or more'),
  sdkOptions: field(
    () => z.record(z.string(), z.unknown()),
    "an object of options for the SDK's constructor",
  ),
  // What it must be depends on the provider: the adapter checks it (`fromUser`) and says what to pass.
  sdk: field(
    () => z.custom((value) => value !== null && value !== undefined),
    "the provider's SDK as you imported it",
  ),
  checkKeyShape: field(() => z.boolean(), 'true or false'),
  fetch: field(() => z.custom(isFunction), 'a fetch function'),
  maxKeyAgeDays: field(
    () => z.union([z.literal(false), atLeastZero()]),
    'a number of days, 0 or more, or false',
  ),
  messages: field(
    () =>
      z.strictObject({
        language: z.optional(z.string().check(z.regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/))),
        audience: z.optional(z.enum(['developer', 'end-user'])),
      }),
    "{ language: 'en' or 'ko' (a BCP 47 tag), audience: 'developer' or 'end-user' }",
  ),
} satisfies { [Name in keyof ClientOptions]-?: Field };

/** `createFetch`'s options: `createClient`'s, but those about an SDK it does not build. */
const NOT_FETCH_OPTIONS: ReadonlySet<string> = new Set([
  'sdk',
  'sdkOptions',
  'maxRetries',
  'timeout',
  'baseURL',
]);
let fetchFieldsBuilt: Record<string, Field> | undefined;
function fetchFields(): Record<string, Field> {
  fetchFieldsBuilt ??= Object.fromEntries(
    Object.entries(CLIENT_FIELDS).filter(([name]) => !NOT_FETCH_OPTIONS.has(name)),
  );
  return fetchFieldsBuilt;
}

const LEDGER_FIELDS = {
  flushIntervalMs: field(atLeastZero, 'a number of milliseconds, 0 or more'),
  maxBatch: field(() => z.int().check(z.minimum(1)), 'a whole number, 1 or more'),
  anomaly: field(
    () =>
      z.union([
        z.literal(false),
        z.strictObject({
          multiple: z.optional(z.number().check(z.positive())),
          windowHours: z.optional(z.number().check(z.positive())),
          minUsd: z.optional(atLeastZero()),
        }),
      ]),
    'false or { multiple, windowHours, minUsd } (positive numbers)',
  ),
  maxBufferedEvents: field(() => z.int().check(z.minimum(1)), 'a whole number of events, 1 or more'),
  budgetLeaseMs: field(() => z.number().check(z.minimum(100)), 'a number of milliseconds, 100 or more'),
  busyTimeoutMs: field(atLeastZero, 'a number of milliseconds, 0 or more'),
  driver: field(
    () => z.enum(['auto', 'better-sqlite3', 'node:sqlite']),
    "'auto', 'better-sqlite3' or 'node:sqlite'",
  ),
  schema: field(() => z.string(), 'a PostgreSQL schema name'),
  maxConnections: field(() => z.int().check(z.minimum(1)), 'a whole number, 1 or more'),
  connectTimeoutMs: field(atLeastZero, 'a number of milliseconds, 0 or more'),
  queryTimeoutMs: field(atLeastZero, 'a number of milliseconds, 0 or more'),
  alerts: field(alertsSchema, ALERTS_EXPECTS),
} satisfies { [Name in keyof OpenLedgerOptions]-?: Field };

const perMTok = 'a number of US dollars per million tokens, 0 or more';
const PRICE_FIELDS = {
  provider: field(() => z.string().check(z.minLength(1)), "a provider id, such as 'openai'"),
  model: field(
    () => z.string().check(z.minLength(1)),
    "a model id, or a pattern where * stands for any characters ('ft:gpt-4o-mini:acme:*')",
  ),
  gateway: field(httpUrl, "an http:// or https:// URL (its origin is matched: 'https://llm.acme.internal')"),
  inputPerMTok: field(atLeastZero, perMTok),
  cachedInputPerMTok: field(atLeastZero, perMTok),
  cacheWritePerMTok: field(atLeastZero, perMTok),
  outputPerMTok: field(atLeastZero, perMTok),
  reasoningPerMTok: field(atLeastZero, perMTok),
  perRequest: field(atLeastZero, 'a number of US dollars, 0 or more'),
} satisfies { [Name in keyof PriceEntry]-?: Field };

const FILE_FIELDS = {
  field: field(
    () => z.string().check(z.minLength(1)),
    'a non-empty string (a JSON path or a dotenv variable)',
  ),
  allowInsecure: field(() => z.boolean(), 'true or false'),
} satisfies { [Name in keyof FileSourceOptions]-?: Field };

type Fields = Record<string, Field>;

/**
 * Options of an SDK's constructor that keycard sets itself: passing them in `sdkOptions` would be
 * ignored, or would bypass keycard (a logger that is not redacted, a key keycard cannot see).
 */
const RESERVED_SDK_OPTIONS: Record<string, string> = {
  apiKey: 'Pass the key as the key source (the second argument)',
  authToken: 'Pass the key as the key source (the second argument)',
  token: 'Pass the key as the key source (the second argument)',
  fetch: 'Use options.fetch for the transport',
  baseURL: 'Use options.baseURL',
  slackApiUrl: 'Use options.baseURL',
  apiRoot: 'Use options.baseURL',
  api: 'Use options.baseURL',
  makeRequest: 'Use options.fetch for the transport',
  authPrefix: 'keycard sends the key as a bot token (Authorization: Bot)',
  timeout: 'Use options.timeout',
  maxRetries: 'Use options.maxRetries',
  retries: 'Use options.maxRetries',
  logger: "Use options.logger: keycard redacts the SDK's log lines through it",
};

/** Option names that are attempts to pass the key itself. */
const KEY_NAMES = new Set(['apikey', 'api_key', 'key', 'token', 'authtoken', 'secret']);

/** A short, safe description of a value that was not what an option expects. */
function described(value: unknown, showStrings: boolean): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      // Strings may be secrets: only the values of a closed list are shown.
      return showStrings && value.length <= 24 ? JSON.stringify(value) : 'a string';
    case 'number':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    default:
      return `an ${typeof value}`;
  }
}

function pathText(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : `${text}.${String(part)}`),
    root,
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const part of path) current = (current as Record<PropertyKey, unknown> | undefined)?.[part];
  return current;
}

/** The first issue of a failed check, as one sentence that says what to write instead. */
function problem(where: string, root: string, fields: Fields, input: unknown, issue: $ZodIssue) {
  if (issue.code === 'unrecognized_keys') {
    const [name = ''] = issue.keys;
    const nested = issue.path.length > 0;
    const known = nested ? [] : Object.keys(fields);
    const guess = didYouMean(name, known);
    if (!nested && root === 'options' && KEY_NAMES.has(name.toLowerCase())) {
      return new KeycardError(
        `${where}: options.${name} is not an option. The key goes in the second argument, as a key source (keys.env('NAME'), keys.file(path), a spec string such as 'env:NAME').`,
      );
    }
    const advice =
      guess !== undefined
        ? `Did you mean ${pathText(root, [guess])}?`
        : nested
          ? `${pathText(root, issue.path)} must be ${fields[String(issue.path[0])]?.expects ?? 'something else'}.`
          : `Options: ${known.join(', ')}.${root === 'options' && where.startsWith('createClient') ? " Options of the SDK's constructor go in sdkOptions." : ''}`;
    return new KeycardError(`${where}: ${pathText(root, [...issue.path, name])} is not an option. ${advice}`);
  }
  const expects = fields[String(issue.path[0])]?.expects ?? 'something else';
  const value = valueAt(input, issue.path);
  const choices =
    issue.code === 'invalid_value' ? issue.values.map(String) : fields[String(issue.path[0])]?.choices;
  const closedList = choices !== undefined;
  const found = closedList && typeof value === 'string' ? didYouMean(value, choices) : undefined;
  return new KeycardError(
    `${where}: ${pathText(root, issue.path)} must be ${expects}, not ${described(value, closedList)}.${found === undefined ? '' : ` Did you mean '${found}'?`}`,
  );
}

/**
 * What a `z.strictObject` of `fields` (each optional) checks, in its order: every option given,
 * in the order of `fields`, then the names that are no option. Only the schemas of the options
 * given are built.
 */
function firstIssue(fields: Fields, input: Record<string, unknown>): $ZodIssue | undefined {
  for (const [name, option] of Object.entries(fields)) {
    const value = input[name];
    if (value === undefined) continue;
    option.built ??= option.build();
    const result = option.built.safeParse(value);
    if (!result.success) {
      const [issue] = result.error.issues;
      if (issue !== undefined) return { ...issue, path: [name, ...issue.path] };
    }
  }
  const unknown: string[] = [];
  for (const name in input) if (!Object.hasOwn(fields, name)) unknown.push(name);
  if (unknown.length === 0) return undefined;
  return { code: 'unrecognized_keys', keys: unknown, path: [], message: 'Unrecognized keys', input };
}

function check(where: string, root: string, fields: Fields, input: Record<string, unknown>): void {
  const issue = firstIssue(fields, input);
  if (issue !== undefined) throw problem(where, root, fields, input, issue);
}

/**
 * Checks `createClient`'s options: the first unknown option (with a did-you-mean) or wrongly
 * typed one throws a `KeycardError` that names it; budgets and reserved `sdkOptions` too.
 */
export function checkClientOptions(
  provider: string,
  options: unknown,
  api: 'createClient' | 'createFetch' = 'createClient',
): void {
  const where = `${api}('${provider}')`;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeycardError(`${where}: options must be an object, not ${described(options, false)}.`);
  }
  check(
    where,
    'options',
    api === 'createFetch' ? fetchFields() : CLIENT_FIELDS,
    options as Record<string, unknown>,
  );
  const { budget, sdkOptions } = options as { budget?: unknown; sdkOptions?: Record<string, unknown> };
  const budgets = Array.isArray(budget) ? budget : budget === undefined ? [] : [budget];
  budgets.forEach((item, index) => {
    const root = Array.isArray(budget) ? `options.budget[${index}]` : 'options.budget';
    check(where, root, BUDGET_FIELDS, item as Record<string, unknown>);
  });
  for (const name of Object.keys(sdkOptions ?? {})) {
    const instead = RESERVED_SDK_OPTIONS[name];
    if (instead !== undefined) {
      throw new KeycardError(`${where}: sdkOptions.${name} is keycard's to set. ${instead}.`);
    }
  }
}

/**
 * Checks one custom price entry (from the `prices` option or a prices file, `root` naming it):
 * an unknown or wrongly typed field, a negative price, or no price at all is a `KeycardError`.
 */
export function checkPriceEntry(where: string, root: string, entry: unknown): void {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new KeycardError(
      `${where}: ${root} must be a price entry ({ model, inputPerMTok, outputPerMTok, … }), not ${described(entry, false)}.`,
    );
  }
  check(where, root, PRICE_FIELDS, entry as Record<string, unknown>);
  if (!PRICE_KEYS.some((name) => (entry as Record<string, unknown>)[name] !== undefined)) {
    throw new KeycardError(
      `${where}: ${root} has no price. Give ${PRICE_KEYS.join(', ')} (US dollars), one or more.`,
    );
  }
}

/** Checks `openLedger`'s options, as `checkClientOptions` does. */
export function checkLedgerOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeycardError(`openLedger: options must be an object, not ${described(options, false)}.`);
  }
  check('openLedger', 'options', LEDGER_FIELDS, options as Record<string, unknown>);
}

/** Checks `keys.file()`'s options, as `checkClientOptions` does. */
export function checkFileOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeycardError(`keys.file(): options must be an object, not ${described(options, false)}.`);
  }
  check('keys.file()', 'options', FILE_FIELDS, options as Record<string, unknown>);
}
