#!/usr/bin/env node
/**
 * The `keycard` command: argument parsing with commander; one module per command under
 * `commands/`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerMask } from './commands/mask.js';

function version(): string {
  const packageJson = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

const program = new Command()
  .name('keycard')
  .description('credential-aware clients for AI and messaging SDKs')
  .version(version(), '-v, --version')
  .showHelpAfterError('(run keycard --help for usage)')
  .exitOverride();

registerMask(program);

// A reader that goes away early (`keycard mask | head`) ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

try {
  if (process.argv.length <= 2) program.outputHelp();
  else await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
    // The reader went away (keycard mask | head): not an error.
  } else {
    process.stderr.write(`keycard: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
