import { defineConfig } from 'tsup';

// ESM first (dist/*.js + .d.ts), CommonJS beside it (dist/*.cjs + .d.cts).
// Only src/ is built; tests, examples and benchmarks never reach dist/.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } },
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
  shims: false,
  treeshake: false,
});
