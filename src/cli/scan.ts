/**
 * Finding keys in files, staged changes and git history, with the redactor's own matcher, so
 * that what `keycard scan` reports is exactly what redaction would replace.
 * @module
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import ignore, { type Ignore } from 'ignore';
import { findSecrets } from '../redact/redactor.js';

const run = promisify(execFile);

/** One key found. Never the key: its kind, masked id and fingerprint. */
export interface Finding {
  /** The file (relative to the working directory), or `commit:path` for history. */
  file: string;
  line: number;
  provider: string;
  maskedId: string;
  fingerprint: string;
  /** The commit, for `--git`. */
  commit?: string | undefined;
  /** The rule that found it: a pattern id (`openai`, `slack-webhook`, …) or `registered`. */
  rule: string;
  /**
   * `high` fails the scan (exit 1); `low` (a placeholder, a self-declared fake, a shape without
   * the context it needs) is listed apart and does not.
   */
  confidence: 'high' | 'low';
  /** Why a finding is `low`. */
  reason?: string | undefined;
}

/** What a scan read and what it left out, for the summary line. */
export interface ScanStats {
  /** Files (or staged files, or commits for history) read. */
  files: number;
  bytes: number;
  /** Binary files (a NUL byte in the first 8,000). */
  binary: number;
  /** Files over 8 MiB. */
  large: number;
  /** Files that could not be read. */
  unreadable: number;
  /** Paths left out by `.gitignore`, and `.git` and `node_modules` directories. */
  ignored: number;
}

/** Empty counters. */
export function newScanStats(): ScanStats {
  return { files: 0, bytes: 0, binary: 0, large: 0, unreadable: 0, ignored: 0 };
}

/** A line that says so is skipped: deliberate fixtures. */
const ALLOW = /keycard:allow/;
/** Files larger than this are not read: keys live in source and config, not in data dumps. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const ALWAYS_SKIPPED = new Set(['.git', 'node_modules']);

/** The findings in one text. */
export function scanText(text: string, file: string, commit?: string): Finding[] {
  const findings: Finding[] = [];
  const lineStarts: number[] = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1))
    lineStarts.push(index + 1);
  for (const found of findSecrets(text)) {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((lineStarts[middle] ?? 0) <= found.index) low = middle;
      else high = middle - 1;
    }
    const start = lineStarts[low] ?? 0;
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    if (ALLOW.test(line)) continue;
    findings.push({
      file,
      line: low + 1,
      provider: found.label,
      maskedId: found.maskedId,
      fingerprint: found.fingerprint,
      rule: found.rule,
      confidence: found.confidence,
      ...(found.reason === undefined ? {} : { reason: found.reason }),
      ...(commit === undefined ? {} : { commit }),
    });
  }
  return findings;
}

function isBinary(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 8000);
  return sample.includes(0);
}

/**
 * Every file under `roots`, honouring .gitignore files on the way, skipping .git and
 * node_modules directories inside them (a root named explicitly is scanned, even node_modules).
 */
export async function listFiles(
  roots: readonly string[],
  stats: ScanStats = newScanStats(),
): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string, rules: Array<{ base: string; ig: Ignore }>) => {
    const here = [...rules];
    try {
      const text = await readFile(join(dir, '.gitignore'), 'utf8');
      here.push({ base: dir, ig: ignore().add(text) });
    } catch {
      // no .gitignore here
    }
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (ALWAYS_SKIPPED.has(entry.name)) {
        stats.ignored += 1;
        continue;
      }
      const path = join(dir, entry.name);
      const ignored = here.some(({ base, ig }) => {
        const rel = relative(base, path);
        return rel !== '' && ig.ignores(entry.isDirectory() ? `${rel}/` : rel);
      });
      if (ignored) {
        stats.ignored += 1;
        continue;
      }
      if (entry.isDirectory()) await walk(path, here);
      else if (entry.isFile()) files.push(path);
    }
  };
  for (const root of roots) {
    const absolute = resolve(root);
    const info = await stat(absolute);
    if (info.isFile()) files.push(absolute);
    else await walk(absolute, []);
  }
  return files;
}

/** Scans one file; unreadable, binary and oversized files give nothing (and are counted). */
export async function scanFile(path: string, stats: ScanStats = newScanStats()): Promise<Finding[]> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.size > MAX_FILE_BYTES) {
      stats.large += 1;
      return [];
    }
    bytes = await readFile(path);
  } catch {
    stats.unreadable += 1;
    return [];
  }
  if (isBinary(bytes)) {
    stats.binary += 1;
    return [];
  }
  stats.files += 1;
  stats.bytes += bytes.length;
  return scanText(bytes.toString('utf8'), relative(process.cwd(), path) || path);
}

/** Runs git; its own error (one line) on failure, or that git is missing. */
async function git(args: readonly string[], options: { maxBuffer: number }): Promise<string> {
  try {
    const { stdout } = await run('git', [...args], options);
    return stdout;
  } catch (error) {
    throw new GitError(gitMessage(error));
  }
}

/** Git failed: `message` is git's own first line of error, or why git could not run. */
export class GitError extends Error {
  override name = 'GitError' as const;
}

function gitMessage(error: unknown): string {
  const failure = error as NodeJS.ErrnoException & { stderr?: string | Buffer };
  if (failure.code === 'ENOENT') return 'git is not installed or not on PATH';
  const stderr = String(failure.stderr ?? '')
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
  return stderr ?? (error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error));
}

/** The staged version of every staged file (for a pre-commit hook). */
export async function scanStaged(stats: ScanStats = newScanStats()): Promise<Finding[]> {
  const stdout = await git(['diff', '--cached', '--name-only', '--diff-filter=ACMR', '-z'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const findings: Finding[] = [];
  for (const file of stdout.split('\0').filter((name) => name !== '')) {
    const { stdout: content } = await run('git', ['show', `:${file}`], {
      maxBuffer: MAX_FILE_BYTES * 2,
      encoding: 'buffer',
    }).catch(() => ({ stdout: Buffer.alloc(0) }));
    const bytes = content as unknown as Buffer;
    if (isBinary(bytes)) {
      stats.binary += 1;
      continue;
    }
    stats.files += 1;
    stats.bytes += bytes.length;
    findings.push(...scanText(bytes.toString('utf8'), file));
  }
  return findings;
}

/** Every line ever added in the repository's history. */
export async function scanHistory(stats: ScanStats = newScanStats()): Promise<Finding[]> {
  const stdout = await git(['log', '-p', '--all', '--no-color', '--unified=0', '--format=commit %H'], {
    maxBuffer: 1024 * 1024 * 1024,
  });
  stats.bytes += Buffer.byteLength(stdout);
  const findings: Finding[] = [];
  let commit = '';
  let file = '';
  let line = 0;
  for (const text of stdout.split('\n')) {
    if (text.startsWith('commit ')) {
      commit = text.slice(7, 19);
      stats.files += 1;
    } else if (text.startsWith('+++ ')) file = text.startsWith('+++ b/') ? text.slice(6) : text.slice(4);
    else if (text.startsWith('@@')) line = Number(/\+(\d+)/.exec(text)?.[1] ?? 0);
    else if (text.startsWith('+')) {
      for (const finding of scanText(text.slice(1), file, commit)) findings.push({ ...finding, line });
      line += 1;
    }
  }
  return findings;
}
