/**
 * `keys.onePassword()`: a key read from 1Password through a 1Password Connect server, with the
 * official Connect SDK (`@1password/connect`, an optional peer imported on the first read) and
 * 1Password's own secret reference syntax, `op://VAULT/ITEM/[SECTION/]FIELD`. Cached, read once
 * for many callers, served through a short outage and read again after the provider rejected the
 * key, as every remote source is (`../remote/cached-source.ts`).
 * @module
 */
import { CredentialError } from '../../errors.js';
import type { ProviderId } from '../../providers/ids.js';
import { registerSecret } from '../../redact/registry.js';
import { cleanKeyValue } from '../clean.js';
import { cachedRemoteSource } from '../remote/cached-source.js';
import { looksLikeKey } from '../shapes.js';
import { KeySpecError } from '../spec-error.js';
import { isKeySource, type KeySource } from '../types.js';
import { isLoopback } from '../vault/http.js';
import { storeFailure, storeTimings } from './store-options.js';
import { deadline, loadStoreSdk, NETWORK_CODES, storeText } from './store-sdk.js';

const PACKAGE = '@1password/connect';
const WHERE = 'keys.onePassword()';
const STORE = '1Password Connect';
const TOKEN_LABEL = '[REDACTED 1password-connect-token]';

/** Options of `keys.onePassword()`. Given with a reference, they take precedence over it. */
export interface OnePasswordOptions {
  /**
   * The Connect server, e.g. `https://connect.internal:8443`. Plain `http://` is accepted only to
   * this machine, unless `dangerouslyAllowPlainHttp`.
   * @default `OP_CONNECT_HOST`
   */
  host?: string | undefined;
  /**
   * The Connect server's access token: the token itself, or a `KeySource` such as
   * `keys.file('/run/secrets/op-token')` (read again when Connect refuses the token). keycard
   * registers it with the redactor.
   * @default `OP_CONNECT_TOKEN`
   */
  token?: string | KeySource | undefined;
  /** The vault's name or id. Needed when no reference is given. */
  vault?: string | undefined;
  /** The item's title or id. Needed when no reference is given. */
  item?: string | undefined;
  /** The section of the item that holds the field (its label or id). */
  section?: string | undefined;
  /** The field's label or id. Needed when no reference is given. */
  field?: string | undefined;
  /**
   * Allow plain `http://` to a Connect server that is not this machine (a Kubernetes service in
   * the same cluster, say). The token and the key cross the network in clear.
   * @default false
   */
  dangerouslyAllowPlainHttp?: boolean | undefined;
  /**
   * How long a key read is used before it is read again, in milliseconds.
   * @default 300000 (5 minutes)
   */
  cacheTtlMs?: number | undefined;
  /**
   * How long past `cacheTtlMs` a cached key is still served, with a warning, while Connect
   * cannot be reached (network, timeout, 5xx).
   * @default 600000 (10 minutes)
   */
  staleGraceMs?: number | undefined;
  /**
   * How long one read may take (it takes up to three requests), in milliseconds.
   * @default 10000
   */
  timeoutMs?: number | undefined;
  /**
   * The SDK module, for a bundle that does not ship `node_modules`: the namespace of
   * `@1password/connect` (`import * as`), or `{ OnePasswordConnect }`.
   * @default imported by keycard on the first read
   */
  sdk?: object | undefined;
}

/** Where the key is, read from `op://VAULT/ITEM/[SECTION/]FIELD`. */
export interface OnePasswordReference {
  vault: string;
  item: string;
  section: string | undefined;
  field: string;
}

/** What 1Password's reference syntax allows in a name without quoting: letters, digits, `-_. ` and spaces. */
const NAME = /^[\p{L}\p{N}_.\- ]{1,256}$/u;
const FORMS =
  'Write op://VAULT/ITEM/FIELD or op://VAULT/ITEM/SECTION/FIELD (names or ids), e.g. op://Production/OpenAI/credential.';

function segment(text: string): string {
  try {
    return decodeURIComponent(text).trim();
  } catch {
    throw new KeySpecError('An op:// reference has a malformed %-escape.', FORMS);
  }
}

/** Reads `op://VAULT/ITEM/[SECTION/]FIELD`. Throws `KeySpecError`. */
export function parseOnePasswordReference(reference: string): OnePasswordReference {
  const match = /^op:\/\/([^?#]*)$/i.exec(reference.trim());
  if (match === null) {
    throw new KeySpecError(
      reference.includes('?')
        ? 'An op:// reference with ?attribute= is not read by keycard: name the field that holds the key.'
        : 'An op:// reference needs a vault, an item and a field.',
      FORMS,
    );
  }
  const parts = (match[1] ?? '').split('/').map(segment);
  if (parts.length !== 3 && parts.length !== 4) {
    throw new KeySpecError(
      'An op:// reference has 3 parts (vault/item/field) or 4 (vault/item/section/field).',
      FORMS,
    );
  }
  for (const part of parts) {
    if (looksLikeKey(part)) {
      throw new KeySpecError('A part of an op:// reference looks like a key (it is not shown).', FORMS);
    }
    if (!NAME.test(part)) {
      throw new KeySpecError(
        'A part of an op:// reference is empty or has characters 1Password references do not allow (use the id instead).',
        FORMS,
      );
    }
  }
  const [vault, item, third, fourth] = parts as [string, string, string, string | undefined];
  return fourth === undefined
    ? { vault, item, section: undefined, field: third }
    : { vault, item, section: third, field: fourth };
}

function describeReference(reference: OnePasswordReference): string {
  const encode = (part: string) => part.replace(/[%/?#]/g, (character) => encodeURIComponent(character));
  return `op://${[reference.vault, reference.item, reference.section, reference.field]
    .filter((part) => part !== undefined)
    .map(encode)
    .join('/')}`;
}

// The parts of the Connect SDK keycard uses; its own types are not named in keycard's declarations.
interface ConnectVault {
  id?: unknown;
  name?: unknown;
}
interface ConnectField {
  id?: unknown;
  label?: unknown;
  value?: unknown;
  section?: { id?: unknown } | undefined;
}
interface ConnectItem {
  id?: unknown;
  title?: unknown;
  updatedAt?: unknown;
  fields?: unknown;
  sections?: unknown;
}
interface ConnectClient {
  getVault(query: string): Promise<ConnectVault>;
  getItem(vaultId: string, query: string): Promise<ConnectItem>;
}
/** The SDK's `IRequestClient`: how it sends its requests (keycard gives one that takes the read's signal). */
interface ConnectRequestClient {
  defaultTimeout: number;
  request(
    method: string,
    url: string,
    options: { authToken: string; data?: unknown; headers?: Record<string, string | number> | undefined },
  ): Promise<{ status: number; data: unknown }>;
}
interface ConnectModule {
  OnePasswordConnect(options: {
    serverURL: string;
    token: string;
    httpClient?: ConnectRequestClient;
  }): ConnectClient;
}

/** An answer that is not Connect's JSON (a proxy's page, a cut-off body). */
class NotConnectJson extends Error {
  constructor(readonly status: number) {
    super('not JSON');
  }
}

/**
 * The SDK's transport, through Node's `fetch`, ended by `signal`. A non-2xx answer rejects with
 * Connect's `{status, message}` body, as the SDK's own transport does; an answer that is not JSON
 * rejects with `NotConnectJson` (the SDK would read a string where it expects a list).
 */
function fetchTransport(signal: AbortSignal, timeoutMs: number): ConnectRequestClient {
  return {
    defaultTimeout: timeoutMs,
    async request(method, url, options) {
      const response = await fetch(url, {
        method: method.toUpperCase(),
        headers: {
          accept: 'application/json',
          ...(options.data === undefined ? {} : { 'content-type': 'application/json' }),
          authorization: `Bearer ${options.authToken}`,
        },
        ...(options.data === undefined ? {} : { body: JSON.stringify(options.data) }),
        signal,
        redirect: 'error',
      });
      const text = await response.text();
      let data: unknown;
      try {
        data = text === '' ? undefined : JSON.parse(text);
      } catch {
        data = undefined;
      }
      if (response.status >= 200 && response.status < 300) {
        if (typeof data !== 'object' || data === null) throw new NotConnectJson(response.status);
        return { status: response.status, data };
      }
      const body = typeof data === 'object' && data !== null ? (data as { message?: unknown }) : {};
      throw { status: response.status, message: body.message };
    },
  };
}

/** What a read rejects with: Connect's error body `{status, message}` (also the SDK's own 404 and 400), or a network error. */
interface ConnectFailure {
  status?: unknown;
  message?: unknown;
  code?: unknown;
}

/**
 * A key from 1Password, through a 1Password Connect server (`OP_CONNECT_HOST`, `OP_CONNECT_TOKEN`).
 * `reference` is 1Password's secret reference, `op://VAULT/ITEM/FIELD` or
 * `op://VAULT/ITEM/SECTION/FIELD`, each part a name or an id (copy it with "Copy Secret
 * Reference" in the 1Password app). Or give the options alone:
 * `keys.onePassword({ vault, item, field })`.
 *
 * The Connect token needs read access to the vault. The key's age is the item's last change
 * (`updatedAt`).
 *
 * @example
 * const openai = await createClient('openai', keys.onePassword('op://Production/OpenAI/credential'));
 * // the same, as a spec string:
 * await createClient('openai', 'op://Production/OpenAI/credential');
 */
export function onePassword(
  reference: string | OnePasswordOptions,
  options: OnePasswordOptions = {},
): KeySource {
  let given: OnePasswordOptions;
  let parsed: OnePasswordReference | undefined;
  if (typeof reference === 'string') {
    parsed = parseOnePasswordReference(reference);
    given = options;
  } else if (typeof reference === 'object' && reference !== null) {
    given = { ...reference, ...options };
  } else {
    throw new TypeError(`${WHERE} needs a reference (op://VAULT/ITEM/FIELD) or options`);
  }
  const name = (label: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '' || value.length > 256 || looksLikeKey(value)) {
      throw new TypeError(`${WHERE}: ${label} must be a name or an id`);
    }
    return value.trim();
  };
  const vaultName = name('vault', given.vault) ?? parsed?.vault;
  const itemName = name('item', given.item) ?? parsed?.item;
  const fieldName = name('field', given.field) ?? parsed?.field;
  if (vaultName === undefined || itemName === undefined || fieldName === undefined) {
    throw new TypeError(`${WHERE}: vault, item and field (or a reference op://VAULT/ITEM/FIELD) are needed`);
  }
  const location: OnePasswordReference = {
    vault: vaultName,
    item: itemName,
    section: name('section', given.section) ?? parsed?.section,
    field: fieldName,
  };
  const { ttlMs, graceMs, timeoutMs } = storeTimings(WHERE, given);
  const tokenOption = given.token;
  if (tokenOption !== undefined && !isKeySource(tokenOption)) {
    if (typeof tokenOption !== 'string' || tokenOption.trim() === '') {
      throw new TypeError(`${WHERE}: token must be a string or a KeySource`);
    }
    registerSecret(tokenOption.trim(), TOKEN_LABEL);
  }
  let sdk: ConnectModule | undefined;
  if (given.sdk !== undefined) {
    const candidate = given.sdk as Partial<ConnectModule> & { default?: Partial<ConnectModule> };
    const create = candidate.OnePasswordConnect ?? candidate.default?.OnePasswordConnect;
    if (typeof create !== 'function') {
      throw new TypeError(`${WHERE}: sdk must be the @1password/connect module (with OnePasswordConnect)`);
    }
    sdk = { OnePasswordConnect: create };
  }
  const described = describeReference(location);
  const itemWords = `the item "${location.item}" in the vault "${location.vault}"`;
  const fieldWords = `field "${location.field}"${location.section === undefined ? '' : ` in the section "${location.section}"`}`;

  const fail = storeFailure(described);

  function hostUrl(provider: ProviderId | undefined): URL {
    const fromOption = given.host !== undefined;
    const host = (given.host ?? process.env['OP_CONNECT_HOST'] ?? '').trim();
    const from = fromOption ? 'the host option' : 'OP_CONNECT_HOST';
    if (host === '') {
      throw fail(
        'source_unavailable',
        `${described} needs the address of a 1Password Connect server, and OP_CONNECT_HOST is not set.`,
        'Set OP_CONNECT_HOST to the Connect server, e.g. https://connect.internal:8443.',
        provider,
      );
    }
    let url: URL;
    try {
      url = new URL(host);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http');
      if (url.username !== '' || url.password !== '') throw new Error('credentials');
    } catch {
      throw fail(
        'source_unavailable',
        `The 1Password Connect address in ${from} is not an http(s) URL without credentials.`,
        `Set ${from} to an address such as https://connect.internal:8443.`,
        provider,
      );
    }
    if (url.protocol === 'http:' && !isLoopback(url.hostname) && given.dangerouslyAllowPlainHttp !== true) {
      throw fail(
        'insecure_source',
        `${described} would send the Connect token and the key in clear over the network (plain http:// to ${url.host}).`,
        'Serve Connect over https://; plain http:// is accepted only to this machine, or with { dangerouslyAllowPlainHttp: true }.',
        provider,
      );
    }
    return url;
  }

  async function tokenFor(
    provider: ProviderId | undefined,
    fresh: boolean,
    signal: AbortSignal,
  ): Promise<string> {
    if (isKeySource(tokenOption)) {
      const secret = await tokenOption.resolve({ fresh, signal });
      const token = secret.reveal().trim();
      registerSecret(token, TOKEN_LABEL);
      return token;
    }
    const token = (tokenOption ?? process.env['OP_CONNECT_TOKEN'] ?? '').trim();
    if (token === '') {
      throw fail(
        'source_unavailable',
        `${described} needs a 1Password Connect token, and OP_CONNECT_TOKEN is not set.`,
        'Set OP_CONNECT_TOKEN to a Connect token with read access to the vault (op connect token create).',
        provider,
      );
    }
    registerSecret(token, TOKEN_LABEL);
    return token;
  }

  async function clientFor(
    provider: ProviderId | undefined,
    fresh: boolean,
    signal: AbortSignal,
  ): Promise<ConnectClient> {
    const host = hostUrl(provider).href;
    sdk ??= await loadStoreSdk<ConnectModule>(
      PACKAGE,
      PACKAGE,
      'the 1Password Connect SDK',
      described,
      provider,
    );
    const module = sdk;
    const token = await tokenFor(provider, fresh, signal);
    const create =
      typeof module.OnePasswordConnect === 'function'
        ? module.OnePasswordConnect
        : (module as unknown as { default: ConnectModule }).default.OnePasswordConnect;
    // A client per read (it holds no connection of its own): its transport ends with the read.
    return create({ serverURL: host, token, httpClient: fetchTransport(signal, timeoutMs) });
  }

  function translate(
    error: unknown,
    step: 'vault' | 'item',
    provider: ProviderId | undefined,
    timedOut: boolean,
  ): CredentialError {
    if (CredentialError.is(error)) return error;
    if (timedOut) {
      return fail(
        'source_unavailable',
        `${STORE} did not answer within ${timeoutMs} ms while reading ${itemWords}.`,
        'Check that the Connect server is up and reachable from here (OP_CONNECT_HOST), then try again.',
        provider,
        { retryable: true },
      );
    }
    if (error instanceof NotConnectJson) {
      return fail(
        'source_unavailable',
        `The answer for ${itemWords} is not what ${STORE} sends.`,
        'Check OP_CONNECT_HOST (a proxy may answer in its place), then try again.',
        provider,
        { status: error.status, retryable: true },
      );
    }
    const failure = (typeof error === 'object' && error !== null ? error : {}) as ConnectFailure;
    const status = typeof failure.status === 'number' ? failure.status : undefined;
    const said = typeof error === 'string' ? '' : storeText(failure.message);
    const quoted = said === '' ? '' : ` (${said})`;
    // fetch() fails with a TypeError whose cause holds Node's code (ECONNREFUSED, …).
    const cause = (failure as { cause?: { code?: unknown } }).cause;
    const code =
      typeof failure.code === 'string' ? failure.code : typeof cause?.code === 'string' ? cause.code : '';
    if (status === 401) {
      return fail(
        'source_unavailable',
        `${STORE} refused the Connect token${quoted} while reading ${itemWords}.`,
        'Check OP_CONNECT_TOKEN: the token may be revoked or expired, or issued for another Connect server.',
        provider,
        { status },
      );
    }
    if (status === 403) {
      return fail(
        'source_unavailable',
        `${STORE} refused the Connect token access to the vault "${location.vault}"${quoted}.`,
        `Give the Connect token read access to the vault "${location.vault}" (a token made with op connect token create --vault), and the Connect server access to that vault.`,
        provider,
        { status },
      );
    }
    if (status === 404) {
      return step === 'vault'
        ? fail(
            'missing',
            `${STORE} has no vault "${location.vault}" that the Connect token can see${quoted}.`,
            'Check the vault name in the reference, and that the Connect token has access to that vault.',
            provider,
            { status },
          )
        : fail(
            'missing',
            `${STORE} has no item "${location.item}" in the vault "${location.vault}"${quoted}.`,
            'Check the item title in the reference (or use its id), or create the item.',
            provider,
            { status },
          );
    }
    if (status === 400 && /multiple/i.test(said)) {
      return fail(
        'missing',
        `${STORE} found several ${step === 'vault' ? `vaults named "${location.vault}"` : `items titled "${location.item}"`}${quoted}.`,
        'Use the id instead of the name in the reference (op item get … --format json shows it).',
        provider,
        { status },
      );
    }
    if (status !== undefined && (status >= 500 || status === 429 || status === 408)) {
      return fail(
        'source_unavailable',
        `${STORE} answered HTTP ${status} while reading ${itemWords}${quoted}.`,
        'The Connect server (or 1Password behind it) is unavailable for now; try again shortly.',
        provider,
        { status, retryable: true },
      );
    }
    if (code !== '' && /CERT|SELF_SIGNED|VERIFY|ISSUER|ALTNAME|TLS|SSL|EPROTO/.test(code)) {
      return fail(
        'source_unavailable',
        `The TLS certificate of the Connect server was not accepted (${code}) while reading ${itemWords}.`,
        'Serve Connect with a certificate this machine trusts, or add its CA with NODE_EXTRA_CA_CERTS; check that the address matches the certificate.',
        provider,
      );
    }
    if (code !== '') {
      return fail(
        'source_unavailable',
        `${STORE} could not be reached (${code}) while reading ${itemWords}.`,
        'Check that the Connect server is up and reachable from here (OP_CONNECT_HOST), then try again.',
        provider,
        { retryable: NETWORK_CODES.has(code) },
      );
    }
    if (status === undefined) {
      // A body the SDK could not read: a proxy's page, a cut-off answer.
      return fail(
        'source_unavailable',
        `The answer for ${itemWords} is not what ${STORE} sends.`,
        'Check OP_CONNECT_HOST (a proxy may answer in its place), then try again.',
        provider,
        { retryable: true },
      );
    }
    return fail(
      'source_unavailable',
      `${STORE} answered HTTP ${status} while reading ${itemWords}${quoted}.`,
      'Check the reference and the Connect server configuration.',
      provider,
      { status },
    );
  }

  async function readItem(
    provider: ProviderId | undefined,
    signal: AbortSignal,
    fresh: boolean,
  ): Promise<ConnectItem> {
    const limit = deadline(signal, timeoutMs);
    let step: 'vault' | 'item' = 'vault';
    try {
      const client = await clientFor(provider, fresh, limit.signal);
      const vault = await client.getVault(location.vault);
      if (typeof vault !== 'object' || vault === null || typeof vault.id !== 'string') {
        throw new NotConnectJson(200);
      }
      step = 'item';
      const item = await client.getItem(vault.id, location.item);
      if (typeof item !== 'object' || item === null || !Array.isArray(item.fields))
        throw new Error('not an item');
      return item;
    } catch (error) {
      throw translate(error, step, provider, limit.timedOut());
    } finally {
      limit.done();
    }
  }

  function fieldOf(item: ConnectItem, provider: ProviderId | undefined): ConnectField {
    const fields = (item.fields as unknown[]).filter(
      (field): field is ConnectField => typeof field === 'object' && field !== null,
    );
    let candidates = fields;
    if (location.section !== undefined) {
      const sections = (Array.isArray(item.sections) ? item.sections : []) as {
        id?: unknown;
        label?: unknown;
      }[];
      const wanted = location.section.toLowerCase();
      const section = sections.find(
        (entry) =>
          entry?.id === location.section ||
          (typeof entry?.label === 'string' && entry.label.toLowerCase() === wanted),
      );
      if (section === undefined) {
        throw fail(
          'missing',
          `The item "${location.item}" in the vault "${location.vault}" has no section "${location.section}".`,
          'Fix the section in the reference (op://VAULT/ITEM/SECTION/FIELD), or leave it out.',
          provider,
        );
      }
      candidates = fields.filter((field) => field.section?.id === section.id);
    }
    const wanted = location.field.toLowerCase();
    const byId = candidates.filter((field) => field.id === location.field);
    const byLabel = candidates.filter(
      (field) => typeof field.label === 'string' && field.label.toLowerCase() === wanted,
    );
    const found = byId.length > 0 ? byId : byLabel;
    if (found.length === 0) {
      const labels = candidates
        .map((field) =>
          typeof field.label === 'string' ? JSON.stringify(field.label.slice(0, 40)) : undefined,
        )
        .filter((label) => label !== undefined);
      const shown = labels.length > 8 ? `${labels.slice(0, 8).join(', ')}, …` : labels.join(', ');
      throw fail(
        'missing',
        `${capitalise(itemWords)} has no ${fieldWords}${shown === '' ? '' : ` (it has ${shown})`}.`,
        'Fix the field in the reference (its label or id), or add the key under that field.',
        provider,
      );
    }
    if (found.length > 1) {
      throw fail(
        'missing',
        `${capitalise(itemWords)} has several fields labelled "${location.field}".`,
        'Name the section too (op://VAULT/ITEM/SECTION/FIELD), or use the field id.',
        provider,
      );
    }
    return found[0] as ConnectField;
  }

  async function read(provider: ProviderId | undefined, signal: AbortSignal, fresh: boolean) {
    let item: ConnectItem;
    try {
      item = await readItem(provider, signal, fresh);
    } catch (error) {
      // A token read from a source may have been renewed since: read it again, once.
      if (!(CredentialError.is(error) && error.status === 401 && isKeySource(tokenOption) && !fresh))
        throw error;
      item = await readItem(provider, signal, true);
    }
    const field = fieldOf(item, provider);
    if (typeof field.value !== 'string' || field.value === '') {
      throw fail(
        'missing',
        `The ${fieldWords} of ${itemWords} is empty.`,
        'Put the key in that field.',
        provider,
      );
    }
    const value = cleanKeyValue(field.value, { source: described, provider });
    const updated =
      item.updatedAt instanceof Date
        ? item.updatedAt
        : typeof item.updatedAt === 'string'
          ? new Date(item.updatedAt)
          : undefined;
    return {
      value,
      changedAt: updated !== undefined && !Number.isNaN(updated.getTime()) ? updated : undefined,
    };
  }

  return cachedRemoteSource({
    describe: described,
    store: '1Password',
    ttlMs,
    graceMs,
    read: (provider, signal) => read(provider, signal, false),
  });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
