import { createRequire } from 'node:module';
import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['plugins']>[number];

// The library: ESM first (dist/*.js + .d.ts), CommonJS beside it (dist/*.cjs + .d.cts).
// Only src/ is built; tests, examples and benchmarks never reach dist/ (examples ship as they are,
// see `files` in package.json). After tsup, `npm run build` runs scripts/optional-peer-types.mjs,
// which marks the declarations' imports of the provider SDKs with @ts-ignore: a project without
// some SDKs then type-checks with skipLibCheck false (tsup drops comments, so it cannot be done here).
// `zod/mini` (key shapes and option checks, loaded on the first createClient) is bundled into
// keycard's chunks and tree-shaken to what keycard uses: a few milliseconds to load, where zod's
// full build costs 50 ms or more from node_modules. `zod` itself stays external: only
// `keycard/shapes` imports it, for its public schemas (zod's full API).
const BUNDLED = [/^zod\/mini$/];

// In the ESM build, Node's built-in modules are taken with require() rather than `import`. An
// `import` of a built-in builds its ES module facade, which reads every export once, and some are
// lazy getters: `node:crypto` then loads WebCrypto, `node:util` its argument parser and MIME types.
// Each chunk's `import { a, b as c } from "fs"` becomes `const { a, b: c } = require("fs")`, at
// the top of the chunk (imports are hoisted), on its first line (below a shebang), so that the
// lines, and so the source map, stay as they are.
const VIA_REQUIRE = new Set(['async_hooks', 'crypto', 'events', 'fs', 'fs/promises', 'os', 'url', 'util']);
// `node:crypto` loads 35 of Node's modules (its streams among them), about 3 % of the cold start
// this is measured against: keycard uses only its functions, none while it is imported or a client
// created, so each is bound to load it on its first call.
const LAZY = new Set(['crypto']);
const BUILTIN_IMPORT =
  /^import (?:(\w+)(?:, )?)?(?:\{([^}]*)\}|\* as (\w+))? ?from "(?:node:)?([a-z_/]+)";$/gm;
const nodeRequire = createRequire(import.meta.url);

function requireBuiltins(code: string, path: string): string | undefined {
  const hoisted: string[] = [];
  const rewritten = code.replace(BUILTIN_IMPORT, (...match: string[]) => {
    const [line = '', whole, names, namespace, module = ''] = match;
    if (!VIA_REQUIRE.has(module)) return line;
    const required = `__keycardRequire(${JSON.stringify(`node:${module}`)})`;
    const bindings = (names ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '')
      .map((name) => {
        const [imported = name, local = imported] = name.split(' as ');
        return { imported, local };
      });
    if (LAZY.has(module)) {
      if (whole !== undefined || namespace !== undefined)
        throw new Error(`${path}: import ${module} by name`);
      for (const { imported, local } of bindings) {
        if (typeof nodeRequire(`node:${module}`)[imported] !== 'function')
          throw new Error(`${path}: ${module}.${imported} is not a function; it cannot load lazily`);
        hoisted.push(`const ${local} = (...args) => ${required}.${imported}(...args);`);
      }
      return '';
    }
    for (const name of [whole, namespace])
      if (name !== undefined) hoisted.push(`const ${name} = ${required};`);
    if (bindings.length > 0) {
      const pattern = bindings.map(({ imported, local }) =>
        imported === local ? imported : `${imported}: ${local}`,
      );
      hoisted.push(`const { ${pattern.join(', ')} } = ${required};`);
    }
    return '';
  });
  if (hoisted.length === 0) return undefined;
  // `process.getBuiltinModule` where Node has it (20.16 and later); `import.meta.url` is empty
  // where a bundler turned this chunk into CommonJS, and any path serves to require a built-in.
  const prelude = `import { createRequire as __keycardCreateRequire } from "module"; const __keycardRequire = process.getBuiltinModule ?? __keycardCreateRequire(import.meta.url ?? "file:///"); ${hoisted.join(' ')} `;
  const shebang = rewritten.startsWith('#!') ? rewritten.slice(0, rewritten.indexOf('\n') + 1) : '';
  return shebang + prelude + rewritten.slice(shebang.length);
}

const builtinsViaRequire: Plugin = {
  name: 'builtins-via-require',
  renderChunk(code, { path }) {
    if (this.format !== 'esm' || !path.endsWith('.js')) return undefined;
    const rewritten = requireBuiltins(code, path);
    return rewritten === undefined ? undefined : { code: rewritten };
  },
};

const library: Options = {
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    shapes: 'src/shapes.ts',
    pino: 'src/pino.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: false,
  splitting: true,
  treeshake: false,
  noExternal: BUNDLED,
  plugins: [builtinsViaRequire],
  // `import.meta.url` in the CommonJS build (src/redact/debug-output.ts resolves from keycard's folder).
  shims: true,
};

// The command is ESM only: it runs as a program, nobody require()s it.
const cli: Options = {
  entry: { 'cli/main': 'src/cli/main.ts', 'cli/scan-worker': 'src/cli/scan-worker.ts' },
  format: ['esm'],
  dts: false,
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: false,
  splitting: true,
  noExternal: BUNDLED,
  plugins: [builtinsViaRequire],
};

export default defineConfig([library, cli]);
