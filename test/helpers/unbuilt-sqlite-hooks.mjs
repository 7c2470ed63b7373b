// Module resolution hooks for unbuilt-sqlite.mjs: `better-sqlite3` resolves to `data.entry`, a
// copy of the installed package without its native binding.
let entry;

export async function initialize(data) {
  entry = data.entry;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'better-sqlite3') return { url: entry, shortCircuit: true };
  return nextResolve(specifier, context);
}
