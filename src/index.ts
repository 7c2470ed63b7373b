/**
 * keycard: credential-aware clients for AI and messaging SDKs.
 *
 * `createClient(provider, keySource)` returns the official SDK, with the key kept out of sight,
 * every call metered into a ledger, and one `CredentialError` for every bad-key case.
 * @module
 */

export {
  type AlertChannel,
  type AlertsOption,
  alertToSlack,
  alertToTelegram,
  alertToWebhook,
  type SlackAlertChannel,
  type TelegramAlertChannel,
  type WebhookAlertChannel,
} from './alerts/channels.js';
export {
  type ClientOptions,
  createClient,
  type KeycardClient,
  type RefreshResult,
  type VerifyResult,
} from './client.js';
export {
  CREDENTIAL_REASONS,
  CredentialError,
  type CredentialErrorOptions,
  type CredentialFields,
  type CredentialReason,
  isCredentialError,
  isKeycardError,
  KeycardError,
  type KeycardErrorOptions,
  type SdkCredentialError,
} from './errors.js';
export { createFetch, type FetchOptions, findKeycardError, type KeycardFetch } from './fetch.js';
export type { PoolMemberState, PoolMemberStatus } from './instrument/key-pool.js';
export {
  type AppRoleOptions,
  type AwsCredentials,
  type AwsCredentialsProvider,
  type AwsSecretsManagerOptions,
  type AzureKeyVaultOptions,
  type AzureTokenCredential,
  type FileSourceOptions,
  type GcpSecretManagerOptions,
  type GcpServiceAccountKey,
  isKeyPool,
  type KeyPool,
  KeySpecError,
  Keystore,
  type KeystoreAddOptions,
  type KeystoreEntryInfo,
  type KeystoreOptions,
  keys,
  type LiteralOptions,
  type OnePasswordOptions,
  type OpenKeystoreOptions,
  openKeystore,
  type PoolMember,
  type PoolOptions,
  type PoolRequest,
  type PoolStrategy,
  type VaultSourceOptions,
} from './keys/index.js';
export { isKeySource, type KeySource, type ResolveOptions } from './keys/types.js';
export { BaseLedger, type LedgerOptions, type PendingEvent, type Reservation } from './ledger/base.js';
export {
  type Budget,
  type BudgetAlert,
  BudgetExceededError,
  type BudgetScope,
  type BudgetScopeName,
  type ResolvedBudget,
  type Spend,
} from './ledger/budget.js';
export { type CallbackLedgerOptions, callbackLedger } from './ledger/callback.js';
export type { PriceEntry } from './ledger/custom-prices.js';
export { defaultLedger } from './ledger/default.js';
export type { JsonlLedgerOptions } from './ledger/jsonl.js';
export { MemoryLedger, memoryLedger } from './ledger/memory.js';
export { type OpenLedgerOptions, openLedger } from './ledger/open.js';
export type { PostgresLedgerOptions } from './ledger/postgres.js';
export { PRICE_DATA } from './ledger/pricing.js';
export type { SqliteLedgerOptions } from './ledger/sqlite.js';
export type { SqliteDriverChoice, SqliteDriverName } from './ledger/sqlite-driver.js';
export { type Tags, withTags } from './ledger/tags.js';
export type {
  KeyUsage,
  Ledger,
  TokenUsage,
  TotalsDimension,
  TotalsQuery,
  TotalsRow,
  UsageEvent,
  UsageOutcome,
} from './ledger/types.js';
export {
  LedgerUnavailableError,
  type LedgerUnavailableOptions,
  type LedgerWarning,
} from './ledger/unavailable.js';
export {
  type BudgetFacts,
  type CredentialFacts,
  localizeError,
  type Message,
  type MessageAudience,
  type MessageCatalog,
  type MessageOptions,
  messageLanguages,
  registerMessages,
} from './messages/index.js';
export {
  type BuiltInProviderId,
  isProviderId,
  PROVIDER_IDS,
  PROVIDERS,
  type ProviderId,
  type ProviderInfo,
  providerIds,
  type RegisteredProviders,
} from './providers/ids.js';
export type { OpenAISdkOptions, OpenAISdkSource } from './providers/openai-compatible.js';
export {
  type CustomProviderAdapter,
  type CustomProviderDefinition,
  isRegisteredProvider,
  type OpenAICompatibleProviderDefinition,
  type ProviderDefinition,
  type ProviderDefinitionBase,
  type ProviderKeyShape,
  type RegisteredProvider,
  registerProvider,
} from './providers/register.js';
export type {
  ProviderChoice,
  ProviderIdOf,
  SdkFor,
  SdkOptionsFor,
  SdkSourceFor,
  SupportedProvider,
} from './providers/registry.js';
export type {
  AdapterContext,
  FailureClass,
  HttpHooks,
  KeyIdentity,
  MeteredCall,
  OutgoingRequest,
  ProviderAdapter,
  ProviderFailure,
  RequestPlan,
  ResponseUsage,
  SdkLogger,
  StreamUsageReader,
} from './providers/types.js';
export { installRedaction, type RedactionGuardOptions } from './redact/guard.js';
export { type LoggerLike, redactingLogger } from './redact/logger.js';
export { redactError, redactText, redactValue } from './redact/redactor.js';
export { fingerprintKey, maskKey, Secret, type SecretOptions } from './secret.js';
