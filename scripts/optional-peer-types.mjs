// Post-build step: keycard's declaration files import the types of its optional peers (the
// provider SDKs), so that `.sdk` is exactly `OpenAI`, `Anthropic`, … where the SDK is installed.
// A project that installs only some of them would then fail to type-check keycard's own
// declarations ("Cannot find module 'telegraf'") unless it sets `skipLibCheck`. Each such import
// gets a `// @ts-ignore` line: where the SDK is installed nothing changes, and where it is not,
// its types are `any` and the missing module is no error. tsup (rollup-plugin-dts) rewrites the
// imports and drops comments, so this runs after it, on dist/.
//
// The build fails when an optional peer is named anywhere else in the declarations (an inline
// `import('…')` type, a re-export on several lines): those would break the same projects.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const optional = Object.entries(manifest.peerDependenciesMeta ?? {})
  .filter(([, meta]) => meta.optional === true)
  .map(([name]) => name);
const dist = new URL('dist/', root).pathname;

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const peers = optional.map(escapeRegExp).join('|');
// `import … from 'pkg';` or `export … from 'pkg';` on one line, also for subpaths (`openai/resources`).
const statement = new RegExp(`^(?:import|export)\\b[^;]*\\bfrom ['"](${peers})(?:/[^'"]*)?['"];?$`);
const anyMention = new RegExp(
  `(?:\\bfrom\\s*|\\b(?:import|require)\\s*\\(\\s*)['"](${peers})(?:/[^'"]*)?['"]`,
);
const MARK = '// @ts-ignore optional peer dependency: its types are `any` when it is not installed';

function declarationFiles(directory) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return declarationFiles(path);
    return /\.d\.c?ts$/.test(entry.name) ? [path] : [];
  });
}

let marked = 0;
const problems = [];
for (const file of declarationFiles(dist)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const output = [];
  for (const [index, line] of lines.entries()) {
    if (statement.test(line)) {
      if (lines[index - 1] !== MARK) output.push(MARK);
      output.push(line);
      marked += 1;
      continue;
    }
    // A JSDoc example may name a peer in an import it shows: comments are not code.
    if (anyMention.test(line) && !/^\s*(\*|\/\/)/.test(line))
      problems.push(`${file}:${index + 1}: ${line.trim()}`);
    output.push(line);
  }
  writeFileSync(file, output.join('\n'));
}
if (problems.length > 0) {
  console.error(
    `optional-peer-types: an optional peer is named outside a one-line import in the declarations:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(`optional-peer-types: ${marked} import(s) of optional peers marked with @ts-ignore`);
