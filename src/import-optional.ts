/**
 * Imports an optional package by name at run time, out of sight of bundlers.
 *
 * keycard loads its optional peers (the provider SDKs, `pg`, `@opentelemetry/api`) and
 * better-sqlite3 only when they are used. A literal `import('openai')` makes esbuild, Rollup and
 * webpack resolve the package while bundling, so a bundle of keycard fails on every optional peer
 * the project has not installed (esbuild: `Could not resolve "pg"`), and carries the ones it has
 * whether or not they are used. The specifier here is a variable: bundlers leave the call as it
 * is, with no warning (`webpackIgnore` keeps webpack quiet about an expression it cannot follow;
 * `@vite-ignore` does the same for Vite). In a bundle, a package keycard is not handed (the `sdk`
 * option of `createClient`) is then looked up at run time like any `import()`.
 *
 * In keycard's CommonJS build this becomes `require(specifier)`, so CommonJS programs get the
 * same (CommonJS) copy of a package as their own `require()` does.
 * @module
 */

/** `import(specifier)`, with a specifier no bundler follows. */
export function importOptional<Module = unknown>(specifier: string): Promise<Module> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<Module>;
}
