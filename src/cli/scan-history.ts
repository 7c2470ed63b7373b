/**
 * `keycard scan --git`: every line ever added in the repository's history, read from one
 * `git log -p` stream (never a process per commit) as it comes. The byte scan runs over each
 * piece of the stream; only the added lines it picks are decoded and matched, and the commit,
 * file and hunk headers are followed line by line to name where each one is.
 * @module
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { triggerLines } from '../redact/redactor.js';
import { gitFailure, gitStream } from './git.js';
import { type Finding, newScanStats, type ScanStats, scanLine } from './scan.js';

/** What `git log` is asked for: added lines only, no context (and which commits: see below). */
const LOG_ARGS = [
  '-c',
  'core.quotePath=false',
  'log',
  '-p',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--unified=0',
  '--format=commit %H',
];

/** Pieces of the stream smaller than this are joined before they are scanned. */
const PIECE = 1024 * 1024;

/** Where the parser is: the commit and file, and in a hunk, what is left of it. */
interface Position {
  commit: string;
  file: string;
  /** The number of the next added line in the new file. */
  line: number;
  /** Removed and added lines left in the current hunk. */
  removed: number;
  added: number;
}

/** Commits a stream of its own is worth: fewer, and one stream reads them all. */
const MIN_COMMITS_PER_STREAM = 500;

/** `git log` streams at once: `KEYCARD_SCAN_THREADS`, else one per core (git's diff is the work). */
function streamsWanted(): number {
  const configured = Number(process.env['KEYCARD_SCAN_THREADS']);
  const wanted = Number.isSafeInteger(configured) && configured >= 1 ? configured : availableParallelism();
  return Math.max(1, Math.min(wanted, 4));
}

/**
 * Every line ever added in the repository's history (at `cwd`), in the order of `git log`.
 * `progress` is called with the commits read so far, now and then. git's diff is most of the
 * work: a long history is cut into as many runs of consecutive commits as there are cores, each
 * read from one `git log -p --no-walk --stdin` stream, and their findings put back in order.
 */
export async function scanHistory(
  stats: ScanStats = newScanStats(),
  options: { cwd?: string; progress?: (commits: number) => void } = {},
): Promise<Finding[]> {
  const cwd = options.cwd ?? process.cwd();
  const streams = streamsWanted();
  const commits = streams > 1 ? await listCommits(cwd) : [];
  const parts = Math.min(streams, Math.floor(commits.length / MIN_COMMITS_PER_STREAM));
  if (parts < 2) return await readLog([...LOG_ARGS, '--all'], undefined, stats, cwd, options.progress);
  const each = Math.ceil(commits.length / parts);
  const counts: ScanStats[] = [];
  const read: number[] = [];
  const runs = Array.from({ length: parts }, (_, index) => {
    const part = commits.slice(index * each, (index + 1) * each);
    const partStats = newScanStats();
    counts.push(partStats);
    read.push(0);
    return readLog(
      [...LOG_ARGS, '--no-walk=unsorted', '--stdin'],
      `${part.join('\n')}\n`,
      partStats,
      cwd,
      (done) => {
        read[index] = done;
        options.progress?.(read.reduce((sum, value) => sum + value, 0));
      },
    );
  });
  const found = await Promise.all(runs);
  for (const partStats of counts) {
    stats.files += partStats.files;
    stats.bytes += partStats.bytes;
  }
  return found.flat();
}

/** Every commit of every ref, in `git log`'s order. */
async function listCommits(cwd: string): Promise<string[]> {
  const git = gitStream(['rev-list', '--all'], { cwd });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of git.stdout as AsyncIterable<Buffer>) chunks.push(chunk);
    await git.done();
  } catch (error) {
    throw gitFailure(git, error);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** Runs `git …args` (with `input` on its standard input) and scans the patches it writes. */
async function readLog(
  args: readonly string[],
  input: string | undefined,
  stats: ScanStats,
  cwd: string,
  progress: ((commits: number) => void) | undefined,
): Promise<Finding[]> {
  const git = gitStream(args, input === undefined ? { cwd } : { cwd, input });
  try {
    const findings = await scanPatchStream(git.stdout, stats, progress);
    await git.done();
    return findings;
  } catch (error) {
    throw gitFailure(git, error);
  }
}

/**
 * The findings in the output of `git log -p --unified=0 --format='commit %H'` read from `stream`,
 * piece by piece (the bench times it on a saved stream: keycard's part of `--git`).
 */
export async function scanPatchStream(
  stream: AsyncIterable<Buffer>,
  stats: ScanStats = newScanStats(),
  progress?: (commits: number) => void,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const at: Position = { commit: '', file: '', line: 0, removed: 0, added: 0 };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (final: boolean) => {
    if (pendingBytes === 0) return;
    const joined = pending.length === 1 ? (pending[0] ?? Buffer.alloc(0)) : Buffer.concat(pending);
    // Whole lines only; the rest waits for the next piece.
    const end = final ? joined.length : joined.lastIndexOf(10) + 1;
    pending = end < joined.length ? [joined.subarray(end)] : [];
    pendingBytes = joined.length - end;
    if (end > 0) {
      stats.bytes += end;
      scanPatch(joined.subarray(0, end), at, stats, findings);
      progress?.(stats.files);
    }
  };
  for await (const chunk of stream) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= PIECE) flush(false);
  }
  flush(true);
  return findings;
}

/**
 * Follows the headers of `patch` (whole lines of `git log -p --unified=0`) from `at`, and matches
 * the added lines the byte scan picks. A hunk's lines are counted from its header, so that an
 * added line that starts with `++ ` is not taken for a file header.
 */
function scanPatch(patch: Buffer, at: Position, stats: ScanStats, findings: Finding[]): void {
  const candidates = triggerLines(patch, 1);
  let next = 0;
  for (let start = 0; start < patch.length; ) {
    let end = patch.indexOf(10, start);
    if (end < 0) end = patch.length;
    const first = patch[start];
    if (at.removed + at.added > 0 && (first === 0x2d || first === 0x2b || first === 0x5c)) {
      // In a hunk: `-` removed, `+` added, `\ No newline at end of file`.
      if (first === 0x2d) at.removed -= 1;
      else if (first === 0x2b) {
        if (candidates === undefined) {
          scanLine(patch.toString('utf8', start + 1, end), at.file, at.line, at.commit, findings);
        } else {
          while ((candidates[next] ?? Number.POSITIVE_INFINITY) < start) next += 2;
          if (candidates[next] === start)
            scanLine(patch.toString('utf8', start + 1, end), at.file, at.line, at.commit, findings);
        }
        at.line += 1;
        at.added -= 1;
      }
    } else {
      header(patch.toString('utf8', start, end), at, stats);
    }
    start = end + 1;
  }
}

/** A line outside a hunk: a commit, a file's new name, or a hunk's header. */
function header(text: string, at: Position, stats: ScanStats): void {
  if (text.startsWith('commit ')) {
    at.commit = text.slice(7, 19);
    at.file = '';
    at.removed = 0;
    at.added = 0;
    stats.files += 1;
  } else if (text.startsWith('diff ')) {
    at.file = '';
  } else if (text.startsWith('+++ ')) {
    at.file = pathOf(text.slice(4));
  } else if (text.startsWith('@@ ')) {
    const counts = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(text);
    if (counts === null) return;
    at.removed = counts[1] === undefined ? 1 : Number(counts[1]);
    at.line = Number(counts[2]);
    at.added = counts[3] === undefined ? 1 : Number(counts[3]);
  }
}

/**
 * The path of a `+++ ` header: `b/src/a.ts` → `src/a.ts`; a quoted name (control characters,
 * quotes) unquoted; the tab git adds after a name with a space dropped.
 */
function pathOf(name: string): string {
  let path = name;
  if (path.startsWith('"') && path.endsWith('"')) path = unquote(path.slice(1, -1));
  else if (path.endsWith('\t') && path.includes(' ')) path = path.slice(0, -1);
  return path.startsWith('b/') ? path.slice(2) : path;
}

const ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };

/** Git's C-style quoting undone: `\"`, `\\`, `\t` and octal bytes (UTF-8). */
function unquote(text: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] ?? '';
    if (char !== '\\') {
      for (const byte of Buffer.from(char)) bytes.push(byte);
      continue;
    }
    const escaped = text[index + 1] ?? '';
    if (/[0-7]/.test(escaped)) {
      bytes.push(Number.parseInt(text.slice(index + 1, index + 4), 8));
      index += 3;
    } else {
      bytes.push(ESCAPES[escaped] ?? escaped.charCodeAt(0));
      index += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The number of commits `--git` reads (for a progress line); undefined if git cannot tell. */
export async function countCommits(cwd = process.cwd()): Promise<number | undefined> {
  return await new Promise((resolve) => {
    const child = spawn('git', ['rev-list', '--all', '--count'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
    });
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? Number(out.trim()) : undefined));
  });
}
