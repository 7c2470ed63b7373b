/**
 * Every `@example` in keycard's JSDoc type-checks against keycard's real exports, the way a user
 * would paste it: the names of `keycard` and `keycard/testing` in scope (or the example's own
 * imports), the official SDKs' default exports, and the example's other free variables (its own
 * data, such as `messages`) declared as `any`, unless the example calls them: a called name that
 * does not exist (a function keycard does not export) is an error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const src = join(root, 'src');

interface Example {
  /** Where it is: `src/file.ts:line`. */
  where: string;
  /** The file it documents, absolute. */
  file: string;
  code: string;
}

/** The `@example` blocks of every JSDoc comment under `src/`. */
function examples(): Example[] {
  const found: Example[] = [];
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, 'utf8');
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const lines = comment[0].split('\n').map((line) => line.replace(/^\s*\/?\*+\/?\s?/, ''));
      const startLine = text.slice(0, comment.index).split('\n').length;
      for (let index = 0; index < lines.length; index += 1) {
        const line = lines[index] as string;
        if (!line.startsWith('@example')) continue;
        const body: string[] = [];
        const inline = line.slice('@example'.length).trim();
        if (inline !== '') body.push(inline);
        let next = index + 1;
        for (; next < lines.length && !/^@\w/.test(lines[next] as string); next += 1)
          body.push(lines[next] as string);
        const code = body
          .join('\n')
          .replace(/\*\/\s*$/, '')
          .trim();
        if (code !== '')
          found.push({ where: `${relative(root, path)}:${startLine + index}`, file: path, code });
        index = next - 1;
      }
    }
  }
  return found;
}

const SDKS: Record<string, string> = {
  OpenAI: 'openai',
  Anthropic: '@anthropic-ai/sdk',
};

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
  baseUrl: root,
  paths: {
    keycard: ['./src/index.ts'],
    'keycard/testing': ['./src/testing/index.ts'],
    'keycard/pino': ['./src/pino.ts'],
  },
  allowImportingTsExtensions: true,
};

/** The names (values and types) each file exports, by absolute path. */
function exportsOf(paths: readonly string[]): Map<string, string[]> {
  const program = ts.createProgram([...paths], OPTIONS);
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  for (const path of paths) {
    const file = program.getSourceFile(path);
    const symbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
    names.set(path, symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((item) => item.name));
  }
  return names;
}

/** The source of one example as a module of its own. */
function moduleFor(example: Example, exported: Map<string, string[]>, declared: Set<string>) {
  const lines = example.code.split('\n');
  const imports = lines.filter((line) => /^import\s/.test(line));
  const body = lines.filter((line) => !/^import\s/.test(line)).join('\n');
  const main = exported.get(join(src, 'index.ts')) ?? [];
  const testing = (exported.get(join(src, 'testing', 'index.ts')) ?? []).filter(
    (name) => !main.includes(name),
  );
  const own = (exported.get(example.file) ?? []).filter(
    (name) => !main.includes(name) && !testing.includes(name) && !(name in SDKS),
  );
  const prelude =
    imports.length > 0
      ? imports
      : [
          `import { ${main.join(', ')} } from 'keycard';`,
          `import { ${testing.join(', ')} } from 'keycard/testing';`,
          ...(own.length === 0 ? [] : [`import { ${own.join(', ')} } from '${example.file}';`]),
          ...Object.entries(SDKS).map(([name, module]) => `import ${name} from '${module}';`),
        ];
  const statement = body.trimStart().startsWith('{') ? `(${body}\n);` : body;
  return [
    ...prelude,
    ...[...declared].map((name) => `declare const ${name}: any;`),
    'export async function example(): Promise<void> {',
    statement,
    '}',
  ].join('\n');
}

function check(all: Example[], exported: Map<string, string[]>, declared: Map<string, Set<string>>) {
  const files = new Map<string, string>();
  all.forEach((example, index) => {
    files.set(
      join(root, '.jsdoc-examples', `example-${index}.ts`),
      moduleFor(example, exported, declared.get(example.where) ?? new Set()),
    );
  });
  const options = OPTIONS;
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, language) : ts.createSourceFile(name, text, language);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const byExample = new Map<string, ts.Diagnostic[]>();
  [...files.keys()].forEach((name, index) => {
    const file = program.getSourceFile(name);
    const example = all[index] as Example;
    byExample.set(
      example.where,
      file === undefined
        ? []
        : [...program.getSemanticDiagnostics(file), ...program.getSyntacticDiagnostics(file)],
    );
  });
  return byExample;
}

describe('JSDoc examples', () => {
  const all = examples();
  const exported = exportsOf([
    join(src, 'index.ts'),
    join(src, 'testing', 'index.ts'),
    ...new Set(all.map((example) => example.file)),
  ]);

  it('are found', () => {
    expect(all.length).toBeGreaterThan(30);
  });

  it('type-check against what keycard exports', { timeout: 120_000 }, () => {
    // Pass 1: find the free names each example uses as its own data.
    const declared = new Map<string, Set<string>>();
    for (const [where, diagnostics] of check(all, exported, declared)) {
      for (const diagnostic of diagnostics) {
        if (![2304, 2552, 18004].includes(diagnostic.code)) continue;
        const text = diagnostic.file?.text ?? '';
        const start = diagnostic.start ?? 0;
        const name = text.slice(start, start + (diagnostic.length ?? 0));
        const after = text.slice(start + name.length).trimStart();
        if (after.startsWith('(')) continue; // a call to a name that does not exist stays an error
        declared.set(where, new Set([...(declared.get(where) ?? []), name]));
      }
    }
    // Pass 2: what is left is wrong in the example.
    const problems: string[] = [];
    for (const [where, diagnostics] of check(all, exported, declared)) {
      for (const diagnostic of diagnostics) {
        problems.push(`${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
