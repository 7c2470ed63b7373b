// Usage: node list-loaded-modules.mjs esm|cjs FILE
// Loads FILE (import() or require()) and prints, as JSON, every module the process loaded
// (and `builtin:…` for Node's fetch, when loaded).
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, target] = process.argv.slice(2);
const file = join(mkdtempSync(join(tmpdir(), 'keycard-modules-')), 'loaded.txt');
let loaded = [];
if (mode === 'esm') {
  register('./resolution-hooks.mjs', import.meta.url, { data: { file } });
  await import(pathToFileURL(target).href);
  loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean);
} else {
  const require = createRequire(import.meta.url);
  require(target);
  loaded = Object.keys(require.cache);
}
// Node's own fetch (undici) too: it loads on first use of `fetch`, `Response` or `Headers`.
for (const name of process.moduleLoadList) if (name.includes('undici')) loaded.push(`builtin:${name}`);
process.stdout.write(JSON.stringify(loaded));
