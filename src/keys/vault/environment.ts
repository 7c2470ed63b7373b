/**
 * Vault's environment conventions, as the Vault and OpenBao CLIs read them: `BAO_*` wins when it
 * is set (even empty), else `VAULT_*`. Read when a key is resolved, not when the source is made.
 * @module
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Vault's default address when nothing is configured. */
export const DEFAULT_VAULT_ADDR = 'https://127.0.0.1:8200';

/** `BAO_NAME` when set (even to ''), else `VAULT_NAME`; empty values count as unset for the caller. */
export function readVaultVariable(name: string): string | undefined {
  const bao = process.env[`BAO_${name}`];
  const value = bao !== undefined ? bao : process.env[`VAULT_${name}`];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The variable name that was read for `name`, for messages: `BAO_ADDR` or `VAULT_ADDR`. */
export function vaultVariableName(name: string): string {
  return process.env[`BAO_${name}`] !== undefined ? `BAO_${name}` : `VAULT_${name}`;
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
