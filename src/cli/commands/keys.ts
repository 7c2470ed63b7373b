/**
 * `keycard keys add|list|rotate|rm`: the encrypted keystore. A key is read from a hidden prompt
 * or standard input, never from the command line.
 * @module
 */
import type { Command } from 'commander';
import { type KeystoreEntryInfo, openKeystore } from '../../keys/keystore.js';
import { copyToAwsSecretsManager } from '../../keys/stores/aws-secrets-manager.js';
import { isProviderId, providerIds } from '../../providers/ids.js';
import { CliError, colors, day, json, out, table } from '../output.js';
import { readSecret } from '../prompt.js';

interface StoreOptions {
  path?: string;
  passphraseEnv?: string;
}

function store(options: StoreOptions) {
  const variable = options.passphraseEnv ?? 'KEYCARD_PASSPHRASE';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
    throw new CliError('keycard keys: --passphrase-env takes a variable name.', 2);
  return openKeystore({ path: options.path, passphrase: `env:${variable}` });
}

function describe(entry: KeystoreEntryInfo): string {
  return `${entry.name} (${entry.provider ?? 'key'} ${entry.maskedId}, fingerprint ${entry.fingerprint})`;
}

function common(command: Command): Command {
  return command
    .option('--path <file>', 'the keystore file (default: $KEYCARD_HOME/keys.json)')
    .option('--passphrase-env <name>', 'the variable that holds the passphrase', 'KEYCARD_PASSPHRASE');
}

export function registerKeys(program: Command): void {
  const keysCommand = program
    .command('keys')
    .description('the encrypted keystore: add, list, rotate and remove keys')
    .addHelpText(
      'after',
      `
Keys are read from a hidden prompt, or from standard input when it is a pipe; never from the
command line. The passphrase comes from KEYCARD_PASSPHRASE (or --passphrase-env NAME).

Examples:
  keycard keys add openai --provider openai
  pass show openai | keycard keys add openai
  keycard keys list
  keycard keys rotate openai
  keycard keys rm openai
  keycard keys copy openai aws-sm://eu-west-1/prod/openai#api_key
Use a stored key with: createClient('openai', 'keystore:openai')`,
    );

  common(
    keysCommand
      .command('add')
      .argument('<name>', 'the entry name, e.g. openai')
      .description('store a new key'),
  )
    .option(
      '--provider <provider>',
      `the provider (${providerIds().join(', ')}); default: from the key's shape`,
    )
    .option('--overwrite', 'replace an entry of that name')
    .action(async (name: string, options: StoreOptions & { provider?: string; overwrite?: boolean }) => {
      if (options.provider !== undefined && !isProviderId(options.provider)) {
        throw new CliError(`keycard keys add: unknown provider "${options.provider.slice(0, 32)}".`, 2);
      }
      const value = await readSecret(`Key for ${name} (input hidden): `);
      const entry = await store(options).add(name, value, {
        provider: options.provider as never,
        overwrite: options.overwrite === true,
      });
      out(`${colors.green('Added')} ${describe(entry)}.`);
    });

  common(
    keysCommand.command('list').description('list entries: names, masked ids, ages (no passphrase needed)'),
  )
    .option('--json', 'print JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      const entries = await store(options).list();
      if (options.json === true) {
        json(entries);
        return;
      }
      if (entries.length === 0) {
        out('The keystore is empty. Add a key with: keycard keys add NAME');
        return;
      }
      const now = Date.now();
      out(
        table(
          ['name', 'provider', 'masked id', 'fingerprint', 'added', 'changed', 'age', 'version'],
          entries.map((entry) => [
            entry.name,
            entry.provider ?? '–',
            entry.maskedId,
            entry.fingerprint,
            day(entry.createdAt),
            day(entry.updatedAt),
            `${Math.floor((now - entry.updatedAt.getTime()) / 86_400_000)} d`,
            entry.version,
          ]),
        ),
      );
    });

  common(
    keysCommand
      .command('rotate')
      .argument('<name>', 'the entry name')
      .description('replace the key of an entry'),
  ).action(async (name: string, options: StoreOptions) => {
    const value = await readSecret(`New key for ${name} (input hidden): `);
    const entry = await store(options).rotate(name, value);
    out(
      `${colors.green('Rotated')} ${describe(entry)}, version ${entry.version}. Revoke the old key at its provider.`,
    );
  });

  common(
    keysCommand.command('rm').argument('<name>', 'the entry name').description('remove an entry'),
  ).action(async (name: string, options: StoreOptions) => {
    const removed = await store(options).remove(name);
    if (!removed) throw new CliError(`keycard keys rm: there is no entry "${name}".`, 1);
    out(`${colors.green('Removed')} ${name}. Revoke the key at its provider if it is no longer used.`);
  });

  common(
    keysCommand
      .command('copy')
      .argument('<name>', 'the entry name')
      .argument('<spec>', 'where to: aws-sm://REGION/SECRET_ID[#field]')
      .description('copy a key into AWS Secrets Manager (a new version, or a new secret)'),
  ).action(async (name: string, spec: string, options: StoreOptions) => {
    if (!/^aws-sm:/i.test(spec.trim())) {
      throw new CliError(
        'keycard keys copy: keys are copied into AWS Secrets Manager only (aws-sm://REGION/SECRET_ID[#field]); for 1Password, Vault or another store, use its own tools.',
        2,
      );
    }
    const secret = await store(options).get(name);
    const result = await copyToAwsSecretsManager(spec.trim(), secret.reveal());
    out(
      `${colors.green('Copied')} ${name} (${secret.maskedId}) to ${spec.trim()}: ${result.created ? 'a new secret' : 'a new current version'}${result.versionId === undefined ? '' : ` ${result.versionId}`}. Read it with ${spec.trim()}.`,
    );
  });
}
