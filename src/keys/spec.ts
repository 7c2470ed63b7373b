/**
 * `keys.from()`: key sources from spec strings (`env:OPENAI_API_KEY`, `file:./key#field`), as
 * `createClient` and configuration files take them. The parser is a table of schemes: adding a
 * scheme (`vault://`, `keystore:`) is one entry in `SPEC_SCHEMES`.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { misplacedKeyError } from './clean.js';
import { env } from './env.js';
import { file } from './file.js';
import { keystore } from './keystore.js';
import { parsePoolSpec } from './pool.js';
import { looksLikeKey } from './shapes.js';
import { KeySpecError } from './spec-error.js';
import { awsSecretsManager } from './stores/aws-secrets-manager.js';
import { azureKeyVault } from './stores/azure-key-vault.js';
import { gcpSecretManager } from './stores/gcp-secret-manager.js';
import { onePassword } from './stores/onepassword.js';
import { isKeySource, type KeySource } from './types.js';
import { vault } from './vault/source.js';

export { KeySpecError };

/** One scheme of spec strings. */
export interface SpecScheme {
  /** The scheme before the colon, in lower case, e.g. `env`. */
  readonly scheme: string;
  /** The forms it accepts, listed in hints, e.g. `file:PATH#field`. */
  readonly forms: readonly string[];
  /** Builds the source from what follows `scheme:`; throws `KeySpecError` when it cannot. */
  readonly parse: (rest: string) => KeySource;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseEnv(rest: string): KeySource {
  const trimmed = rest.trim();
  if (trimmed === '') return env();
  const names = trimmed.split('|').map((name) => name.trim());
  for (const name of names) {
    // A key checked first: many keys (AIza…, hex) are also valid variable names.
    if (looksLikeKey(name)) {
      throw misplacedKeyError(
        'an environment variable name',
        "Put the key in an environment variable and pass 'env:NAME', or use keys.literal(value).",
        'keys.from()',
      );
    }
    if (ENV_NAME.test(name)) continue;
    throw new KeySpecError(
      'An env: spec names a variable that is not a valid name (the name is not shown).',
      `Write env:NAME with letters, digits and _ only, env:NAME|OTHER for several, or env: for the provider's default variables. ${formsHint()}`,
    );
  }
  return env(...names);
}

function parseFile(rest: string): KeySource {
  // The field follows the last `#`: paths may contain `#`, field names do not.
  const hash = rest.lastIndexOf('#');
  let path = hash < 0 ? rest : rest.slice(0, hash);
  const field = hash < 0 ? '' : rest.slice(hash + 1).trim();
  // file:///abs/path is a file URL; file:./relative and file:/abs are plain paths.
  if (path.startsWith('//')) {
    try {
      path = fileURLToPath(`file:${path}`);
    } catch {
      throw new KeySpecError(
        'A file:// spec is not a valid file URL.',
        `Write file:///absolute/path or file:PATH. ${formsHint()}`,
      );
    }
  }
  if (path.trim() === '')
    throw new KeySpecError('A file: spec has no path.', `Write file:PATH or file:PATH#field. ${formsHint()}`);
  return file(path, field === '' ? {} : { field });
}

/** The schemes `keys.from()` reads, in the order they are listed in hints. Add a scheme here. */
export const SPEC_SCHEMES: readonly SpecScheme[] = [
  { scheme: 'env', forms: ['env:NAME', 'env:NAME|OTHER', 'env: (the provider default)'], parse: parseEnv },
  { scheme: 'file', forms: ['file:PATH', 'file:PATH#field'], parse: parseFile },
  {
    scheme: 'keystore',
    forms: ['keystore:NAME'],
    parse: (rest) => {
      const name = rest.trim();
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || looksLikeKey(name)) {
        throw new KeySpecError(
          'A keystore: spec needs an entry name (letters, digits, ".", "_", "-").',
          `Write keystore:NAME, e.g. keystore:openai. ${formsHint()}`,
        );
      }
      return keystore(name);
    },
  },
  {
    scheme: 'pool',
    forms: ['pool:env:PREFIX* (every variable whose name starts so)', 'pool:SPEC,SPEC'],
    parse: (rest) => parsePoolSpec(rest),
  },
  {
    scheme: 'vault',
    forms: ['vault://HOST[:PORT]/MOUNT/PATH#field', 'vault:///MOUNT/PATH#field (VAULT_ADDR)'],
    parse: (rest) => vault(`vault:${rest}`),
  },
  {
    scheme: 'gcp-sm',
    forms: ['gcp-sm://PROJECT/SECRET[/VERSION]#field (Google Secret Manager)'],
    parse: (rest) => gcpSecretManager(`gcp-sm:${rest}`),
  },
  {
    scheme: 'azure-kv',
    forms: ['azure-kv://VAULT_NAME/SECRET[/VERSION]#field (Azure Key Vault)'],
    parse: (rest) => azureKeyVault(`azure-kv:${rest}`),
  },
  {
    scheme: 'https',
    forms: ['https://HOST:PORT/v1/MOUNT/data/PATH#field (Vault)'],
    parse: (rest) => vault(`https:${rest}`),
  },
  {
    scheme: 'http',
    forms: ['http://127.0.0.1:8200/v1/… (Vault on this machine)'],
    parse: (rest) => vault(`http:${rest}`),
  },
  {
    scheme: 'aws-sm',
    forms: ['aws-sm://REGION/SECRET_ID#field (AWS Secrets Manager; ?stage=LABEL or ?versionId=ID)'],
    parse: (rest) => awsSecretsManager(`aws-sm:${rest}`),
  },
  {
    scheme: 'op',
    forms: ['op://VAULT/ITEM/[SECTION/]FIELD (1Password Connect)'],
    parse: (rest) => onePassword(`op:${rest}`),
  },
];

/** The accepted forms, for hints: every scheme's forms, then a KeySource. */
function formsHint(): string {
  const forms = SPEC_SCHEMES.flatMap((scheme) => scheme.forms).join(', ');
  return `Accepted: ${forms}, or a KeySource such as keys.literal(value).`;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s;

/**
 * A key source from a spec string, or `spec` itself when it is already a `KeySource`.
 * Accepts `env:NAME`, `env:A|B`, `env:` (the provider's default variables), `file:PATH`,
 * `file:PATH#field`, and Vault URLs (`vault://HOST/MOUNT/PATH#field`, `vault:///MOUNT/PATH#field`,
 * `https://HOST:8200/v1/MOUNT/data/PATH#field`; see `keys.vault()`) and `keystore:NAME` (see
 * `keys.keystore()`), and `pool:` for several keys (`pool:env:PREFIX*`, `pool:SPEC,SPEC`; see
 * `keys.pool()`), `aws-sm://REGION/SECRET_ID#field` (see `keys.awsSecretsManager()`) and
 * `op://VAULT/ITEM/FIELD` (see `keys.onePassword()`). Anything else throws a `KeySpecError` listing the accepted forms; a key
 * passed by mistake throws a `CredentialError` (`malformed`) that does not show it.
 *
 * @example
 * keys.from('env:OPENAI_API_KEY');
 * keys.from('file:./secrets/app.json#openai.key');
 * keys.from('vault://vault.internal/secret/openai#api_key');
 */
export function from(spec: string | KeySource): KeySource {
  if (isKeySource(spec)) return spec;
  if (typeof spec !== 'string') {
    throw new KeySpecError(
      `keys.from() needs a spec string or a KeySource, not ${spec === null ? 'null' : typeof spec}.`,
      formsHint(),
    );
  }
  const text = spec.trim();
  if (text === '') throw new KeySpecError('The key source spec is empty.', formsHint());
  if (looksLikeKey(text)) {
    throw misplacedKeyError(
      'a key source (env:NAME, file:PATH, …)',
      "Use keys.literal(value) or put it in an environment variable and pass 'env:NAME'.",
      'keys.from()',
    );
  }
  const match = SCHEME.exec(text);
  if (match === null) throw noScheme(text);
  const scheme = (match[1] ?? '').toLowerCase();
  const rest = match[2] ?? '';
  const entry = SPEC_SCHEMES.find((candidate) => candidate.scheme === scheme);
  if (entry !== undefined) return entry.parse(rest);
  if (scheme.length === 1 && /^[\\/]/.test(rest)) {
    // A Windows path such as C:\keys\openai.key.
    throw new KeySpecError(
      'A key source spec looks like a Windows path without a scheme.',
      `Write file:${text}. ${formsHint()}`,
    );
  }
  // Only the scheme is shown: the rest may hold credentials (user:password@host, tokens).
  const shown = scheme.length <= 16 ? `"${scheme}:…"` : 'with this scheme';
  throw new KeySpecError(`keycard cannot read a key source ${shown}.`, formsHint());
}

/** A spec without `scheme:`. A variable name or a path is shown back in the suggestion; anything else is not. */
function noScheme(text: string): KeySpecError {
  if (/^[A-Z_][A-Z0-9_]*$/.test(text)) {
    return new KeySpecError(`A key source spec has no scheme; did you mean 'env:${text}'?`, formsHint());
  }
  if (/^(?:\.{1,2}[\\/]|~[\\/]|\/)/.test(text) || /[\\/]/.test(text)) {
    return new KeySpecError(`A key source spec has no scheme; did you mean 'file:${text}'?`, formsHint());
  }
  return new KeySpecError('A key source spec has no scheme (it is not shown here).', formsHint());
}
