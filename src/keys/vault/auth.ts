/**
 * Where a Vault source gets its token: the `token` option, AppRole (`appRole` option, or
 * `VAULT_ROLE_ID` and `VAULT_SECRET_ID`), `VAULT_TOKEN`, the token helper's file
 * (`~/.vault-token`), or none when a Vault agent attaches it. A token is a `Secret`, so the
 * redactor knows it; an AppRole token is renewed by logging in again before it expires, and
 * after Vault refused it.
 * @module
 */
import { access } from 'node:fs/promises';
import { forAudience } from '../../audience.js';
import { CredentialError } from '../../errors.js';
import { Secret } from '../../secret.js';
import { env } from '../env.js';
import { file } from '../file.js';
import { isKeySource, type KeySource } from '../types.js';
import { agentConfigured, readVaultVariable, tokenFilePath, vaultVariableName } from './environment.js';
import type { VaultHttpResponse } from './http.js';

/** AppRole credentials: each a value or a `KeySource` such as `keys.env('VAULT_SECRET_ID')`. */
export interface AppRoleOptions {
  /** The role id (not secret on its own, but kept out of logs all the same). */
  roleId: string | KeySource;
  /** The secret id. */
  secretId: string | KeySource;
  /**
   * The path the AppRole auth method is mounted at.
   * @default 'approle'
   */
  mount?: string | undefined;
}

/** How a request to Vault is authorised. */
export interface VaultToken {
  /** The token to send; `undefined` when a Vault agent attaches it. */
  secret: Secret | undefined;
  /** Where it came from, for messages: `VAULT_TOKEN`, `~/.vault-token`, `AppRole login`, … */
  origin: string;
}

/** Sends a login request; given by the source, which knows the address, namespace and TLS. */
export type LoginRequest = (path: string, body: Record<string, string>) => Promise<VaultHttpResponse>;

/** A new login this long before the token expires (or a tenth of its lifetime, if shorter). */
const RENEW_MARGIN_MS = 10_000;

interface AppRoleState {
  token: Secret;
  /** When to log in again: shortly before the token expires. */
  renewAt: number;
}

export class VaultAuth {
  readonly #tokenOption: KeySource | Secret | undefined;
  readonly #appRoleOption: AppRoleOptions | undefined;
  readonly #source: string;
  readonly #login: LoginRequest;
  #appRole: AppRoleState | undefined;
  #loggingIn: Promise<AppRoleState> | undefined;

  constructor(
    options: { token?: string | KeySource | undefined; appRole?: AppRoleOptions | undefined },
    source: string,
    login: LoginRequest,
  ) {
    const { token, appRole } = options;
    if (typeof token === 'string') {
      if (token.trim() === '') throw new TypeError('keys.vault(): the token option is empty');
      this.#tokenOption = new Secret(token.trim(), { source: 'vault token option' });
    } else if (token !== undefined) {
      if (!isKeySource(token)) throw new TypeError('keys.vault(): token must be a string or a KeySource');
      this.#tokenOption = token;
    }
    if (appRole !== undefined) {
      if (appRole.roleId === undefined || appRole.secretId === undefined) {
        throw new TypeError('keys.vault(): appRole needs roleId and secretId');
      }
      if (typeof appRole.secretId === 'string') {
        // Registered with the redactor now, before anything could print it.
        new Secret(appRole.secretId, { source: 'vault AppRole secret id' });
      }
    }
    this.#appRoleOption = appRole;
    this.#source = source;
    this.#login = login;
  }

  /**
   * The token to use now. `fresh` reads a token source again and logs in again; it is used
   * after Vault refused a token, not for every fresh read of a key.
   */
  async token(fresh = false): Promise<VaultToken> {
    const tokenOption = this.#tokenOption;
    if (tokenOption instanceof Secret) return { secret: tokenOption, origin: 'the token option' };
    if (tokenOption !== undefined) {
      return { secret: await tokenOption.resolve({ fresh }), origin: tokenOption.describe() };
    }
    const appRole = this.#appRoleCredentials();
    if (appRole !== undefined)
      return { secret: (await this.#appRoleToken(appRole, fresh)).token, origin: 'AppRole login' };
    if (readVaultVariable('TOKEN') !== undefined) {
      const name = vaultVariableName('TOKEN');
      return { secret: await env(name).resolve({ fresh }), origin: name };
    }
    const path = tokenFilePath();
    if (await exists(path)) return { secret: await file(path).resolve({ fresh }), origin: path };
    if (agentConfigured())
      return { secret: undefined, origin: `the Vault agent at ${vaultVariableName('AGENT_ADDR')}` };
    throw new CredentialError({
      reason: 'source_unavailable',
      message: `No Vault token to read ${this.#source}: VAULT_TOKEN is not set and ${path} does not exist.`,
      hint: `Set VAULT_TOKEN (or run vault login)${forAudience(', pass { token } or { appRole } to keys.vault()', '')}, or set VAULT_AGENT_ADDR to go through a Vault agent.`,
      source: this.#source,
    });
  }

  /**
   * After Vault refused `used` (403: expired, revoked or lacking a policy): whether another token
   * is available now (an AppRole login, or a token source that changed).
   */
  async renew(used: VaultToken): Promise<boolean> {
    if (used.secret === undefined) return false;
    const appRole = this.#tokenOption === undefined ? this.#appRoleCredentials() : undefined;
    if (appRole !== undefined) {
      // Another caller may have logged in again already.
      const current = this.#appRole;
      if (current !== undefined && current.token.fingerprint !== used.secret.fingerprint) return true;
      const state = await this.#appRoleToken(appRole, true);
      return state.token.fingerprint !== used.secret.fingerprint;
    }
    const again = await this.token(true);
    return again.secret !== undefined && again.secret.fingerprint !== used.secret.fingerprint;
  }

  #appRoleCredentials(): AppRoleOptions | undefined {
    if (this.#appRoleOption !== undefined) return this.#appRoleOption;
    if (readVaultVariable('ROLE_ID') !== undefined && readVaultVariable('SECRET_ID') !== undefined) {
      return { roleId: env(vaultVariableName('ROLE_ID')), secretId: env(vaultVariableName('SECRET_ID')) };
    }
    return undefined;
  }

  #appRoleToken(options: AppRoleOptions, fresh: boolean): Promise<AppRoleState> {
    const state = this.#appRole;
    if (!fresh && state !== undefined && Date.now() < state.renewAt) return Promise.resolve(state);
    this.#loggingIn ??= this.#loginWith(options).finally(() => {
      this.#loggingIn = undefined;
    });
    return this.#loggingIn;
  }

  async #loginWith(options: AppRoleOptions): Promise<AppRoleState> {
    const mount = (options.mount ?? 'approle').replace(/^\/+|\/+$/g, '');
    const roleId = await credential(options.roleId);
    const secretId = await credential(options.secretId);
    const response = await this.#login(`auth/${mount}/login`, { role_id: roleId, secret_id: secretId });
    const body = parseObject(response.text);
    const auth = body?.['auth'] as Record<string, unknown> | null | undefined;
    const token = auth?.['client_token'];
    if (response.status >= 400 || typeof token !== 'string' || token === '') {
      const denied = response.status === 400 || response.status === 403;
      throw new CredentialError({
        reason: 'source_unavailable',
        message: `The AppRole login at auth/${mount} for ${this.#source} failed (HTTP ${response.status})${vaultErrorsText(body)}.`,
        hint: denied
          ? 'Check the role id and secret id (secret ids can expire or be limited in uses) and the AppRole mount path.'
          : 'Check that Vault is up and reachable, then try again.',
        source: this.#source,
        status: response.status,
        retryable: !denied,
      });
    }
    const leaseSeconds = typeof auth?.['lease_duration'] === 'number' ? auth['lease_duration'] : 0;
    const state: AppRoleState = {
      token: new Secret(token, { source: `vault AppRole auth/${mount}` }),
      renewAt:
        leaseSeconds > 0
          ? Date.now() + leaseSeconds * 1000 - Math.min(RENEW_MARGIN_MS, leaseSeconds * 100)
          : Number.POSITIVE_INFINITY,
    };
    this.#appRole = state;
    return state;
  }
}

async function credential(value: string | KeySource): Promise<string> {
  if (typeof value === 'string') return value;
  return (await value.resolve({})).reveal();
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A JSON object, or `undefined` for anything else. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `: permission denied` from Vault's `{"errors": […]}`, cut short; `''` when there is none. */
export function vaultErrorsText(body: Record<string, unknown> | undefined): string {
  const errors = body?.['errors'];
  if (!Array.isArray(errors)) return '';
  const text = errors
    .filter((item): item is string => typeof item === 'string')
    .map((item) =>
      item
        .replace(/^\d+ errors? occurred:\s*/, '')
        .replace(/\s*\*\s*/g, ' ')
        .trim(),
    )
    .filter((item) => item !== '')
    .join('; ');
  if (text === '') return '';
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
