/**
 * Vault's environment conventions: `VAULT_*`, with OpenBao's `BAO_*` names as fallbacks. (The
 * OpenBao CLI itself prefers `BAO_*`; keycard is a Vault client first, so a `VAULT_*` variable
 * that is set wins.) Read when a key is resolved, not when the source is made.
 * @module
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Vault's default address when nothing is configured. */
export const DEFAULT_VAULT_ADDR = 'https://127.0.0.1:8200';

function present(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** `VAULT_NAME` when set and not empty, else `BAO_NAME`, else `undefined`. */
export function readVaultVariable(name: string): string | undefined {
  return present(`VAULT_${name}`) ?? present(`BAO_${name}`);
}

/** The variable read for `name`, for messages: `VAULT_ADDR`, or `BAO_ADDR` when only that is set. */
export function vaultVariableName(name: string): string {
  return present(`VAULT_${name}`) === undefined && present(`BAO_${name}`) !== undefined
    ? `BAO_${name}`
    : `VAULT_${name}`;
}

/** The address for `vault:///…`: the agent address, else the server address, else Vault's default. */
export function addressFromEnvironment(): { address: string; agent: boolean; from: string } {
  const agent = readVaultVariable('AGENT_ADDR');
  if (agent !== undefined) return { address: agent, agent: true, from: vaultVariableName('AGENT_ADDR') };
  const address = readVaultVariable('ADDR');
  if (address !== undefined) return { address, agent: false, from: vaultVariableName('ADDR') };
  return { address: DEFAULT_VAULT_ADDR, agent: false, from: 'the default address' };
}

/** Whether a Vault agent or proxy attaches the token (a missing token is then fine). */
export function agentConfigured(): boolean {
  return readVaultVariable('AGENT_ADDR') !== undefined;
}

/** The token helper's file: `BAO_TOKEN_PATH`, `VAULT_TOKEN_FILE`, else `~/.vault-token`. */
export function tokenFilePath(): string {
  return (
    process.env['BAO_TOKEN_PATH']?.trim() ||
    process.env['VAULT_TOKEN_FILE']?.trim() ||
    join(homedir(), '.vault-token')
  );
}
