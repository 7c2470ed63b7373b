// Usage: node --import ./test/helpers/unbuilt-sqlite.mjs …
// better-sqlite3 as `npm install --ignore-scripts` leaves it: the package's own JavaScript, with
// its dependencies, and no build/ folder, so that its real loader (`bindings`) fails as it does
// for users. A copy in a temporary folder, which `import('better-sqlite3')` resolves to.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const installed = join(import.meta.dirname, '../../node_modules');
const folder = mkdtempSync(join(tmpdir(), 'keycard-unbuilt-'));
const root = join(folder, 'node_modules');
process.on('exit', () => rmSync(folder, { recursive: true, force: true }));
cpSync(join(installed, 'better-sqlite3/package.json'), join(root, 'better-sqlite3/package.json'));
cpSync(join(installed, 'better-sqlite3/lib'), join(root, 'better-sqlite3/lib'), { recursive: true });
for (const name of ['bindings', 'file-uri-to-path']) {
  cpSync(join(installed, name), join(root, name), { recursive: true });
}
register('./unbuilt-sqlite-hooks.mjs', import.meta.url, {
  data: { entry: pathToFileURL(join(root, 'better-sqlite3/lib/index.js')).href },
});
