// Usage: node --import ./test/helpers/unbuilt-sqlite.mjs …
// better-sqlite3 as `npm install --ignore-scripts` leaves it: the package's own JavaScript, with
// its dependencies, and no build/ folder, so that its real loader (`bindings`) fails as it does
// for users. A copy in a cache folder under the system's temporary folder (made once, then
// renamed into place), which `import('better-sqlite3')` resolves to.
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const installed = join(import.meta.dirname, '../../node_modules');
const { version } = JSON.parse(readFileSync(join(installed, 'better-sqlite3/package.json'), 'utf8'));
const cache = join(tmpdir(), `keycard-test-unbuilt-better-sqlite3-${version}`);
const entry = join(cache, 'node_modules/better-sqlite3/lib/index.js');
if (!existsSync(entry)) {
  const folder = mkdtempSync(join(tmpdir(), 'keycard-test-unbuilt-'));
  const root = join(folder, 'node_modules');
  cpSync(join(installed, 'better-sqlite3/package.json'), join(root, 'better-sqlite3/package.json'));
  cpSync(join(installed, 'better-sqlite3/lib'), join(root, 'better-sqlite3/lib'), { recursive: true });
  for (const name of ['bindings', 'file-uri-to-path']) {
    cpSync(join(installed, name), join(root, name), { recursive: true });
  }
  try {
    renameSync(folder, cache);
  } catch (error) {
    // Another process got there first.
    rmSync(folder, { recursive: true, force: true });
    if (!existsSync(entry)) throw error;
  }
}
register('./unbuilt-sqlite-hooks.mjs', import.meta.url, { data: { entry: pathToFileURL(entry).href } });
