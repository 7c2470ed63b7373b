#!/usr/bin/env node
/**
 * The `keycard` command: argument parsing with commander; one module per command under
 * `commands/`. Every error prints one line with its cause, and no stack unless `KEYCARD_DEBUG=1`;
 * every output is redacted.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { setAudience } from '../audience.js';
import { CredentialError } from '../errors.js';
import { registerCheck } from './commands/check.js';
import { registerDemo } from './commands/demo.js';
import { registerKeys } from './commands/keys.js';
import { registerMask } from './commands/mask.js';
import { registerProviders } from './commands/providers.js';
import { registerScan } from './commands/scan.js';
import { registerUsage } from './commands/usage.js';
import { CliError, colors, describeError, err } from './output.js';
import { loadProviderModules } from './provider-modules.js';
import { setScanWorker } from './scan-parallel.js';

function version(): string {
  const packageJson = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

// Hints name the command's flags and variables, not the library's options.
setAudience('cli');
// `keycard scan` of many files runs this module beside it on every core.
setScanWorker(new URL('./scan-worker.js', import.meta.url));

const program = new Command()
  .name('keycard')
  .description('credential-aware clients for AI and messaging SDKs: keys, usage, leaks')
  .version(version(), '-v, --version')
  .showHelpAfterError('(run keycard --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Start here: keycard demo   (offline, in a few seconds)
NO_COLOR turns colours off. Docs: https://www.npmjs.com/package/keycard`,
  );

/** Commands are set up after the project's providers are registered: their help lists them. */
function registerCommands(): void {
  registerDemo(program);
  registerCheck(program);
  registerUsage(program);
  registerScan(program);
  registerKeys(program);
  registerMask(program);
  registerProviders(program);
  for (const command of program.commands) command.exitOverride();
}

// A reader that goes away early (`keycard mask | head`) ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

try {
  await loadProviderModules();
  registerCommands();
  if (process.argv.length <= 2) program.outputHelp();
  else await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
    // The reader went away: not an error.
  } else if (error instanceof CliError) {
    // Messages that name their command (`keycard usage: …`) need no second prefix.
    const text = describeError(error);
    const [, command = 'keycard:', rest = text] = /^(keycard(?: [a-z-]+)?:) (.*)$/s.exec(text) ?? [];
    err(`${colors.red(command)} ${rest}`);
    process.exitCode = error.code;
  } else if (CredentialError.is(error)) {
    err(`${colors.red(`keycard: ${error.reason}:`)} ${describeError(error)}`);
    process.exitCode = 1;
  } else {
    // Every error is one line with its cause; the stack only when asked for.
    err(`${colors.red('keycard:')} ${describeError(error).replace(/^keycard: /, '')}`);
    if (process.env['KEYCARD_DEBUG'] && error instanceof Error && error.stack !== undefined) err(error.stack);
    process.exitCode = 1;
  }
}
