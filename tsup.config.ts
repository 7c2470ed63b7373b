import { defineConfig, type Options } from 'tsup';

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
  // `import.meta.url` in the CommonJS build (src/redact/debug-output.ts resolves from keycard's folder).
  shims: true,
};

// The command is ESM only: it runs as a program, nobody require()s it.
const cli: Options = {
  entry: { 'cli/main': 'src/cli/main.ts' },
  format: ['esm'],
  dts: false,
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: false,
  splitting: true,
  noExternal: BUNDLED,
};

export default defineConfig([library, cli]);
