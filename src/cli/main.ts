#!/usr/bin/env node
/**
 * The `keycard` command. This first version prints its version and help; the commands
 * (`demo`, `check`, `usage`, `scan`, `keys`, `mask`, `providers`) arrive with the CLI.
 * @module
 */
import { readFileSync } from 'node:fs';

function version(): string {
  const packageJson = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

const HELP = `keycard ${version()}: credential-aware clients for AI and messaging SDKs

Usage: keycard [--help | --version]

This version has no commands yet; the library is used from code:
  import { createClient, keys } from 'keycard';
See the README.
`;

const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`${version()}\n`);
} else if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP);
} else {
  process.stderr.write(`keycard: unknown command ${JSON.stringify(args[0])}. Run keycard --help.\n`);
  process.exitCode = 2;
}
