/**
 * `keycard/testing`: provider simulators for tests, demos and benchmarks. A real HTTP server on
 * 127.0.0.1 speaks each provider's wire format, so the official SDKs run unchanged over real HTTP,
 * with keys that can be revoked, faults on demand, and a tally of every token served.
 * @module
 */

export {
  type AwsSecretsManagerFault,
  type AwsSecretsManagerRequestRecord,
  type AwsSecretsManagerSimulator,
  type AwsSecretsManagerSimulatorOptions,
  type SimulatedAwsCredentials,
  startAwsSecretsManagerSimulator,
} from './aws-secrets-manager.js';
export {
  type AzureKeyVaultFault,
  type AzureKeyVaultRequest,
  type AzureKeyVaultSimulator,
  type AzureKeyVaultSimulatorOptions,
  type AzureSimulatedApplication,
  startAzureKeyVaultSimulator,
} from './azure-key-vault.js';
export { fakeKey } from './fake-keys.js';
export {
  type GcpSecretManagerFault,
  type GcpSecretManagerRequest,
  type GcpSecretManagerSimulator,
  startGcpSecretManagerSimulator,
} from './gcp-secret-manager.js';
export {
  type OnePasswordConnectFault,
  type OnePasswordConnectRequestRecord,
  type OnePasswordConnectSimulator,
  type OnePasswordConnectSimulatorOptions,
  type SimulatedOnePasswordField,
  type SimulatedOnePasswordItem,
  startOnePasswordConnectSimulator,
} from './onepassword-connect.js';
export { startSimulator } from './simulator.js';
export type { CommonStoreFault } from './store-server.js';
export type {
  FailNextOptions,
  SimulatedRequest,
  SimulatedUsage,
  Simulator,
  SimulatorCounts,
  SimulatorFault,
  SimulatorOptions,
  SimulatorTally,
  SimulatorTallyRow,
} from './types.js';
export {
  startVaultSimulator,
  type VaultFault,
  type VaultRequestRecord,
  type VaultSimulator,
  type VaultSimulatorOptions,
} from './vault.js';
