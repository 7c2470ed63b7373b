/**
 * `keycard providers`: the providers, their SDKs, default variables and key shapes.
 * @module
 */
import type { Command } from 'commander';
import { KEY_SHAPES } from '../../keys/shapes.js';
import { PROVIDERS, providerIds } from '../../providers/ids.js';
import { adapters } from '../../providers/registry.js';
import { json, out, table } from '../output.js';

export function registerProviders(program: Command): void {
  program
    .command('providers')
    .description('list the providers keycard knows, their SDKs, default variables and key shapes')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const rows = providerIds().map((id) => ({
        provider: id,
        name: PROVIDERS[id].label,
        sdk: adapters[id].packageName,
        envVars: [...PROVIDERS[id].envVars],
        keyShape: KEY_SHAPES[id].examples,
        keyFrom: KEY_SHAPES[id].keyFrom,
      }));
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
