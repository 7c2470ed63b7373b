/**
 * The built declarations import the optional peers (the provider SDKs) only on lines marked
 * `@ts-ignore`, so that a project without some of them type-checks with `skipLibCheck: false`
 * (test/consumer/run.mjs checks that with tsc, in CI). This catches a build that lost the step.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '../../dist');
const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const optional = Object.keys(manifest.peerDependenciesMeta);

function declarations(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? declarations(join(directory, entry.name))
      : /\.d\.c?ts$/.test(entry.name)
        ? [join(directory, entry.name)]
        : [],
  );
}

describe('declarations of optional peers', () => {
  it('mark every import of an optional peer with @ts-ignore, in the ESM and the CommonJS types', () => {
    const marked = new Map<string, number>();
    for (const file of declarations(dist)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const [index, line] of lines.entries()) {
        // A JSDoc example may show an import: only code lines count.
        if (/^\s*\*/.test(line)) continue;
        const peer = optional.find((name) => new RegExp(`from ['"]${name}(/[^'"]*)?['"]`).test(line));
        if (peer === undefined) continue;
        expect(lines[index - 1], `${file}:${index + 1}`).toMatch(/^\/\/ @ts-ignore optional peer dependency/);
        const flavour = file.endsWith('.d.cts') ? 'commonjs' : 'esm';
        marked.set(flavour, (marked.get(flavour) ?? 0) + 1);
      }
    }
    // index.d.ts and index.d.cts import the five SDK packages (openai serves xai too).
    expect(marked.get('commonjs')).toBeGreaterThanOrEqual(5);
    expect(marked.get('esm')).toBeGreaterThanOrEqual(5);
  });
});
