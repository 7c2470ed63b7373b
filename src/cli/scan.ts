/**
 * Finding keys in files, staged changes and git history, with the redactor's own matcher, so
 * that what `keycard scan` reports is exactly what redaction would replace.
 * @module
 */
import { execFile } from 'node:child_process';
import { closeSync, type Dirent, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import ignore, { type Ignore } from 'ignore';
import { type FoundSecret, findSecrets, triggerLines } from '../redact/redactor.js';
import { GitError, gitFailure, gitOutput, gitStream } from './git.js';
import { holdKey } from './scan-held-keys.js';
import { scanInParallel, scanThreads } from './scan-parallel.js';

const run = promisify(execFile);

export { GitError };

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
/** A file with a NUL byte in its first bytes is binary. */
const BINARY_SAMPLE = 8000;

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, BINARY_SAMPLE).includes(0);
}

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
    findings.push(finding(found, text, file, low + 1, commit));
  }
  return findings;
}

/** A finding, never with its key: that is held for `--verify` only (see scan-held-keys.ts). */
function finding(
  found: FoundSecret,
  text: string,
  file: string,
  line: number,
  commit: string | undefined,
): Finding {
  holdKey(found.fingerprint, text, found.index, found.length);
  return {
    file,
    line,
    provider: found.label,
    maskedId: found.maskedId,
    fingerprint: found.fingerprint,
    rule: found.rule,
    confidence: found.confidence,
    ...(found.reason === undefined ? {} : { reason: found.reason }),
    ...(commit === undefined ? {} : { commit }),
  };
}

/**
 * The findings in one line of text (no `\n`), numbered `line`, added to `findings`: what
 * {@link scanText} finds on that line of a longer text.
 */
export function scanLine(
  text: string,
  file: string,
  line: number,
  commit: string | undefined,
  findings: Finding[],
): void {
  const found = findSecrets(text);
  if (found.length === 0 || ALLOW.test(text)) return;
  for (const each of found) findings.push(finding(each, text, file, line, commit));
}

/** The number of `\n` in `bytes` from `from` to `to`. */
function countLines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let index = bytes.indexOf(10, from); index >= 0 && index < to; index = bytes.indexOf(10, index + 1))
    count += 1;
  return count;
}

/**
 * The findings in UTF-8 `bytes`, the same as {@link scanText} on the decoded text: the byte scan
 * picks the lines that may hold a key, and only those are decoded and matched; the lines before
 * them are only counted. `file` is called for the file's name only when there is a finding.
 */
export function scanBytes(bytes: Buffer, file: () => string): Finding[] {
  const lines = triggerLines(bytes);
  if (lines === undefined) return scanText(bytes.toString('utf8'), file());
  const findings: Finding[] = [];
  let name: string | undefined;
  let counted = 0;
  let line = 1;
  for (let index = 0; index < lines.length; index += 2) {
    const start = lines[index] ?? 0;
    line += countLines(bytes, counted, start);
    counted = start;
    name ??= file();
    scanLine(bytes.toString('utf8', start, lines[index + 1]), name, line, undefined, findings);
  }
  return findings;
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
  for (const root of roots) {
    const absolute = resolve(root);
    const info = await stat(absolute);
    if (info.isFile()) files.push(absolute);
    else walkTree(absolute, files, stats);
  }
  return files;
}

/** `.gitignore` rules read on the way down: a directory's, for the paths under it. */
interface Rules {
  /** The directory, with a trailing separator. */
  readonly base: string;
  readonly ignore: Ignore;
}

/**
 * Walks `root` depth first, in the order of `readdir`, adding its files to `files`. Synchronous:
 * for a tree of thousands of small directories, the calls of the promise API cost more than the
 * disk (the page cache answers) and the walk has nothing to do meanwhile.
 */
function walkTree(root: string, files: string[], stats: ScanStats): void {
  const walk = (dir: string, rules: readonly Rules[]) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    let here = rules;
    if (entries.some((entry) => entry.name === '.gitignore')) {
      try {
        const text = readFileSync(join(dir, '.gitignore'), 'utf8');
        here = [...rules, { base: `${dir}${sep}`, ignore: ignore().add(text) }];
      } catch {
        // unreadable: as if there were none
      }
    }
    for (const entry of entries) {
      if (ALWAYS_SKIPPED.has(entry.name)) {
        stats.ignored += 1;
        continue;
      }
      const path = join(dir, entry.name);
      const directory = entry.isDirectory();
      if (here.length > 0 && ignored(here, path, directory)) {
        stats.ignored += 1;
        continue;
      }
      if (directory) walk(path, here);
      else if (entry.isFile()) files.push(path);
    }
  };
  walk(root, []);
}

/** Whether a `.gitignore` on the way ignores `path`. */
function ignored(rules: readonly Rules[], path: string, directory: boolean): boolean {
  for (const { base, ignore: rule } of rules) {
    if (!path.startsWith(base)) continue;
    let relativePath = path.slice(base.length);
    if (sep !== '/') relativePath = relativePath.split(sep).join('/');
    if (rule.ignores(directory ? `${relativePath}/` : relativePath)) return true;
  }
  return false;
}

/**
 * Reads whole files into one buffer, reused: a scan of thousands of files allocates nothing per
 * file. A file is read with `open`, one `read` and `close` when it is smaller than 64 KiB (a
 * short read of a regular file is its end); a larger one is measured first (`fstat`: over 8 MiB,
 * it is not read further), and a binary one is known from its first read. Synchronous, as the
 * walk: the page cache answers, and there is nothing else to do meanwhile.
 */
class FileReader {
  private buffer = Buffer.allocUnsafe(FIRST_READ);

  /** The file's bytes (a view of the buffer, valid until the next read), or why not. */
  read(path: string): Buffer | 'large' | 'binary' | 'unreadable' {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return 'unreadable';
    }
    try {
      let length = readSync(fd, this.buffer, 0, FIRST_READ, 0);
      if (length < FIRST_READ) {
        const bytes = this.buffer.subarray(0, length);
        return isBinary(bytes) ? 'binary' : bytes;
      }
      const size = fstatSync(fd).size;
      if (size > MAX_FILE_BYTES) return 'large';
      if (isBinary(this.buffer)) return 'binary';
      for (;;) {
        if (length === this.buffer.length) {
          // It grew since `fstat`: past the limit, as large as one over it from the start.
          if (length > MAX_FILE_BYTES) return 'large';
          this.grow(Math.max(size + 1, length * 2), length);
        }
        const read = readSync(fd, this.buffer, length, this.buffer.length - length, length);
        if (read === 0) break;
        length += read;
      }
      if (length > MAX_FILE_BYTES) return 'large';
      return this.buffer.subarray(0, length);
    } catch {
      return 'unreadable';
    } finally {
      closeSync(fd);
    }
  }

  /** A larger buffer (8 MiB and a byte at most), with the first `keep` bytes of the old one. */
  private grow(size: number, keep: number): void {
    const grown = Buffer.allocUnsafe(Math.min(MAX_FILE_BYTES + 1, size));
    this.buffer.copy(grown, 0, 0, keep);
    this.buffer = grown;
  }
}

/** The first read of a file: a smaller file is read whole with it. */
const FIRST_READ = 64 * 1024;

let reader: FileReader | undefined;

/** Scans one file; unreadable, binary and oversized files give nothing (and are counted). */
function scanOne(path: string, stats: ScanStats, cwd: string): Finding[] {
  reader ??= new FileReader();
  const bytes = reader.read(path);
  if (bytes === 'large') stats.large += 1;
  else if (bytes === 'binary') stats.binary += 1;
  else if (bytes === 'unreadable') stats.unreadable += 1;
  else {
    stats.files += 1;
    stats.bytes += bytes.length;
    return scanBytes(bytes, () => relative(cwd, path) || path);
  }
  return [];
}

/** Scans one file; unreadable, binary and oversized files give nothing (and are counted). */
export async function scanFile(path: string, stats: ScanStats = newScanStats()): Promise<Finding[]> {
  return scanOne(path, stats, process.cwd());
}

/**
 * Scans `files`; `progress` is called with the number done now and then (a progress line's
 * update), and at the end. Many files are scanned on every core (scan-parallel.ts), in the same
 * order; on one thread, the event loop is given a turn every few megabytes, so that a progress
 * line or a signal is not held up by a long scan.
 */
export async function scanFiles(
  files: readonly string[],
  stats: ScanStats = newScanStats(),
  progress?: (done: number) => void,
): Promise<Finding[]> {
  const cwd = process.cwd();
  const threads = scanThreads(files.length);
  if (threads > 1) {
    return scanInParallel(
      files,
      threads,
      stats,
      (start, end, chunkStats) => scanRange(files, start, end, chunkStats, cwd),
      progress,
    );
  }
  const findings: Finding[] = [];
  let yielded = stats.bytes;
  for (let index = 0; index < files.length; index += 1) {
    const found = scanOne(files[index] ?? '', stats, cwd);
    for (const each of found) findings.push(each);
    if (stats.bytes - yielded > YIELD_BYTES) {
      yielded = stats.bytes;
      progress?.(index + 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  progress?.(files.length);
  return findings;
}

/** The findings in `files[start]` to `files[end - 1]`, in order; paths relative to `cwd`. */
export function scanRange(
  files: readonly string[],
  start: number,
  end: number,
  stats: ScanStats,
  cwd: string,
): Finding[] {
  const findings: Finding[] = [];
  for (let index = start; index < end; index += 1) {
    for (const each of scanOne(files[index] ?? '', stats, cwd)) findings.push(each);
  }
  return findings;
}

/** Bytes scanned between two turns of the event loop. */
const YIELD_BYTES = 16 * 1024 * 1024;

/**
 * The staged version of every staged file (for a pre-commit hook), read through one
 * `git cat-file --batch` process, not one `git show` per file.
 */
export async function scanStaged(stats: ScanStats = newScanStats()): Promise<Finding[]> {
  const stdout = await gitOutput(['diff', '--cached', '--name-only', '--diff-filter=ACMR', '-z'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const names = stdout.split('\0').filter((name) => name !== '');
  const findings: Finding[] = [];
  const scan = (name: string, bytes: Buffer | 'large' | 'missing') => {
    if (bytes === 'large') stats.large += 1;
    else if (bytes === 'missing') stats.unreadable += 1;
    else if (isBinary(bytes)) stats.binary += 1;
    else {
      stats.files += 1;
      stats.bytes += bytes.length;
      for (const finding of scanBytes(bytes, () => name)) findings.push(finding);
    }
  };
  // A name with a line break cannot be asked of `cat-file --batch` (one name a line).
  await readStaged(
    names.filter((name) => !name.includes('\n')),
    scan,
  );
  for (const name of names.filter((each) => each.includes('\n'))) {
    const { stdout: content } = await run('git', ['show', `:${name}`], {
      maxBuffer: MAX_FILE_BYTES * 2,
      encoding: 'buffer',
    }).catch(() => ({ stdout: 'missing' as const }));
    scan(name, content as unknown as Buffer | 'missing');
  }
  return findings;
}

/**
 * Reads the staged blobs of `names` from one `git cat-file --batch` (`:NAME` a line; the answers,
 * `OID TYPE SIZE` then the bytes, come in the same order) and hands each to `each`: its bytes, or
 * `large` (over 8 MiB: its bytes are skipped as they come, never held), or `missing`.
 */
async function readStaged(
  names: readonly string[],
  each: (name: string, bytes: Buffer | 'large' | 'missing') => void,
): Promise<void> {
  if (names.length === 0) return;
  const git = gitStream(['cat-file', '--batch'], { input: names.map((name) => `:${name}\n`).join('') });
  let next = 0;
  /** The object being read: its name and size; `remaining` when its bytes are skipped. */
  let object: { name: string; size: number; remaining: number | undefined } | undefined;
  let held: Buffer[] = [];
  let heldBytes = 0;
  /** What is held, as one buffer (kept so). */
  const joined = (): Buffer => {
    if (held.length !== 1) held = [Buffer.concat(held, heldBytes)];
    return held[0] ?? Buffer.alloc(0);
  };
  /** The first `count` bytes held, no longer held. */
  const take = (count: number): Buffer => {
    const all = joined();
    const rest = all.subarray(count);
    held = rest.length > 0 ? [rest] : [];
    heldBytes = rest.length;
    return all.subarray(0, count);
  };
  try {
    for await (const chunk of git.stdout as AsyncIterable<Buffer>) {
      held.push(chunk);
      heldBytes += chunk.length;
      for (;;) {
        if (object === undefined) {
          const newline = joined().indexOf(10);
          if (newline < 0) break;
          const header = take(newline + 1)
            .toString('utf8')
            .trimEnd();
          const name = names[next] ?? '';
          next += 1;
          const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
          if (match === null) {
            each(name, 'missing');
            continue;
          }
          const size = Number(match[2]);
          // Over 8 MiB: its bytes and the line break after them are dropped as they come.
          object = { name, size, remaining: size > MAX_FILE_BYTES ? size + 1 : undefined };
        }
        if (object.remaining !== undefined) {
          const dropped = Math.min(heldBytes, object.remaining);
          if (dropped > 0) take(dropped);
          object.remaining -= dropped;
          if (object.remaining > 0) break;
          each(object.name, 'large');
          object = undefined;
          continue;
        }
        // The object's bytes and the line break after them.
        if (heldBytes < object.size + 1) break;
        each(object.name, take(object.size + 1).subarray(0, object.size));
        object = undefined;
      }
    }
    await git.done();
  } catch (error) {
    throw gitFailure(git, error);
  }
}
