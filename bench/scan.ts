/**
 * The bench's `scan` section: `keycard scan`, the built command, on a tree of real code (a copy of
 * part of this project's node_modules, in a folder not named node_modules, with `.gitignore`
 * files) and `keycard scan --git` on a generated history, end to end (process start included),
 * beside the in-process redactor on the same bytes, and `git log -p` alone (what `--git` reads).
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { scanPatchStream } from '../src/cli/scan-history.js';
import { redactText } from '../src/redact/redactor.js';
import { generateHistory } from '../test/helpers/git-history.js';
import { testKey } from '../test/helpers/keys.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../dist/cli/main.js');
const CODE = /\.(?:[cm]?js|[cm]?ts|json|md|map)$/;

/** One row of the bench's table. */
export interface ScanRow {
  subject: string;
  keycard: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Copies code files from `from` into `to` (nested node_modules renamed `nm`) up to `budget` bytes. */
async function copyCode(from: string, to: string, budget: number): Promise<number> {
  let copied = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (copied >= budget) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && CODE.test(entry.name)) {
        const size = (await stat(path)).size;
        const target = join(to, relative(from, path).replaceAll('node_modules', 'nm'));
        await mkdir(dirname(target), { recursive: true });
        await copyFile(path, target);
        copied += size;
      }
    }
  };
  await walk(from);
  await writeFile(join(to, '.gitignore'), 'coverage/\n*.log\n.cache/\n');
  return copied;
}

/** Wall time of `keycard …args` in `cwd` (exit 0 or 1: found or not). */
async function time(args: string[], cwd: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 && code !== 1) throw new Error(`keycard ${args.join(' ')} exited with ${code}`);
  return performance.now() - started;
}

/** Median wall times of `work` and of `empty`, alternated round by round. */
async function alternated(rounds: number, work: () => Promise<number>, empty: () => Promise<number>) {
  const full: number[] = [];
  const none: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) none.push(await empty());
    full.push(await work());
    if (round % 2 === 1) none.push(await empty());
  }
  return { full: median(full), empty: median(none) };
}

/** The text of every file under `dir`, joined (what the in-process redactor is timed on). */
async function treeText(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) parts.push(await readFile(child, 'utf8'));
    }
  };
  await walk(dir);
  return parts.join('\n');
}

function redactorRate(text: string): number {
  const mib = Buffer.byteLength(text) / 1024 / 1024;
  redactText(text.slice(0, 1024 * 1024));
  const started = performance.now();
  redactText(text);
  return mib / ((performance.now() - started) / 1000);
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

/** The rows of the `scan` section. */
export async function scanBench(quick: boolean, log: (text: string) => void): Promise<ScanRow[]> {
  const rows: ScanRow[] = [];
  const rounds = quick ? 1 : 5;
  const dir = await mkdtemp(join(tmpdir(), 'keycard-bench-scan-'));
  try {
    log('scan: files…');
    const tree = join(dir, 'tree');
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const bytes = await copyCode(
      join(import.meta.dirname, '../node_modules'),
      tree,
      (quick ? 24 : 300) * 1024 * 1024,
    );
    const mib = bytes / 1024 / 1024;
    const files = await alternated(
      rounds,
      () => time(['scan', tree], dir),
      () => time(['scan', empty], dir),
    );
    const inProcess = redactorRate(await treeText(tree));
    const rate = mib / (files.full / 1000);
    rows.push({
      subject: `scan: keycard scan of ${fixed(mib)} MiB of real code (.gitignore honoured), end to end`,
      keycard: `${fixed(rate)} MiB/s (${fixed(files.full)} ms; ${fixed(mib / ((files.full - files.empty) / 1000))} MiB/s without the ${fixed(files.empty)} ms of process start)`,
      baseline: `${fixed(inProcess)} MiB/s (redactText in process, same bytes)`,
      ratio: fixed(rate / inProcess, 2),
      target: '≥ 200 MiB/s',
      met: rate >= 200,
    });

    log('scan: --git…');
    const repo = join(dir, 'repo');
    await mkdir(repo);
    await run('git', ['init', '-q'], { cwd: repo });
    const kinds = ['openai', 'anthropic', 'slack', 'telegram', 'gemini', 'discord'] as const;
    const sample = (await treeText(tree)).split('\n').filter((line) => line.length < 400);
    const { planted, commits } = await generateHistory(repo, {
      commits: quick ? 500 : 4000,
      linesPerCommit: quick ? 100 : 400,
      keyEvery: 50,
      lines: sample.slice(0, 200_000),
      makeKey: (index) => testKey(kinds[index % kinds.length] ?? 'openai', `bench-${index}`),
    });
    const patch = join(dir, 'history.patch');
    const logArgs = ['log', '-p', '--all', '--no-color', '--unified=0', '--format=commit %H'];
    const gitTimes: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const started = performance.now();
      await run('sh', ['-c', `git ${logArgs.map((arg) => `'${arg}'`).join(' ')} > '${patch}'`], {
        cwd: repo,
      });
      gitTimes.push(performance.now() - started);
    }
    const patchMib = (await stat(patch)).size / 1024 / 1024;
    const history = await alternated(
      rounds,
      () => time(['scan', '--git'], repo),
      () => time(['scan', empty], dir),
    );
    const parsed: number[] = [];
    let found = 0;
    const wanted = new Set(planted.map(({ commit, file, line }) => `${commit}:${file}:${line}`));
    for (let round = 0; round < rounds; round += 1) {
      const started = performance.now();
      const findings = await scanPatchStream(createReadStream(patch, { highWaterMark: 64 * 1024 }));
      parsed.push(performance.now() - started);
      found = findings.filter(({ commit, file, line }) => wanted.has(`${commit}:${file}:${line}`)).length;
    }
    const gitRate = patchMib / (median(gitTimes) / 1000);
    const historyRate = patchMib / (history.full / 1000);
    rows.push({
      subject: `scan: keycard scan --git, ${commits} commits, ${fixed(patchMib)} MiB of patch text, end to end`,
      keycard: `${fixed(historyRate)} MiB/s (${fixed(history.full)} ms)`,
      baseline: `${fixed(gitRate)} MiB/s (git log -p alone, to a file)`,
      ratio: fixed(historyRate / gitRate, 2),
      target: '≥ 50 MiB/s',
      met: historyRate >= 50,
    });
    rows.push({
      subject: "scan: --git, keycard's part (the saved git log -p stream parsed and scanned in process)",
      keycard: `${fixed(patchMib / (median(parsed) / 1000))} MiB/s, ${found}/${planted.length} planted keys found at their commit, file and line`,
      baseline: `${fixed(redactorRate(await readFile(patch, 'utf8')))} MiB/s (redactText in process, same bytes)`,
      ratio: '',
      target: '≥ 50 MiB/s',
      met: patchMib / (median(parsed) / 1000) >= 50 && found === planted.length,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
