/**
 * A git history generated at run time with `git fast-import` (seconds for thousands of commits):
 * a few files edited commit after commit (lines inserted and deleted), files added and
 * deleted, a binary file, a path with a space, and keys planted in some commits at known lines (later
 * edits may delete them again: history still holds them). For `keycard scan --git`'s test and
 * the bench. Keys are built at run time by the caller's `makeKey`.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomString, seededRandom } from './keys.js';

/** A key planted in a commit: what `--git` must report (commit as its 12 first hex digits). */
export interface PlantedKey {
  commit: string;
  file: string;
  line: number;
  key: string;
}

export interface HistoryOptions {
  /** Commits to make (default 3,000). */
  commits?: number;
  seed?: number;
  /** Lines inserted per commit, at most (default 12). */
  linesPerCommit?: number;
  /** One commit in this many plants a key (default 100). */
  keyEvery?: number;
  /** A key for the `index`th planted key (none planted without it). */
  makeKey?: (index: number) => string;
  /** Source lines to draw from (default: generated code-like lines). */
  lines?: readonly string[];
}

const WORDS = ['const', 'value', 'client', 'request', 'options', 'return', 'await', 'config', 'items', 'map'];

function codeLine(random: () => number): string {
  const pick = () => WORDS[Math.floor(random() * WORDS.length)] ?? 'x';
  const indent = ' '.repeat(2 * Math.floor(random() * 4));
  switch (Math.floor(random() * 5)) {
    case 0:
      return `${indent}${pick()} ${pick()}_${randomString(random, 4)} = this.${pick()}.${pick()}(${Math.floor(random() * 1000)});`;
    case 1:
      return `${indent}// ${pick()} the ${pick()} before the ${pick()}: see https://example.com/docs/${pick()}.html`;
    case 2:
      return `${indent}if (${pick()}.length > ${Math.floor(random() * 64)}) throw new Error('${pick()} ${pick()}');`;
    case 3:
      return `${indent}"${pick()}": "${randomString(random, 8 + Math.floor(random() * 24))}",`;
    default:
      return `${indent}}`;
  }
}

/** Runs git with `input` on standard input; rejects with its standard error. */
function gitWithInput(cwd: string, args: string[], input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    // git's own message, on close, says more than EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]}: ${stderr}`))));
    child.stdin.end(input);
  });
}

/**
 * Writes the history into the (initialised, empty) repository at `repo`, on `refs/heads/main`.
 * Returns the planted keys and the number of commits.
 */
export async function generateHistory(
  repo: string,
  options: HistoryOptions = {},
): Promise<{ planted: PlantedKey[]; commits: number }> {
  const random = seededRandom(options.seed ?? 7);
  const commits = options.commits ?? 3000;
  const perCommit = options.linesPerCommit ?? 12;
  const keyEvery = options.keyEvery ?? 100;
  const source = options.lines;
  const line = () =>
    source === undefined ? codeLine(random) : (source[Math.floor(random() * source.length)] ?? '');
  const files = new Map<string, string[]>();
  for (const name of ['src/index.ts', 'src/client.ts', 'config/settings.json', 'docs/notes with space.md'])
    files.set(name, Array.from({ length: 20 }, line));
  const parts: Buffer[] = [];
  const data = (text: string | Buffer) => {
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    parts.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  };
  /** Planted keys by mark, resolved to commits after the import. */
  const pending: Array<Omit<PlantedKey, 'commit'> & { mark: number }> = [];
  let planted = 0;
  for (let mark = 1; mark <= commits; mark += 1) {
    parts.push(
      Buffer.from(
        `commit refs/heads/main\nmark :${mark}\ncommitter T <t@example.invalid> ${1_700_000_000 + mark * 60} +0000\n`,
      ),
    );
    data(`change ${mark}`);
    const changed: string[] = [];
    const deleted: string[] = [];
    if (mark % 500 === 250) {
      // A new file now and then, a deleted one, and a binary file.
      const name = `src/generated/module-${mark}.ts`;
      files.set(name, Array.from({ length: 30 }, line));
      changed.push(name);
      const victim = [...files.keys()].find((key) => key.startsWith('src/generated/') && key !== name);
      if (victim !== undefined) {
        files.delete(victim);
        deleted.push(victim);
      }
      parts.push(Buffer.from(`M 100644 inline assets/image-${mark}.bin\n`));
      data(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, ...Buffer.from(line())]));
    }
    const names = [...files.keys()];
    const name = names[Math.floor(random() * names.length)] ?? 'src/index.ts';
    const content = files.get(name) ?? [];
    const removeAt = Math.floor(random() * content.length);
    // Files stay about four commits' worth of lines long: as much is removed as added, on average.
    const removable = content.length > 4 * perCommit ? 2 * perCommit : 3;
    content.splice(removeAt, Math.floor(random() * removable));
    const insertAt = Math.floor(random() * (content.length + 1));
    const added = Array.from({ length: 1 + Math.floor(random() * perCommit) }, line);
    if (options.makeKey !== undefined && mark % keyEvery === 0) {
      const key = options.makeKey(planted);
      planted += 1;
      const at = Math.floor(random() * added.length);
      added.splice(at, 0, `export const token = '${key}';`);
      pending.push({ mark, file: name, line: insertAt + at + 1, key });
    }
    content.splice(insertAt, 0, ...added);
    changed.push(name);
    for (const file of new Set(changed)) {
      parts.push(Buffer.from(`M 100644 inline ${file}\n`));
      data(`${(files.get(file) ?? []).join('\n')}\n`);
    }
    for (const file of deleted) parts.push(Buffer.from(`D ${file}\n`));
    parts.push(Buffer.from('\n'));
  }
  const marks = join(repo, '.git', 'keycard-marks');
  await gitWithInput(repo, ['fast-import', '--quiet', `--export-marks=${marks}`], Buffer.concat(parts));
  await gitWithInput(repo, ['symbolic-ref', 'HEAD', 'refs/heads/main'], Buffer.alloc(0));
  const shas = new Map<number, string>();
  for (const entry of (await readFile(marks, 'utf8')).split('\n')) {
    const [mark, sha] = entry.split(' ');
    if (mark !== undefined && sha !== undefined) shas.set(Number(mark.slice(1)), sha);
  }
  return {
    planted: pending.map(({ mark, ...rest }) => ({ commit: (shas.get(mark) ?? '').slice(0, 12), ...rest })),
    commits,
  };
}
