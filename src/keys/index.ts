/**
 * Key sources: where a key comes from (`keys.env`, `keys.file`, `keys.literal`, `keys.chain`, `keys.pool`,
 * `keys.from`, `keys.vault`, `keys.keystore`, `keys.awsSecretsManager`, `keys.onePassword`), never what it is. No module here imports zod
 * except `check-shape.ts` (`zod/mini`, which keycard loads lazily) and `schemas.ts` (zod's full
 * build, for `keycard/shapes`).
 * @module
 */
import { chain } from './chain.js';
import { env } from './env.js';
import { file } from './file.js';
import { keystore } from './keystore.js';
import { literal } from './literal.js';
import { pool } from './pool.js';
import { from } from './spec.js';
import { awsSecretsManager } from './stores/aws-secrets-manager.js';
import { azureKeyVault } from './stores/azure-key-vault.js';
import { gcpSecretManager } from './stores/gcp-secret-manager.js';
import { onePassword } from './stores/onepassword.js';
import { vault } from './vault/source.js';

/**
 * The built-in key sources.
 *
 * @example
 * const source = keys.chain(keys.env('OPENAI_API_KEY'), keys.file('./secrets/openai.key'));
 */
export const keys = {
  env,
  file,
  literal,
  chain,
  pool,
  from,
  vault,
  gcpSecretManager,
  azureKeyVault,
  keystore,
  awsSecretsManager,
  onePassword,
} as const;

export type { CleanContext } from './clean.js';
export type { FileSourceOptions } from './file.js';
export {
  Keystore,
  type KeystoreAddOptions,
  type KeystoreEntryInfo,
  type KeystoreOptions,
  type OpenKeystoreOptions,
  openKeystore,
} from './keystore.js';
export type { LiteralOptions } from './literal.js';
export {
  isKeyPool,
  type KeyPool,
  type PoolMember,
  type PoolOptions,
  type PoolRequest,
  type PoolStrategy,
} from './pool.js';
export type { KeyShape, UnusableShape } from './shapes.js';
export type { SpecScheme } from './spec.js';
export { KeySpecError } from './spec.js';
export type {
  AwsCredentials,
  AwsCredentialsProvider,
  AwsSecretsManagerOptions,
} from './stores/aws-secrets-manager.js';
export type { AzureKeyVaultOptions, AzureTokenCredential } from './stores/azure-key-vault.js';
export type { GcpSecretManagerOptions, GcpServiceAccountKey } from './stores/gcp-secret-manager.js';
export type { OnePasswordOptions } from './stores/onepassword.js';
export type { KeySource, ResolveOptions } from './types.js';
export type { AppRoleOptions } from './vault/auth.js';
export type { VaultSourceOptions } from './vault/source.js';
