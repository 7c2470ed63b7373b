/**
 * `keycard providers`: the providers, their SDKs, default variables and key shapes.
 * @module
 */
import type { Command } from 'commander';
import { KEY_SHAPES } from '../../keys/shapes.js';
import { PROVIDERS, providerIds } from '../../providers/ids.js';
import { adapters, providerOf, type SupportedProvider } from '../../providers/registry.js';
import { json, out, table } from '../output.js';

export function registerProviders(program: Command): void {
  program
    .command('providers')
    .description('list the providers keycard knows, their SDKs, default variables and key shapes')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      // Each provider (built in, then registered), followed by its clients on another SDK
      // (gemini, then google-genai), which take the same keys.
      const clients = Object.keys(adapters) as SupportedProvider[];
      const rows = providerIds().flatMap((id) =>
        clients
          .filter((client) => providerOf(client) === id)
          .map((client) => ({
            provider: client,
            name: PROVIDERS[id].label,
            sdk:
              (adapters as Readonly<Record<string, { readonly packageName: string }>>)[client]?.packageName ??
              '',
            envVars: [...PROVIDERS[id].envVars],
            keyShape: KEY_SHAPES[id].examples,
            keyFrom: KEY_SHAPES[id].keyFrom,
          })),
      );
      if (options.json === true) {
        json(rows);
        return;
      }
      out(
        table(
          ['provider', 'name', 'SDK', 'default env vars', 'key shape'],
          rows.map((row) => [row.provider, row.name, row.sdk, row.envVars.join(', '), row.keyShape]),
        ),
      );
    });
}
