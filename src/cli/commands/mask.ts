/**
 * `keycard mask`: standard input to standard output, redacted, as a stream.
 * @module
 */
import { createReadStream, fstatSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { PROVIDERS } from '../../providers/ids.js';
import { createRedactStream } from '../../redact/stream.js';
import { Secret } from '../../secret.js';

/** Variables whose values are registered as secrets before masking, unless --no-env. */
function secretVariables(): string[] {
  const names = new Set<string>();
  for (const provider of Object.values(PROVIDERS)) for (const name of provider.envVars) names.add(name);
  for (const name of ['VAULT_TOKEN', 'BAO_TOKEN', 'VAULT_SECRET_ID', 'KEYCARD_PASSPHRASE']) names.add(name);
  return [...names];
}

export function registerMask(program: Command): void {
  program
    .command('mask')
    .description('copy standard input to standard output with every key replaced by a masked label')
    .option('--no-env', "do not also mask the values of this shell's key variables (OPENAI_API_KEY, …)")
    .addHelpText(
      'after',
      `
Finds every key shape keycard knows (OpenAI, Anthropic, Gemini, xAI, Slack, Telegram, Discord,
Vault, credentials after Authorization:) and the values of the key variables set in this shell.
Lines are written as soon as they are complete.

Example:
  node app.js 2>&1 | keycard mask
  keycard mask < app.log > app.masked.log`,
    )
    .action(async (options: { env: boolean }) => {
      if (options.env) {
        for (const name of secretVariables()) {
          const value = process.env[name]?.trim();
          if (value !== undefined && value.length >= 8) new Secret(value, { source: `env:${name}` });
        }
      }
      // A file on standard input is read in large pieces; a pipe or a terminal as it comes.
      const input = fstatSync(0).isFile()
        ? createReadStream('', { fd: 0, highWaterMark: 1024 * 1024, autoClose: false })
        : process.stdin;
      await pipeline(input, createRedactStream(), process.stdout);
    });
}
